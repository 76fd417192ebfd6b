"""Closing hours and budgets as service actions, for managers and blueprints.

``smartmulti.shutdown`` / ``smartmulti.resume`` close and open strips (``StripPlanner``
keeps the closed state, the site's storage keeps it across restarts); ``smartmulti.set_budget``
sets a strip's or a circuit's budget, for a while if asked. The blueprints in
``blueprints/automation/smartmulti/`` call these (``docs/blueprints.md``).

A temporary budget's return is kept in storage (``TemporaryBudgets``), so a boost for an hour
still ends if Home Assistant restarts meanwhile. Another ``set_budget``, or a manager setting
the budget entity, cancels the pending return: the latest decision wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    config_validation as cv,
)
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .billing.ledger import async_get_ledger
from .billing.store import stored_datetime
from .compat import vol
from .const import DOMAIN, LOGGER
from .entry_kinds import is_circuit_entry, strip_entries
from .planning.circuits import CircuitPlanner
from .planning.plan import Closing
from .planning.scheduler import async_get_scheduler
from .planning.strip import StripPlanner
from .stored_data import StoredData
from .targets import TargetKind, async_resolve_targets, has_targets, validation_error

SERVICE_SHUTDOWN: Final = "shutdown"
SERVICE_RESUME: Final = "resume"
SERVICE_SET_BUDGET: Final = "set_budget"
ATTR_INCLUDE_EXCEPTIONS: Final = "include_exceptions"
ATTR_POWER: Final = "power"
ATTR_DURATION: Final = "duration"

# Targets are optional: none means every strip.
TARGETS_SCHEMA: Final = vol.Schema(cv.TARGET_SERVICE_FIELDS)
SHUTDOWN_SCHEMA: Final = TARGETS_SCHEMA.extend(
    {vol.Optional(ATTR_INCLUDE_EXCEPTIONS, default=False): cv.boolean}
)
RESUME_SCHEMA: Final = TARGETS_SCHEMA
SET_BUDGET_SCHEMA: Final = TARGETS_SCHEMA.extend(
    {
        vol.Required(ATTR_POWER): vol.All(vol.Coerce(float), vol.Range(min=0)),
        vol.Optional(ATTR_DURATION): vol.All(
            cv.time_period, cv.positive_timedelta, vol.Range(min=timedelta(seconds=1))
        ),
    }
)

BUDGETS_KEY: HassKey[TemporaryBudgets] = HassKey(f"{DOMAIN}_budgets")
BUDGETS_STORAGE_KEY: Final = f"{DOMAIN}.budgets"
BUDGETS_STORAGE_VERSION: Final = 1

type BudgetHolder = StripPlanner | CircuitPlanner


@callback
def async_setup_orchestration_services(hass: HomeAssistant) -> None:
    hass.services.async_register(DOMAIN, SERVICE_SHUTDOWN, _async_shutdown, schema=SHUTDOWN_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_RESUME, _async_resume, schema=RESUME_SCHEMA)
    hass.services.async_register(
        DOMAIN, SERVICE_SET_BUDGET, _async_set_budget, schema=SET_BUDGET_SCHEMA
    )


# ---------------------------------------------------------------------- shutdown and resume


async def _async_shutdown(call: ServiceCall) -> None:
    """Close the targeted strips (all if none): loaded ones now, the others when they load."""
    hass = call.hass
    include_exceptions: bool = call.data[ATTR_INCLUDE_EXCEPTIONS]
    entries = _strip_targets(hass, call)
    site = async_get_scheduler(hass)
    await site.async_load()
    pending: list[str] = []
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            planner: StripPlanner = entry.runtime_data.planner
            if not await planner.async_shut_down(include_exceptions):
                pending.append(entry.title)
        else:  # set up later (its agent was offline at start-up): it starts closed
            if entry.entry_id not in site.closed:
                closing = Closing(since=dt_util.utcnow(), include_exceptions=include_exceptions)
                await site.async_set_closing(entry.entry_id, closing)
            pending.append(entry.title)
    # Whoever is still on an outlet after closing is no longer billed for it.
    async_get_ledger(hass).async_end_sessions_at_closing({entry.entry_id for entry in entries})
    if pending:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="shutdown_pending",
            translation_placeholders={"names": ", ".join(sorted(pending))},
        )


async def _async_resume(call: ServiceCall) -> None:
    """Open the targeted strips (all if none)."""
    hass = call.hass
    site = async_get_scheduler(hass)
    await site.async_load()
    pending: list[str] = []
    for entry in _strip_targets(hass, call):
        if entry.state is ConfigEntryState.LOADED:
            planner: StripPlanner = entry.runtime_data.planner
            await planner.async_resume()
            if not planner.coordinator.last_update_success:
                pending.append(entry.title)
        else:
            await site.async_set_closing(entry.entry_id, None)
    if pending:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="resume_pending",
            translation_placeholders={"names": ", ".join(sorted(pending))},
        )


@callback
def _strip_targets(hass: HomeAssistant, call: ServiceCall) -> list[ConfigEntry[Any]]:
    """The strip entries a call targets: strip devices, their entities, areas; none is all."""
    if not has_targets(call):
        return list(strip_entries(hass))
    targets = async_resolve_targets(hass, call, {TargetKind.STRIP}, refused_key="not_a_strip")
    strips = {target.entry.entry_id: target.entry for target in targets}
    return sorted(strips.values(), key=lambda entry: (entry.title, entry.entry_id))


# ---------------------------------------------------------------------- budgets


async def _async_set_budget(call: ServiceCall) -> None:
    """Set the budget of the targeted strips and circuits, for ``duration`` if given."""
    hass = call.hass
    watts: float = call.data[ATTR_POWER]
    duration: timedelta | None = call.data.get(ATTR_DURATION)
    holders = _budget_targets(hass, call)
    for entry, holder in holders:  # every target is checked before any is changed
        highest = _max_budget(holder)
        if watts > highest:
            raise validation_error(
                "budget_too_high",
                name=entry.title,
                power=f"{watts:g}",
                max=f"{highest:g}",
            )
    budgets = async_get_temporary_budgets(hass)
    for entry, holder in holders:
        await budgets.async_set(entry.entry_id, holder, watts, duration)


def _max_budget(holder: BudgetHolder) -> float:
    if isinstance(holder, CircuitPlanner):
        return holder.rating_w
    return holder.data.state.hard_limit_w


@callback
def _budget_targets(
    hass: HomeAssistant, call: ServiceCall
) -> list[tuple[ConfigEntry[Any], BudgetHolder]]:
    """The strips and circuits a call targets (their devices, or entities of them)."""
    if not has_targets(call):
        raise validation_error("no_budget_target")
    found: dict[str, tuple[ConfigEntry[Any], BudgetHolder]] = {}
    for target in async_resolve_targets(
        hass, call, {TargetKind.STRIP, TargetKind.CIRCUIT}, refused_key="not_a_budget_target"
    ):
        entry = target.entry
        if entry.state is not ConfigEntryState.LOADED:
            key = "circuit_not_loaded" if is_circuit_entry(entry) else "strip_not_loaded"
            raise validation_error(key, name=entry.title)
        holder: BudgetHolder = (
            entry.runtime_data if is_circuit_entry(entry) else entry.runtime_data.planner
        )
        found[entry.entry_id] = (entry, holder)
    return sorted(found.values(), key=lambda item: (item[0].title, item[0].entry_id))


@dataclass(slots=True)
class PendingBudget:
    """The budget to put back at ``at`` (None: no budget, i.e. the limit or the rating)."""

    budget_w: float | None
    at: datetime

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingBudget:
        budget, at = data.get("budget_w"), stored_datetime(str(data["at"]))
        return cls(None if budget is None else float(budget), at)


class TemporaryBudgets:
    """Budgets set for a while (``set_budget`` with a duration), and when each one ends."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.pending: dict[str, PendingBudget] = {}  # by entry id
        self._holders: dict[str, BudgetHolder] = {}  # loaded entries
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._store: Store[dict[str, dict[str, dict[str, Any]]]] = Store(
            hass, BUDGETS_STORAGE_VERSION, BUDGETS_STORAGE_KEY
        )
        self._loaded = False

    async def async_load(self) -> None:
        if self._loaded:
            return
        stored = StoredData(BUDGETS_STORAGE_KEY, await self._store.async_load())
        for entry_id, pending in stored.mapping("pending", PendingBudget.from_dict).items():
            self.pending.setdefault(entry_id, pending)
        await stored.async_keep_damage_aside(self.hass)
        self._loaded = True

    async def _async_save(self) -> None:
        await self._store.async_save(
            {
                "pending": {
                    entry_id: {"budget_w": p.budget_w, "at": p.at.isoformat()}
                    for entry_id, p in self.pending.items()
                }
            }
        )

    async def async_attach(self, entry_id: str, holder: BudgetHolder) -> None:
        """An entry is set up (its budget entity restored): a budget due back is armed."""
        await self.async_load()
        self._holders[entry_id] = holder
        if entry_id in self.pending:
            self._arm(entry_id)

    @callback
    def async_detach(self, entry_id: str) -> None:
        """An entry unloads: its timer stops, its pending budget stays for the next setup."""
        self._holders.pop(entry_id, None)
        self._cancel_timer(entry_id)

    async def async_set(
        self, entry_id: str, holder: BudgetHolder, watts: float, duration: timedelta | None
    ) -> None:
        """Set a budget; with a duration, the one in force now comes back after it."""
        await self.async_load()
        self._holders[entry_id] = holder
        self._cancel_timer(entry_id)
        had_pending = self.pending.pop(entry_id, None) is not None
        if duration is not None:
            self.pending[entry_id] = PendingBudget(
                _budget_setting(holder), dt_util.utcnow() + duration
            )
            self._arm(entry_id)
        holder.async_set_budget(watts)
        if had_pending or duration is not None:
            await self._async_save()

    async def async_cancel(self, entry_id: str) -> None:
        """The budget was set by hand: it stays, nothing comes back."""
        self._cancel_timer(entry_id)
        if self.pending.pop(entry_id, None) is not None:
            await self._async_save()

    def _cancel_timer(self, entry_id: str) -> None:
        if (unsub := self._timers.pop(entry_id, None)) is not None:
            unsub()

    @callback
    def _arm(self, entry_id: str) -> None:
        self._cancel_timer(entry_id)
        job = HassJob(
            partial(self._restore, entry_id), f"{DOMAIN} budget restore", cancel_on_shutdown=True
        )
        self._timers[entry_id] = async_track_point_in_utc_time(
            self.hass, job, self.pending[entry_id].at
        )

    @callback
    def _restore(self, entry_id: str, _now: datetime) -> None:
        self._timers.pop(entry_id, None)
        if (pending := self.pending.pop(entry_id, None)) is None:
            return
        if (holder := self._holders.get(entry_id)) is not None:
            LOGGER.debug("Budget of %s back to %s W", entry_id, pending.budget_w)
            holder.async_set_budget(pending.budget_w)
        self.hass.async_create_task(self._async_save(), f"{DOMAIN} save budgets")

    async def async_forget(self, entry_ids: Iterable[str]) -> None:
        """Removed entries have no budget to come back."""
        await self.async_load()
        removed = False
        for entry_id in entry_ids:
            self.async_detach(entry_id)
            removed |= self.pending.pop(entry_id, None) is not None
        if removed:
            await self._async_save()


def _budget_setting(holder: BudgetHolder) -> float | None:
    """The budget as set (None: none set, the strip's limit or the circuit's rating holds)."""
    if isinstance(holder, CircuitPlanner):
        return holder.budget_w
    return holder.settings.budget_w


@callback
def async_get_temporary_budgets(hass: HomeAssistant) -> TemporaryBudgets:
    if (budgets := hass.data.get(BUDGETS_KEY)) is None:
        budgets = hass.data[BUDGETS_KEY] = TemporaryBudgets(hass)
    return budgets
