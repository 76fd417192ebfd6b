"""Select: how an outlet is driven — automatic (plan or failsafe), or held on / off by hand."""

from __future__ import annotations

from typing import Final

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmartMultiConfigEntry, SmartMultiCoordinator
from .entity import SmartMultiOutletEntity

# One command at a time: the agent runs on a Raspberry Pi.
PARALLEL_UPDATES = 1

AUTO: Final = "auto"
OVERRIDES: Final[dict[str, bool | None]] = {AUTO: None, "on": True, "off": False}

CONTROL = SelectEntityDescription(key="control", translation_key="control", options=list(OVERRIDES))


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartMultiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        SmartMultiControlSelect(coordinator, outlet_id)
        for outlet_id in coordinator.data.state.outlets
    )


class SmartMultiControlSelect(SmartMultiOutletEntity, SelectEntity):
    """The agent's manual override of one outlet: none (auto), on or off.

    Switching the relay from Home Assistant sets the override; choosing "auto" clears it, so
    the plan or the agent's failsafe decides again.
    """

    entity_description = CONTROL

    def __init__(self, coordinator: SmartMultiCoordinator, outlet_id: int) -> None:
        super().__init__(coordinator, outlet_id, CONTROL.key)

    @property
    def current_option(self) -> str:
        override = self.outlet.override
        return AUTO if override is None else ("on" if override else "off")

    async def async_select_option(self, option: str) -> None:
        await self.coordinator.async_set_relay(self.outlet_id, OVERRIDES[option])
