"""Sensors: each outlet's measurements and state, and the strip's totals and limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import SmartMultiConfigEntry, SmartMultiCoordinator
from .entity import SmartMultiEntity, SmartMultiOutletEntity
from .models import Outlet, OutletStatus, StripMode, StripState

# The coordinator pushes the data: nothing to poll, no limit needed.
PARALLEL_UPDATES = 0


def _kwh(wh: float) -> float:
    return round(wh / 1000, 4)


@dataclass(frozen=True, kw_only=True)
class SmartMultiStripSensorEntityDescription(SensorEntityDescription):
    """A sensor of the strip device."""

    value_fn: Callable[[StripState], StateType]


@dataclass(frozen=True, kw_only=True)
class SmartMultiOutletSensorEntityDescription(SensorEntityDescription):
    """A sensor of an outlet's device."""

    value_fn: Callable[[Outlet], StateType]


STRIP_SENSORS: tuple[SmartMultiStripSensorEntityDescription, ...] = (
    SmartMultiStripSensorEntityDescription(
        key="total_power",
        translation_key="total_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda state: state.total_power_w,
    ),
    SmartMultiStripSensorEntityDescription(
        key="total_energy",
        translation_key="total_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        value_fn=lambda state: _kwh(state.total_energy_wh),
    ),
    SmartMultiStripSensorEntityDescription(
        key="mode",
        translation_key="mode",
        device_class=SensorDeviceClass.ENUM,
        options=[mode.value for mode in StripMode],
        value_fn=lambda state: state.mode.value if state.mode else None,
    ),
    SmartMultiStripSensorEntityDescription(
        key="power_limit",
        translation_key="power_limit",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda state: state.limit_w,
    ),
    SmartMultiStripSensorEntityDescription(
        key="hard_limit",
        translation_key="hard_limit",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda state: state.hard_limit_w,
    ),
    SmartMultiStripSensorEntityDescription(
        key="guard_trips",
        translation_key="guard_trips",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.guard.trips,
    ),
)

OUTLET_SENSORS: tuple[SmartMultiOutletSensorEntityDescription, ...] = (
    SmartMultiOutletSensorEntityDescription(
        key="power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda outlet: outlet.power_w,
    ),
    SmartMultiOutletSensorEntityDescription(
        key="energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=lambda outlet: _kwh(outlet.energy_wh),
    ),
    SmartMultiOutletSensorEntityDescription(
        key="state",
        translation_key="outlet_state",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in OutletStatus],
        value_fn=lambda outlet: outlet.status.value,
    ),
    SmartMultiOutletSensorEntityDescription(
        key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda outlet: outlet.battery.percent if outlet.battery else None,
    ),
    # Current and voltage are for checking a meter: power says the same to a manager.
    SmartMultiOutletSensorEntityDescription(
        key="current",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=2,
        value_fn=lambda outlet: outlet.current_a,
    ),
    SmartMultiOutletSensorEntityDescription(
        key="voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=0,
        value_fn=lambda outlet: outlet.voltage_v,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartMultiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Strip sensors, then each outlet's."""
    coordinator = entry.runtime_data.coordinator
    entities: list[SensorEntity] = [
        SmartMultiStripSensor(coordinator, description) for description in STRIP_SENSORS
    ]
    entities.extend(
        SmartMultiOutletSensor(coordinator, outlet_id, description)
        for outlet_id in coordinator.data.state.outlets
        for description in OUTLET_SENSORS
    )
    async_add_entities(entities)


class SmartMultiStripSensor(SmartMultiEntity, SensorEntity):
    entity_description: SmartMultiStripSensorEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        description: SmartMultiStripSensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.coordinator.data.state)


class SmartMultiOutletSensor(SmartMultiOutletEntity, SensorEntity):
    entity_description: SmartMultiOutletSensorEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        outlet_id: int,
        description: SmartMultiOutletSensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, outlet_id, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.outlet)
