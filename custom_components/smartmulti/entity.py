"""Base entities: the strip's, and each outlet's.

Devices: one device per strip, and one sub-device per outlet linked to it (``via_device_id``).

Why outlets are sub-devices rather than entities of the strip device: an outlet is what a
manager thinks about and acts on — a desk, with its own relay, meter, energy counter,
its user and laptop. As sub-devices, each outlet gets its own page with its handful of entities
instead of one strip page with 16 × 10 entities; it can be put in its own area (a strip may
serve two rooms); its name is the one set on the agent ("Desk 3", "Window lamp"), so renaming an
outlet renames its entities; and the Energy dashboard lists each outlet's energy under the
outlet's name. The strip device keeps what belongs to the whole strip: total power and energy,
mode, limits, guard trips.
"""

from __future__ import annotations

from homeassistant.core import State, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .client.models import Outlet
from .compat import child_device_info
from .const import MANUFACTURER
from .coordinator import SmartMultiCoordinator
from .identifiers import (
    circuit_device_identifier,
    outlet_device_identifier,
    strip_device_identifier,
)
from .planning.circuits import CircuitPlanner
from .planning.strip import StripPlanner


def strip_device_info(coordinator: SmartMultiCoordinator) -> DeviceInfo:
    info = coordinator.data.info
    return DeviceInfo(
        identifiers={strip_device_identifier(info.serial)},
        manufacturer=MANUFACTURER,
        model=info.model,
        name=info.name,
        serial_number=info.serial,
        sw_version=info.version,
        configuration_url=str(coordinator.client.base_url.with_path("/api/v1/info")),
    )


class WritesOnChange(Entity):
    """Writes its state on an update only when what it shows changed.

    The agent pushes a strip's state several times a second and every push reaches every entity
    of the strip, though most of them show what they showed before. Writing them all anyway cost
    Home Assistant 212 state writes per strip per second (docs/benchmarks.md, section 3). The
    ledger's entities are pushed alike, once a second while any outlet draws. Any other write (a
    command, a rename) leaves another state object in the state machine than the one written
    here, so the next update writes again.
    """

    _shown: tuple[object, ...] | None = None
    _written: State | None = None

    def _showing(self) -> tuple[object, ...]:
        if not self.available:
            return (False,)
        return (
            True,
            self.state,
            self.capability_attributes,
            self.state_attributes,
            self.extra_state_attributes,
            self.icon,
        )

    @callback
    def async_write_if_changed(self) -> None:
        """The listener of what pushes this entity's updates."""
        showing = self._showing()
        current = self.hass.states.get(self.entity_id) if self.entity_id else None
        if showing != self._shown or current is None or current is not self._written:
            self.async_write_ha_state()
            self._shown = showing
            self._written = self.hass.states.get(self.entity_id) if self.entity_id else None


class CoordinatorWritesOnChange(WritesOnChange, CoordinatorEntity[SmartMultiCoordinator]):
    """Follows a strip's coordinator, writing only what changed."""

    @callback
    def _handle_coordinator_update(self) -> None:
        self.async_write_if_changed()


class SmartMultiEntity(CoordinatorWritesOnChange):
    """An entity of the strip device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SmartMultiCoordinator, key: str) -> None:
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.data.info.serial}_{key}"
        self._attr_device_info = strip_device_info(coordinator)


class SmartMultiOutletEntity(CoordinatorWritesOnChange):
    """An entity of one outlet's sub-device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SmartMultiCoordinator, outlet_id: int, key: str) -> None:
        super().__init__(coordinator)
        serial = coordinator.data.info.serial
        self.outlet_id = outlet_id
        self._attr_unique_id = f"{serial}_outlet_{outlet_id}_{key}"
        self._attr_device_info = child_device_info(
            coordinator.hass,
            coordinator.config_entry.entry_id,
            strip_device_identifier(serial),
            identifiers={outlet_device_identifier(serial, outlet_id)},
            manufacturer=MANUFACTURER,
            model="SmartMulti outlet",
            name=coordinator.data.state.outlets[outlet_id].name,
        )

    @property
    def outlet(self) -> Outlet:
        return self.coordinator.data.state.outlets[self.outlet_id]

    @property
    def available(self) -> bool:
        return super().available and self.outlet_id in self.coordinator.data.state.outlets


class BalancingEntityMixin(CoordinatorEntity[SmartMultiCoordinator]):
    """Also follows the strip's balancing: its settings and each cycle's plan.

    The agent's state still decides availability: with the agent unreachable, nothing of the
    plan is in force.
    """

    planner: StripPlanner

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.planner.async_add_listener(self._handle_coordinator_update))


def circuit_device_info(circuit: CircuitPlanner) -> DeviceInfo:
    return DeviceInfo(
        identifiers={circuit_device_identifier(circuit.circuit_id)},
        manufacturer=MANUFACTURER,
        model="Circuit",
        name=circuit.name,
    )


class SmartMultiCircuitEntity(WritesOnChange):
    """An entity of a circuit's device; its state lives in Home Assistant, pushed each cycle."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, circuit: CircuitPlanner, key: str) -> None:
        self.circuit = circuit
        self._attr_unique_id = f"circuit_{circuit.circuit_id}_{key}"
        self._attr_device_info = circuit_device_info(circuit)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.circuit.async_add_listener(self.async_write_if_changed))
