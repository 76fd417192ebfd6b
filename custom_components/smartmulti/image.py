"""Images: each user's personal link as a QR code (the billing entry's users)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coworker.entities import async_add_link_entities
from .entry_kinds import BillingConfigEntry

# Drawn from memory: nothing to wait for.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BillingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    await async_add_link_entities(hass, entry, async_add_entities, "image")
