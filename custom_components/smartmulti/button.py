"""Buttons of the strip: make every laptop on it pair again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmartMultiCoordinator
from .coworker.entities import async_add_link_entities
from .entity import SmartMultiEntity
from .entry_kinds import SmartMultiConfigEntry, is_billing_entry, is_strip_entry
from .pairing import async_pair_again

# Each press is requests to the agent: one at a time.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SmartMultiButtonEntityDescription(ButtonEntityDescription):
    """A button of the strip device."""

    press_fn: Callable[[SmartMultiCoordinator], Awaitable[None]]


BUTTONS: tuple[SmartMultiButtonEntityDescription, ...] = (
    # Forgets who reports for every outlet: each reporter pairs again on its next report, so
    # a laptop moved to another outlet, or a pairing that went wrong, is sorted out.
    SmartMultiButtonEntityDescription(
        key="pair_again",
        translation_key="pair_again",
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda coordinator: async_pair_again(coordinator, coordinator.data.state.outlets),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartMultiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    if is_strip_entry(entry):
        coordinator = entry.runtime_data.coordinator
        async_add_entities(SmartMultiButton(coordinator, description) for description in BUTTONS)
    elif is_billing_entry(entry):
        # Each user's personal link: renew it, send it.
        await async_add_link_entities(hass, entry, async_add_entities, "button")


class SmartMultiButton(SmartMultiEntity, ButtonEntity):
    entity_description: SmartMultiButtonEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        description: SmartMultiButtonEntityDescription,
    ) -> None:
        super().__init__(coordinator, description.key)
        self.entity_description = description

    async def async_press(self) -> None:
        await self.entity_description.press_fn(self.coordinator)
