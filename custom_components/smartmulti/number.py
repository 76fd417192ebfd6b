"""Numbers: the budgets (a strip's, a circuit's) and the max_outlets strategy's N.

They are set at run time (by a manager, or by a blueprint as tariffs change), are in force at
the next balancing cycle, which the change starts at once, and are restored after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntityDescription,
    NumberMode,
    RestoreNumber,
)
from homeassistant.const import EntityCategory, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .billing.entities import async_add_billing_numbers
from .coordinator import SmartMultiCoordinator
from .entity import BalancingEntityMixin, SmartMultiCircuitEntity, SmartMultiEntity
from .entry_kinds import (
    SmartMultiConfigEntry,
    is_billing_entry,
    is_circuit_entry,
    is_strip_entry,
)
from .orchestration import async_get_temporary_budgets
from .planning.circuits import CircuitPlanner
from .planning.strip import StripPlanner
from .selectors import finite_value

# Settings live in Home Assistant: setting one sends nothing by itself.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartMultiNumberEntityDescription(NumberEntityDescription):
    """A balancing setting of a strip; ``max_fn`` follows the strip (its limit, its outlets)."""

    value_fn: Callable[[StripPlanner], float]
    max_fn: Callable[[StripPlanner], float]
    set_fn: Callable[[StripPlanner, float], None]
    # Set by hand, it cancels the return of a temporary budget (smartmulti.set_budget with a
    # duration; orchestration.py): the latest decision wins.
    ends_temporary: bool = False


STRIP_NUMBERS: tuple[SmartMultiNumberEntityDescription, ...] = (
    # The strip's own budget; on a circuit it gets at most its share of the circuit's.
    SmartMultiNumberEntityDescription(
        key="budget",
        translation_key="budget",
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        native_min_value=0,
        native_step=1,
        mode=NumberMode.BOX,
        value_fn=lambda planner: planner.budget_w,
        max_fn=lambda planner: planner.data.state.hard_limit_w,
        set_fn=lambda planner, value: planner.async_set_budget(value),
        ends_temporary=True,
    ),
    # Only read by the max_outlets strategy; unset it is the outlet count (no limit).
    SmartMultiNumberEntityDescription(
        key="max_outlets",
        translation_key="max_outlets",
        entity_category=EntityCategory.CONFIG,
        native_min_value=1,
        native_step=1,
        mode=NumberMode.BOX,
        value_fn=lambda planner: planner.max_outlets,
        max_fn=lambda planner: len(planner.data.state.outlets),
        set_fn=lambda planner, value: planner.async_set_max_outlets(int(value)),
    ),
)

CIRCUIT_BUDGET = NumberEntityDescription(
    key="budget",
    translation_key="budget",
    device_class=NumberDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    native_min_value=0,
    native_step=1,
    mode=NumberMode.BOX,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartMultiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    if is_strip_entry(entry):
        data = entry.runtime_data
        async_add_entities(
            SmartMultiStripNumber(data.coordinator, data.planner, description)
            for description in STRIP_NUMBERS
        )
    elif is_circuit_entry(entry):
        async_add_entities([SmartMultiCircuitBudget(entry.runtime_data)])
    elif is_billing_entry(entry):
        async_add_billing_numbers(entry, async_add_entities)  # users' limits


async def _async_restored_value(number: RestoreNumber) -> float | None:
    """The value the number had before the restart, within its range now."""
    last = await number.async_get_last_number_data()
    if last is None or last.native_value is None or not math.isfinite(last.native_value):
        return None
    return min(max(last.native_value, number.native_min_value), number.native_max_value)


class SmartMultiStripNumber(BalancingEntityMixin, SmartMultiEntity, RestoreNumber):
    entity_description: SmartMultiNumberEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        planner: StripPlanner,
        description: SmartMultiNumberEntityDescription,
    ) -> None:
        super().__init__(coordinator, description.key)
        self.planner = planner
        self.entity_description = description

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        if (value := await _async_restored_value(self)) is not None:
            self.entity_description.set_fn(self.planner, value)

    @property
    def native_value(self) -> float:
        return self.entity_description.value_fn(self.planner)

    @property
    def native_max_value(self) -> float:
        return self.entity_description.max_fn(self.planner)

    async def async_set_native_value(self, value: float) -> None:
        value = finite_value(value)
        if self.entity_description.ends_temporary:
            await async_get_temporary_budgets(self.hass).async_cancel(self.planner.entry_id)
        self.entity_description.set_fn(self.planner, value)


class SmartMultiCircuitBudget(SmartMultiCircuitEntity, RestoreNumber):
    """The circuit's budget: at most its rating (set in the circuit's options)."""

    entity_description = CIRCUIT_BUDGET

    def __init__(self, circuit: CircuitPlanner) -> None:
        super().__init__(circuit, CIRCUIT_BUDGET.key)
        self._attr_native_max_value = circuit.rating_w

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        if (value := await _async_restored_value(self)) is not None:
            self.circuit.async_set_budget(value)

    @property
    def native_value(self) -> float:
        return self.circuit.limit_w

    async def async_set_native_value(self, value: float) -> None:
        value = finite_value(value)
        await async_get_temporary_budgets(self.hass).async_cancel(self.circuit.circuit_id)
        self.circuit.async_set_budget(value)
