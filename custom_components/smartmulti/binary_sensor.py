"""Binary sensors: whether a strip is closed (``smartmulti.shutdown``) or open.

A manager sees at a glance, and across restarts, that the strip keeps its balanced outlets off
on purpose; the attributes say since when and whether the exception outlets are off too.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmartMultiCoordinator
from .entity import BalancingEntityMixin, SmartMultiEntity
from .entry_kinds import StripConfigEntry
from .planning.strip import StripPlanner

# State lives in Home Assistant: nothing is sent by reading it.
PARALLEL_UPDATES = 0

CLOSED = BinarySensorEntityDescription(key="closed", translation_key="closed")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StripConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    data = entry.runtime_data
    async_add_entities([SmartMultiClosedSensor(data.coordinator, data.planner)])


class SmartMultiClosedSensor(BalancingEntityMixin, SmartMultiEntity, BinarySensorEntity):
    """On while the strip is shut down."""

    entity_description = CLOSED

    def __init__(self, coordinator: SmartMultiCoordinator, planner: StripPlanner) -> None:
        super().__init__(coordinator, CLOSED.key)
        self.planner = planner

    @property
    def available(self) -> bool:
        """Known in Home Assistant whether or not the agent answers."""
        return True

    @property
    def is_on(self) -> bool:
        return self.planner.closing is not None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        closing = self.planner.closing
        return {
            "since": None if closing is None else closing.since,
            "exceptions_off": None if closing is None else closing.include_exceptions,
        }
