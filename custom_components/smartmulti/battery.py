"""Each outlet's battery sensor: the percent the balancer uses, where it comes from, how old.

Sources, by the balancer's own rule (``balancing.facts``): the laptop's reporter (through
the agent) or a Home Assistant battery sensor mapped to the outlet, whichever reported last; when
neither has a fresh report, the engine's estimate from the measured power (``OutletDecision``
with ``estimated``), as of the last balancing cycle.

Stale data: a report older than the strip's ``battery_max_age`` option is not given to the
balancer, and the sensor does not show it as the value either. A manager reading "80 %" trusts
it; a laptop's level from an hour ago (it left, its reporter stopped) is not that, and a graph
that carries on flat at 80 % hides it. So the state becomes the estimate if the engine has one,
else unknown, with ``stale: true`` and the stale report's ``age``. It is not made unavailable:
that means "the strip cannot be reached" in Home Assistant, which would send the manager to
check the wrong thing, and an unavailable entity shows no attributes to say why.

``age`` is in whole minutes: it is written with every state, and seconds would make every push
of the agent (several a second) a new attributes row in the recorder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import time
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE
from homeassistant.core import callback
from homeassistant.helpers.typing import StateType

from .balancing.facts import freshest, usable_report
from .client.models import Outlet
from .coordinator import SmartMultiCoordinator
from .entity import BalancingEntityMixin, SmartMultiOutletEntity
from .planning.inputs import BatterySource
from .planning.strip import StripPlanner

ATTR_SOURCE = "source"
ATTR_AGE = "age"
ATTR_STALE = "stale"


@dataclass(frozen=True, slots=True)
class BatteryView:
    """What the battery sensor shows: the percent the balancer uses and where it is from.

    ``age`` (whole minutes) and ``stale`` describe the latest report of either source, used or
    not; both are None / False when there has been no report at all.
    """

    percent: float | None
    source: BatterySource | None
    age: int | None
    stale: bool


def battery_view(
    planner: StripPlanner, outlet: Outlet, *, monotonic_now: float | None = None
) -> BatteryView:
    """The outlet's battery now, read as the engine reads it at each cycle."""
    facts = planner.outlet_facts(
        outlet, time.monotonic() if monotonic_now is None else monotonic_now
    )
    latest = freshest((facts.agent_report, facts.sensor_report))
    age = None if latest is None else int(latest.age_s // 60)
    if (used := usable_report(facts, planner.battery_max_age_s)) is not None:
        source = (
            BatterySource.REPORTER if used is facts.agent_report else BatterySource.HOME_ASSISTANT
        )
        return BatteryView(used.percent, source, age, stale=False)
    stale = latest is not None
    result = planner.result
    decision = None if result is None else result.decision(outlet.id)
    if decision is not None and decision.estimated and decision.percent is not None:
        return BatteryView(decision.percent, BatterySource.ESTIMATE, age, stale)
    return BatteryView(None, None, age, stale)


@dataclass(frozen=True, kw_only=True)
class SmartMultiBatterySensorEntityDescription(SensorEntityDescription):
    """The battery sensor of an outlet's device."""

    value_fn: Callable[[BatteryView], StateType]
    attributes_fn: Callable[[BatteryView], dict[str, Any]]


BATTERY_SENSOR = SmartMultiBatterySensorEntityDescription(
    key="battery",
    translation_key="battery",
    device_class=SensorDeviceClass.BATTERY,
    native_unit_of_measurement=PERCENTAGE,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=0,
    value_fn=lambda view: view.percent,
    attributes_fn=lambda view: {
        ATTR_SOURCE: None if view.source is None else view.source.value,
        ATTR_AGE: view.age,
        ATTR_STALE: view.stale,
    },
)


class SmartMultiBatterySensor(BalancingEntityMixin, SmartMultiOutletEntity, SensorEntity):
    """Follows the agent and the planner (each cycle, and each change of a mapped sensor)."""

    entity_description: SmartMultiBatterySensorEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        planner: StripPlanner,
        outlet_id: int,
        description: SmartMultiBatterySensorEntityDescription = BATTERY_SENSOR,
    ) -> None:
        super().__init__(coordinator, outlet_id, description.key)
        self.planner = planner
        self.entity_description = description
        self._view = BatteryView(None, None, None, stale=False)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._refresh()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._refresh()
        super()._handle_coordinator_update()

    @callback
    def _refresh(self) -> None:
        if self.available:
            self._view = battery_view(self.planner, self.outlet)

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self._view)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return self.entity_description.attributes_fn(self._view)
