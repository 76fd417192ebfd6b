"""Switches: each outlet's relay (a manual command) and its exception flag (a setting), and
whether the strip is balanced at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import (  # type: ignore[attr-defined,unused-ignore]
    SwitchDeviceClass,  # in switch.const since 2026, still exported here at run time
    SwitchEntity,
    SwitchEntityDescription,
)
from homeassistant.const import STATE_OFF, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .client.models import Outlet
from .coordinator import SmartMultiCoordinator
from .entity import BalancingEntityMixin, SmartMultiEntity, SmartMultiOutletEntity
from .entry_kinds import StripConfigEntry
from .planning.strip import StripPlanner

# One command at a time: the agent runs on a Raspberry Pi.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SmartMultiSwitchEntityDescription(SwitchEntityDescription):
    """A switch of an outlet's device."""

    is_on_fn: Callable[[Outlet], bool]
    set_fn: Callable[[SmartMultiCoordinator, int, bool], Awaitable[None]]


SWITCHES: tuple[SmartMultiSwitchEntityDescription, ...] = (
    # The relay is the outlet's main feature: the entity takes the outlet's (device's) name.
    # It shows the relay as it is; a command is held by the agent as a manual override and
    # acts at once (minimum on/off times are for automatic switching); switching on still
    # waits for room under the strip's limit ("waiting" until then). The control select
    # returns the outlet to automatic.
    SmartMultiSwitchEntityDescription(
        key="relay",
        name=None,
        device_class=SwitchDeviceClass.OUTLET,
        is_on_fn=lambda outlet: outlet.relay,
        set_fn=lambda coordinator, outlet_id, on: coordinator.async_set_relay(outlet_id, on),
    ),
    SmartMultiSwitchEntityDescription(
        key="exception",
        translation_key="exception",
        entity_category=EntityCategory.CONFIG,
        is_on_fn=lambda outlet: outlet.exception,
        set_fn=lambda coordinator, outlet_id, on: coordinator.async_update_outlet(
            outlet_id, exception=on
        ),
    ),
)


BALANCING = SwitchEntityDescription(
    key="balancing", translation_key="balancing", entity_category=EntityCategory.CONFIG
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StripConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.coordinator
    entities: list[SwitchEntity] = [
        SmartMultiBalancingSwitch(coordinator, entry.runtime_data.planner)
    ]
    entities.extend(
        SmartMultiSwitch(coordinator, outlet_id, description)
        for outlet_id in coordinator.data.state.outlets
        for description in SWITCHES
    )
    async_add_entities(entities)


class SmartMultiSwitch(SmartMultiOutletEntity, SwitchEntity):
    entity_description: SmartMultiSwitchEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        outlet_id: int,
        description: SmartMultiSwitchEntityDescription,
    ) -> None:
        super().__init__(coordinator, outlet_id, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool:
        return self.entity_description.is_on_fn(self.outlet)

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self.entity_description.set_fn(self.coordinator, self.outlet_id, True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.entity_description.set_fn(self.coordinator, self.outlet_id, False)


class SmartMultiBalancingSwitch(
    BalancingEntityMixin, SmartMultiEntity, SwitchEntity, RestoreEntity
):
    """Balancing on, or off: every balanced outlet on, under the agent's guard only.

    Off still sends a plan (so the strip's budget, and its share of a circuit's, hold) but
    switches nothing off itself: the guard sheds when the draw exceeds the budget.
    """

    entity_description = BALANCING

    def __init__(self, coordinator: SmartMultiCoordinator, planner: StripPlanner) -> None:
        super().__init__(coordinator, BALANCING.key)
        self.planner = planner

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and last.state == STATE_OFF:
            self.planner.async_set_enabled(False)

    @property
    def is_on(self) -> bool:
        return self.planner.settings.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        self.planner.async_set_enabled(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        self.planner.async_set_enabled(False)
