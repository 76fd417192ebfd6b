"""Sensors: each outlet's measurements, state and balancing decision, the strip's totals,
limits and waiting laptops, and each circuit's power. Each outlet's battery and paired user,
and the strip's last pairing, are described in battery.py and pairing.py."""

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
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfPower,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .battery import SmartMultiBatterySensor
from .billing.entities import async_add_billing_sensors
from .client.models import Outlet, OutletStatus, StripMode, StripState
from .coordinator import SmartMultiCoordinator
from .entity import (
    BalancingEntityMixin,
    SmartMultiCircuitEntity,
    SmartMultiEntity,
    SmartMultiOutletEntity,
)
from .entry_kinds import (
    SmartMultiConfigEntry,
    StripConfigEntry,
    is_billing_entry,
    is_circuit_entry,
    is_strip_entry,
)
from .metering import SmartMultiOutletEnergySensor, SmartMultiStripEnergySensor
from .pairing import SmartMultiLastPairingSensor, SmartMultiPairedUserSensor
from .planning.circuits import CircuitPlanner
from .planning.explain import (
    REASON_OPTIONS,
    outlet_reason,
    time_to_full,
    unreported_laptops,
    waiting_laptops,
)
from .planning.strip import StripPlanner

# The coordinator pushes the data: nothing to poll, no limit needed.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartMultiStripSensorEntityDescription(SensorEntityDescription):
    """A sensor of the strip device."""

    value_fn: Callable[[StripState], StateType]


@dataclass(frozen=True, kw_only=True)
class SmartMultiOutletSensorEntityDescription(SensorEntityDescription):
    """A sensor of an outlet's device."""

    value_fn: Callable[[Outlet], StateType]


@dataclass(frozen=True, kw_only=True)
class SmartMultiBalancingSensorEntityDescription(SensorEntityDescription):
    """A sensor of the strip device that shows the last balancing cycle."""

    value_fn: Callable[[StripPlanner], StateType]


@dataclass(frozen=True, kw_only=True)
class SmartMultiOutletBalancingSensorEntityDescription(SensorEntityDescription):
    """A sensor of an outlet's device that shows the last balancing cycle's decision."""

    value_fn: Callable[[StripPlanner, Outlet], StateType]


@dataclass(frozen=True, kw_only=True)
class SmartMultiCircuitSensorEntityDescription(SensorEntityDescription):
    """A sensor of a circuit's device."""

    value_fn: Callable[[CircuitPlanner], StateType]


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

BALANCING_SENSORS: tuple[SmartMultiBalancingSensorEntityDescription, ...] = (
    SmartMultiBalancingSensorEntityDescription(
        key="waiting",
        translation_key="waiting",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=waiting_laptops,
    ),
    SmartMultiBalancingSensorEntityDescription(
        key="unreported",
        translation_key="unreported",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=unreported_laptops,
    ),
)

OUTLET_BALANCING_SENSORS: tuple[SmartMultiOutletBalancingSensorEntityDescription, ...] = (
    SmartMultiOutletBalancingSensorEntityDescription(
        key="reason",
        translation_key="reason",
        device_class=SensorDeviceClass.ENUM,
        options=REASON_OPTIONS,
        value_fn=outlet_reason,
    ),
    SmartMultiOutletBalancingSensorEntityDescription(
        key="time_to_full",
        translation_key="time_to_full",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=time_to_full,
    ),
)

CIRCUIT_SENSORS: tuple[SmartMultiCircuitSensorEntityDescription, ...] = (
    # Measured: the strips' total power below the circuit, at the last cycle.
    SmartMultiCircuitSensorEntityDescription(
        key="power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda circuit: circuit.power_w,
    ),
    # The budgets given to the strips below at the last cycle (their plans' limits).
    SmartMultiCircuitSensorEntityDescription(
        key="allocated",
        translation_key="allocated",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda circuit: circuit.allocated_w,
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
        key="state",
        translation_key="outlet_state",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in OutletStatus],
        value_fn=lambda outlet: outlet.status.value,
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
    # Relays wear out by operations: a manager enables it to watch one. It moves with every
    # switch, so it is not recorded unless asked for. Unknown from an agent that does not count.
    SmartMultiOutletSensorEntityDescription(
        key="relay_switches",
        translation_key="relay_switches",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda outlet: outlet.switches,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartMultiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Strip sensors, then each outlet's; or a circuit's; or the users' (billing/entities.py)."""
    if is_strip_entry(entry):
        async_add_entities(_strip_sensors(entry))
    elif is_circuit_entry(entry):
        async_add_entities(
            SmartMultiCircuitSensor(entry.runtime_data, description)
            for description in CIRCUIT_SENSORS
        )
    elif is_billing_entry(entry):
        async_add_billing_sensors(entry, async_add_entities)


def _strip_sensors(entry: StripConfigEntry) -> list[SensorEntity]:
    coordinator = entry.runtime_data.coordinator
    planner = entry.runtime_data.planner
    entities: list[SensorEntity] = [
        SmartMultiStripSensor(coordinator, description) for description in STRIP_SENSORS
    ]
    # Energy counters never shown going back (metering.py).
    entities.append(SmartMultiStripEnergySensor(coordinator))
    entities.extend(
        SmartMultiBalancingSensor(coordinator, planner, description)
        for description in BALANCING_SENSORS
    )
    entities.append(SmartMultiLastPairingSensor(coordinator))
    for outlet_id in coordinator.data.state.outlets:
        # The battery the balancer uses (battery.py), who reports it (pairing.py).
        entities.append(SmartMultiBatterySensor(coordinator, planner, outlet_id))
        entities.append(SmartMultiPairedUserSensor(coordinator, outlet_id))
        entities.append(SmartMultiOutletEnergySensor(coordinator, outlet_id))
        entities.extend(
            SmartMultiOutletSensor(coordinator, outlet_id, description)
            for description in OUTLET_SENSORS
        )
        entities.extend(
            SmartMultiOutletBalancingSensor(coordinator, planner, outlet_id, description)
            for description in OUTLET_BALANCING_SENSORS
        )
    return entities


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


class SmartMultiBalancingSensor(BalancingEntityMixin, SmartMultiEntity, SensorEntity):
    entity_description: SmartMultiBalancingSensorEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        planner: StripPlanner,
        description: SmartMultiBalancingSensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, description.key)
        self.planner = planner
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.planner)


class SmartMultiOutletBalancingSensor(BalancingEntityMixin, SmartMultiOutletEntity, SensorEntity):
    entity_description: SmartMultiOutletBalancingSensorEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        planner: StripPlanner,
        outlet_id: int,
        description: SmartMultiOutletBalancingSensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, outlet_id, description.key)
        self.planner = planner
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.planner, self.outlet)


class SmartMultiCircuitSensor(SmartMultiCircuitEntity, SensorEntity):
    entity_description: SmartMultiCircuitSensorEntityDescription

    def __init__(
        self, circuit: CircuitPlanner, description: SmartMultiCircuitSensorEntityDescription
    ) -> None:
        super().__init__(circuit, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.circuit)
