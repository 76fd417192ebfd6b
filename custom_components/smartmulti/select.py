"""Selects: how an outlet is driven (automatic, or held on / off by hand), who uses it (its
session's user, billing/entities.py), and the strip's balancing strategy."""

from __future__ import annotations

from typing import Final

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .balancing import Strategy
from .billing.entities import outlet_user_selects
from .coordinator import SmartMultiCoordinator
from .entity import BalancingEntityMixin, SmartMultiEntity, SmartMultiOutletEntity
from .entry_kinds import StripConfigEntry
from .planning.strip import StripPlanner

# One command at a time: the agent runs on a Raspberry Pi.
PARALLEL_UPDATES = 1

AUTO: Final = "auto"
OVERRIDES: Final[dict[str, bool | None]] = {AUTO: None, "on": True, "off": False}

CONTROL = SelectEntityDescription(key="control", translation_key="control", options=list(OVERRIDES))
STRATEGY = SelectEntityDescription(
    key="strategy",
    translation_key="strategy",
    entity_category=EntityCategory.CONFIG,
    options=[strategy.value for strategy in Strategy],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StripConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.coordinator
    entities: list[SelectEntity] = [
        SmartMultiStrategySelect(coordinator, entry.runtime_data.planner)
    ]
    entities.extend(
        SmartMultiControlSelect(coordinator, outlet_id)
        for outlet_id in coordinator.data.state.outlets
    )
    entities.extend(outlet_user_selects(hass, coordinator))  # who uses each outlet
    async_add_entities(entities)


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


class SmartMultiStrategySelect(BalancingEntityMixin, SmartMultiEntity, SelectEntity, RestoreEntity):
    """How the strip shares its budget; in force at the next cycle, which it starts."""

    entity_description = STRATEGY

    def __init__(self, coordinator: SmartMultiCoordinator, planner: StripPlanner) -> None:
        super().__init__(coordinator, STRATEGY.key)
        self.planner = planner

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and last.state in set(Strategy):
            self.planner.async_set_strategy(Strategy(last.state))

    @property
    def current_option(self) -> str:
        return self.planner.settings.strategy.value

    async def async_select_option(self, option: str) -> None:
        self.planner.async_set_strategy(Strategy(option))
