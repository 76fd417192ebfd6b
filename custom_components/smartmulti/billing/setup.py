"""The "Users and billing" entry, and each strip's part in the ledger.

Users span strips, so they live at the site level: one "Users and billing" config entry, created
with the first strip, whose config subentries are the users ("Add user" on the integration page,
"Configure" on a user to change them) and whose options are the site's prices and session
rules. See ``docs/users.md``.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

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
    users = set(entry.subentries)

    async def updated(hass: HomeAssistant, entry: BillingConfigEntry) -> None:
        """A user added or removed needs its device (a reload); the rest applies in place."""
        if set(entry.subentries) != users:
            hass.config_entries.async_schedule_reload(entry.entry_id)
            return
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

    entry.async_on_unload(entry.add_update_listener(updated))
    await hass.config_entries.async_forward_entry_setups(entry, BILLING_PLATFORMS)
    return True


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
