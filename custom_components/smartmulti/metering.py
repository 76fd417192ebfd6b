"""The strip's and each outlet's energy sensors: the agent's counters, never shown going back.

After a kill -9 the agent restarts from counters saved up to 10 s earlier, so a counter can come
back a little lower within the same ``energy_epoch``. Shown as is, Home Assistant's statistics
would count the dip as energy given back, then again as new energy. These sensors hold the
highest value shown in the epoch until the counter passes it again; the ledger keeps that value
across Home Assistant restarts. A new epoch (the agent lost its counters) shows the new counter:
the statistics see a meter reset, as they should.
"""

from __future__ import annotations

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy

from .billing.ledger import Ledger, async_get_ledger
from .coordinator import SmartMultiCoordinator
from .entity import SmartMultiEntity, SmartMultiOutletEntity

OUTLET_ENERGY = SensorEntityDescription(
    key="energy",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=3,
)
STRIP_ENERGY = SensorEntityDescription(
    key="total_energy",
    translation_key="total_energy",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=2,
)


def kwh(wh: float) -> float:
    """A counter in Wh as an energy sensor shows it (also the users', billing/entities.py)."""
    return round(wh / 1000, 4)


def _shown_wh(ledger: Ledger, coordinator: SmartMultiCoordinator, outlet_id: int) -> float:
    data = coordinator.data
    outlet = data.state.outlets[outlet_id]
    return ledger.shown_wh(data.info.serial, outlet_id, data.info.energy_epoch, outlet.energy_wh)


class SmartMultiOutletEnergySensor(SmartMultiOutletEntity, SensorEntity):
    """The outlet's energy counter."""

    entity_description = OUTLET_ENERGY

    def __init__(self, coordinator: SmartMultiCoordinator, outlet_id: int) -> None:
        super().__init__(coordinator, outlet_id, OUTLET_ENERGY.key)

    @property
    def native_value(self) -> float:
        return kwh(_shown_wh(async_get_ledger(self.hass), self.coordinator, self.outlet_id))


class SmartMultiStripEnergySensor(SmartMultiEntity, SensorEntity):
    """The sum of the outlets' counters, each as its own sensor shows it."""

    entity_description = STRIP_ENERGY

    def __init__(self, coordinator: SmartMultiCoordinator) -> None:
        super().__init__(coordinator, STRIP_ENERGY.key)

    @property
    def native_value(self) -> float:
        ledger = async_get_ledger(self.hass)
        return kwh(
            sum(
                _shown_wh(ledger, self.coordinator, outlet_id)
                for outlet_id in self.coordinator.data.state.outlets
            )
        )
