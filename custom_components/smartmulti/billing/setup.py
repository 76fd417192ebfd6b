"""The "Users and billing" entry, and each strip's part in the ledger.

Users span strips, so they live at the site level: one "Users and billing" config entry, created
with the first strip, whose config subentries are the users ("Add user" on the integration page,
"Configure" on a user to change them) and whose options are the site's prices and session
rules. See ``docs/users.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send

from ..compat import child_device_info, device_by_identifier
from ..const import CONF_KIND, DOMAIN, KIND_BILLING, MANUFACTURER
from ..entry_kinds import BillingConfigEntry, StripConfigEntry, is_billing_entry, is_strip_entry
from ..identifiers import user_device_identifier
from ..repairs import async_check_price, async_forget_price
from .download import async_register_download
from .ledger import async_get_ledger
from .users import SUBENTRY_USER, UserConfig

BILLING_UNIQUE_ID: Final = "users_and_billing"
BILLING_PLATFORMS: Final[list[Platform]] = [
    Platform.BUTTON,
    Platform.IMAGE,
    Platform.NUMBER,
    Platform.SENSOR,
]
# Config entry titles are not translated: the billing entry is named in the installation's
# language when it is created, and the manager may rename it.
BILLING_TITLES: Final = {"en": "Users and billing", "fr": "Utilisateurs et facturation"}


def billing_title(hass: HomeAssistant) -> str:
    return BILLING_TITLES.get(hass.config.language.split("-")[0], BILLING_TITLES["en"])


def billing_device_identifier(entry_id: str) -> tuple[str, str]:
    return (DOMAIN, f"billing_{entry_id}")


def billing_device_info(entry: ConfigEntry[Any]) -> DeviceInfo:
    return DeviceInfo(
        identifiers={billing_device_identifier(entry.entry_id)},
        manufacturer=MANUFACTURER,
        model="Users and billing",
        name=entry.title,
        entry_type=DeviceEntryType.SERVICE,
    )


def user_device_info(hass: HomeAssistant, entry: ConfigEntry[Any], user: UserConfig) -> DeviceInfo:
    return child_device_info(
        hass,
        entry.entry_id,
        billing_device_identifier(entry.entry_id),
        identifiers={user_device_identifier(user.id)},
        manufacturer=MANUFACTURER,
        model="User",
        name=user.name,
    )


# ---------------------------------------------------------------------- the billing entry


async def async_setup_billing_entry(hass: HomeAssistant, entry: BillingConfigEntry) -> bool:
    """Attach the users to the ledger, then their devices and entities."""
    ledger = async_get_ledger(hass)
    await ledger.async_load()
    entry.runtime_data = ledger
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **billing_device_info(entry)
    )
    ledger.attach_billing(entry)
    async_check_price(hass, entry)
    async_register_download(hass)

    async def updated(hass: HomeAssistant, entry: BillingConfigEntry) -> None:
        """Users and settings apply in place, with no reload (which would make every user's
        entities unavailable and back). A user added gets their device and entities from the
        platforms (``async_add_user_entities``); a user removed loses theirs with their
        subentry (Home Assistant removes a subentry's devices and entities)."""
        dr.async_get(hass).async_get_or_create(
            config_entry_id=entry.entry_id, **billing_device_info(entry)
        )
        ledger.attach_billing(entry)
        async_check_price(hass, entry)
        for subentry in entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_USER and (
                device := device_by_identifier(
                    dr.async_get(hass), user_device_identifier(subentry.subentry_id), entry.entry_id
                )
            ):
                dr.async_get(hass).async_update_device(device.id, name=subentry.title)
        async_dispatcher_send(hass, _users_signal(entry.entry_id))

    entry.async_on_unload(entry.add_update_listener(updated))
    await hass.config_entries.async_forward_entry_setups(entry, BILLING_PLATFORMS)
    return True


def _users_signal(entry_id: str) -> str:
    return f"{DOMAIN}_users_{entry_id}"


@callback
def async_add_user_entities(
    entry: BillingConfigEntry, add_user: Callable[[UserConfig], None]
) -> None:
    """Call ``add_user`` (a platform adding a user's entities) for each user, and for each user
    added later while the entry runs."""
    added: set[str] = set()

    @callback
    def add_new_users() -> None:
        for user in entry.runtime_data.users.values():
            if user.id not in added:
                added.add(user.id)
                add_user(user)

    add_new_users()
    entry.async_on_unload(
        async_dispatcher_connect(
            entry.runtime_data.hass, _users_signal(entry.entry_id), add_new_users
        )
    )


async def async_unload_billing_entry(hass: HomeAssistant, entry: BillingConfigEntry) -> bool:
    if unloaded := await hass.config_entries.async_unload_platforms(entry, BILLING_PLATFORMS):
        await entry.runtime_data.async_detach_billing()
        async_forget_price(hass)
    return unloaded


# ---------------------------------------------------------------------- strips


async def async_setup_strip_billing(hass: HomeAssistant, entry: StripConfigEntry) -> None:
    """The ledger follows the strip's counters from now until the entry unloads.

    The first strip also creates the billing entry (unless the manager disabled or ignored it):
    its energy is attributed, to "unassigned" at least, from the start.
    """
    ledger = async_get_ledger(hass)
    await ledger.async_load()
    runtime = entry.runtime_data
    ledger.attach_strip(entry.entry_id, runtime.coordinator)
    runtime.planner.follow_hints(ledger)

    async def detach() -> None:
        await ledger.async_detach_strip(entry.entry_id)

    entry.async_on_unload(detach)
    if not any(
        is_billing_entry(other)
        for other in hass.config_entries.async_entries(
            DOMAIN, include_ignore=True, include_disabled=True
        )
    ):
        entry.async_create_task(
            hass,
            hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_IMPORT}, data={CONF_KIND: KIND_BILLING}
            ),
            f"{DOMAIN} billing entry",
        )


async def async_remove_strip_billing(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """A removed strip's sessions end; its counters are forgotten."""
    if not is_strip_entry(entry) or entry.unique_id is None:
        return  # a circuit or the billing entry
    ledger = async_get_ledger(hass)
    await ledger.async_load()
    await ledger.async_forget_strip(entry.unique_id)
    await ledger.async_release_if_unused()
