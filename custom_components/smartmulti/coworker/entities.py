"""The personal link on the user's device page: its QR code, and buttons to renew and send it.

The QR code is an ``image`` entity (the device page shows it; a manager can print it for a
desk), and the link itself is the device's configuration URL (the device page's "Visit"
button) whenever Home Assistant knows its own address. "Send personal link" uses the user's
notify action, so a coworker who lost the link gets it again without the manager copying it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util

from ..billing.entities import UserEntity
from ..billing.ledger import Ledger
from ..billing.setup import async_add_user_entities
from ..billing.users import SUBENTRY_USER, UserConfig
from ..const import DOMAIN
from ..entry_kinds import BillingConfigEntry
from ..identifiers import user_device_identifier
from .charts import qr_code
from .i18n import async_words, pick_language
from .links import CoworkerLinks, async_get_links
from .view import KEY_PARAM, PAGE_URL

RENEW = ButtonEntityDescription(
    key="renew_link", translation_key="renew_link", entity_category=EntityCategory.CONFIG
)
SEND = ButtonEntityDescription(key="send_link", translation_key="send_link")
QR = ImageEntityDescription(key="personal_link", translation_key="personal_link")
SVG: Final = "image/svg+xml"


def user_link(links: CoworkerLinks, user_id: str) -> str:
    """The page's path and query for the user (what ``smartmulti.get_user_link`` returns)."""
    return f"{PAGE_URL}?{KEY_PARAM}={links.secret(user_id)}"


def absolute_link(hass: HomeAssistant, links: CoworkerLinks, user_id: str) -> str | None:
    """The full link, with the address phones reach Home Assistant at (external first)."""
    try:
        base = get_url(hass, prefer_external=True, allow_cloud=True)
    except NoURLAvailableError:
        return None
    return base.rstrip("/") + user_link(links, user_id)


@callback
def update_device_link(hass: HomeAssistant, entry: BillingConfigEntry, user_id: str) -> None:
    """The user's device page links to their page (the "Visit" button)."""
    url = absolute_link(hass, async_get_links(hass), user_id)
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if user_device_identifier(user_id) in device.identifiers and (
            device.configuration_url != url
        ):
            registry.async_update_device(device.id, configuration_url=url)


async def async_add_link_entities(
    hass: HomeAssistant,
    entry: BillingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    platform: str,
) -> None:
    links = async_get_links(hass)
    await links.async_load()
    ledger = entry.runtime_data
    links.forget_others(ledger.users)  # removed users' links die with them

    async def forget_removed(hass: HomeAssistant, entry: BillingConfigEntry) -> None:
        links.forget_others(
            [key for key, sub in entry.subentries.items() if sub.subentry_type == SUBENTRY_USER]
        )

    entry.async_on_unload(entry.add_update_listener(forget_removed))

    @callback
    def add_user(user: UserConfig) -> None:
        if platform == "image":
            async_add_entities(
                [PersonalLinkImage(hass, entry, ledger, user)], config_subentry_id=user.id
            )
        else:
            async_add_entities(
                [RenewLinkButton(entry, ledger, user), SendLinkButton(entry, ledger, user)],
                config_subentry_id=user.id,
            )

    async_add_user_entities(entry, add_user)


class RenewLinkButton(UserEntity, ButtonEntity):
    """A new secret: the old link (a lost phone, a shared screenshot) stops working at once."""

    entity_description = RENEW

    def __init__(self, entry: BillingConfigEntry, ledger: Ledger, user: UserConfig) -> None:
        super().__init__(entry, ledger, user, RENEW.key)

    async def async_press(self) -> None:
        async_get_links(self.hass).renew(self.user_id)
        update_device_link(self.hass, self.entry, self.user_id)
        self.ledger.async_update_listeners()  # the QR code redraws


class SendLinkButton(UserEntity, ButtonEntity):
    """Sends the link with the user's notify action."""

    entity_description = SEND

    def __init__(self, entry: BillingConfigEntry, ledger: Ledger, user: UserConfig) -> None:
        super().__init__(entry, ledger, user, SEND.key)

    async def async_press(self) -> None:
        user = self.user
        if not user.notify:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_notify_action",
                translation_placeholders={"user": user.name},
            )
        url = absolute_link(self.hass, async_get_links(self.hass), user.id)
        if url is None:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_url")
        words = await async_words(self.hass, pick_language(None, self.hass.config.language))
        service = user.notify.removeprefix("notify.")
        await self.hass.services.async_call(
            "notify",
            service,
            {"title": "SmartMulti", "message": words("link_message", name=user.name, url=url)},
            blocking=True,
        )


class PersonalLinkImage(UserEntity, ImageEntity):
    """The link as a QR code (SVG: sharp at any print size, a few kilobytes)."""

    entity_description = QR
    _attr_content_type = SVG

    def __init__(
        self, hass: HomeAssistant, entry: BillingConfigEntry, ledger: Ledger, user: UserConfig
    ) -> None:
        UserEntity.__init__(self, entry, ledger, user, QR.key)
        ImageEntity.__init__(self, hass)
        self._link: str | None = None

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._refresh()
        update_device_link(self.hass, self.entry, self.user_id)

    @callback
    def _refresh(self) -> None:
        link = user_link(async_get_links(self.hass), self.user_id)
        if link != self._link:
            self._link = link
            self._attr_image_last_updated = dt_util.utcnow()

    @callback
    def async_write_if_changed(self) -> None:
        self._refresh()
        super().async_write_if_changed()

    @property
    def image_last_updated(self) -> datetime | None:
        return self._attr_image_last_updated

    async def async_image(self) -> bytes | None:
        links = async_get_links(self.hass)
        text = absolute_link(self.hass, links, self.user_id) or user_link(links, self.user_id)
        return qr_code(text).encode()
