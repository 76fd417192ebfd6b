"""Balancing in Home Assistant: the site's cycle, each strip's part in it, each circuit's.

One ``SiteBalancing`` per Home Assistant (``hass.data[SITE_KEY]``): strips on one circuit share
its budget, so they must be planned together, by one engine that remembers every strip between
cycles (``balancing.SiteBalancer``) and across entry reloads. It is domain-level state on
purpose; what belongs to one entry stays in that entry's ``runtime_data``:
``StripBalancing`` (a strip's settings, inputs, last plan and lease) and ``CircuitBalancing``
(a circuit's run-time budget).

A cycle: build every strip's input, split the circuits' budgets and plan each strip (in the
executor: a site of 100 strips takes about 100 ms), then send each agent its plan with a lease
of ``LEASE_CYCLES`` cycles. Strips whose budget goes down are sent theirs first, so that the
strips' limits on a circuit never add up to more than the circuit's budget, even for the few
milliseconds between two sends. A cycle runs every interval (the shortest of the strips'), and
at once on a change that matters (a setting, a budget, a relay, a laptop arriving, the agent
restarting), at most once per ``CYCLE_COOLDOWN_S``; a change during a cycle starts another.

When an agent cannot be reached nothing is sent to it: it keeps its last plan until the lease
ends, then runs its own failsafe. Meanwhile its circuit keeps room for it (the most it may draw:
its last plan's budget or its failsafe budget), and so it does for a strip whose entry is not
loaded (unloaded, disabled, or not set up yet since Home Assistant started) until the entry is
removed. For the last case the site remembers each strip's hard limit and failsafe budget in
its storage: until a lease's length after start-up the strip may still follow the previous
run's plan, so it is counted at its hard limit, then at its failsafe budget.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import threading
import time
from typing import Any, Final, Literal, TypeGuard

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import SmartMultiClient, SmartMultiError, SmartMultiResponseError
from .balancing import (
    Circuit,
    OutletDecision,
    SiteBalancer,
    SitePlan,
    Strategy,
    StripInput,
    StripPlan,
)
from .const import (
    CONF_BALANCING_INTERVAL,
    CONF_BATTERY_MAX_AGE,
    CONF_BATTERY_SENSORS,
    CONF_CIRCUIT,
    CONF_KIND,
    CONF_MAX_POWER,
    CONF_PARENT,
    CYCLE_COOLDOWN_S,
    DEFAULT_BALANCING_INTERVAL,
    DEFAULT_BATTERY_MAX_AGE,
    DOMAIN,
    KIND_CIRCUIT,
    LEASE_CYCLES,
    LOGGER,
)
from .coordinator import SmartMultiConfigEntry, SmartMultiCoordinator, SmartMultiData
from .hints import HintsSource, OutletHints
from .inputs import (
    MAX_BATTERY_MAX_AGE_S,
    StripSettings,
    absent_strip_input,
    balanced_outlets,
    strip_input,
)
from .listeners import Listeners

SITE_KEY: HassKey[SiteBalancing] = HassKey(f"{DOMAIN}_site")
# The root that holds several top-level circuits (two buildings, or circuits with no common
# parent): it adds no limit of its own.
SITE_ROOT: Final = "site"
# Releasing a plan at unload must not hold the unload long: the lease ends anyway.
RELEASE_TIMEOUT_S: Final = 3.0
STORAGE_KEY: Final = f"{DOMAIN}.site"
STORAGE_VERSION: Final = 1
# A closed strip's lease (``smartmulti.shutdown``): renewed every cycle like any other, but
# long enough to cover a night if Home Assistant stops; at its end the agent stays off anyway.
CLOSED_LEASE_S: Final = 12 * 3600.0

type CircuitConfigEntry = ConfigEntry[CircuitBalancing]


def is_circuit_entry(entry: ConfigEntry[Any]) -> TypeGuard[CircuitConfigEntry]:
    """Circuit entries have a kind; strip entries (the agents) have none."""
    return entry.data.get(CONF_KIND) == KIND_CIRCUIT


@callback
def async_get_site(hass: HomeAssistant) -> SiteBalancing:
    """The site's balancing, created with the first entry that needs it."""
    if (site := hass.data.get(SITE_KEY)) is None:
        site = hass.data[SITE_KEY] = SiteBalancing(hass)
    return site


@dataclass(frozen=True, slots=True)
class Lease:
    """A plan as sent to the agent (``POST /api/v1/plan``)."""

    on: tuple[int, ...]
    priority: tuple[int, ...]
    budget_w: float
    ttl_s: float
    reserve_w: Mapping[int, float] = field(default_factory=dict)
    on_expiry: Literal["failsafe", "off"] = "failsafe"
    exceptions_on: bool = True

    @property
    def closed(self) -> bool:
        return self.on_expiry == "off"


@dataclass(frozen=True, slots=True)
class Closing:
    """A strip shut down (``smartmulti.shutdown``) until resumed; kept in the site's storage."""

    since: datetime
    include_exceptions: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "include_exceptions": self.include_exceptions}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Closing:
        since = dt_util.parse_datetime(str(data.get("since", ""))) or dt_util.utcnow()
        return cls(since=since, include_exceptions=bool(data.get("include_exceptions", False)))


@dataclass(frozen=True, slots=True)
class StripBalance:
    """One cycle's outcome for a strip: the engine's plan, and what the agent was sent."""

    plan: StripPlan
    enabled: bool
    lease: Lease
    sent: bool
    planned_at: datetime

    def decision(self, outlet_id: int) -> OutletDecision | None:
        return next((d for d in self.plan.outlets if d.outlet_id == outlet_id), None)


class StripBalancing(Listeners):
    """A strip's part in the site's balancing (``entry.runtime_data.balancing``).

    Its settings are changed by its entities (strategy, budget, max outlets, enabled) and by
    services; each change starts a cycle. The outlets' users (tiers, departures, limits that
    hold an outlet off) are read from the hints source it follows (the ledger).

    ``closing`` is set while the strip is shut down (``smartmulti.shutdown``): every cycle then
    sends the agent a closed plan (nothing on, off at expiry) instead of the engine's.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartMultiConfigEntry,
        coordinator: SmartMultiCoordinator,
        client: SmartMultiClient,
    ) -> None:
        super().__init__()
        self.hass = hass
        self.entry_id = entry.entry_id
        self.coordinator = coordinator
        self.client = client
        self.site = async_get_site(hass)
        self.settings = StripSettings()
        self._hints_source: HintsSource | None = None
        self._unsub_hints: CALLBACK_TYPE | None = None
        self.result: StripBalance | None = None
        self.last_sent_budget_w: float | None = None
        self.interval = timedelta(seconds=DEFAULT_BALANCING_INTERVAL)
        self.circuit_id: str | None = None
        self.battery_sensors: dict[int, str] = {}
        self.battery_max_age_s = DEFAULT_BATTERY_MAX_AGE * 60.0
        self.last_input: StripInput | None = None  # what the engine was given last cycle
        self.options: dict[str, Any] = {}  # as last applied, to tell what an update changed
        self.apply_options(entry.options)
        self._lock = asyncio.Lock()
        self.closing: Closing | None = self.site.closed.get(entry.entry_id)
        self._closed = False
        self._send_failed = False
        self._send_reserve = True  # until an older agent refuses the field
        self._signature: object = None
        self._unsub_coordinator: CALLBACK_TYPE | None = None

    @callback
    def follow_hints(self, source: HintsSource) -> None:
        """Read users' hints from ``source``; a change of them plans at once."""
        if self._unsub_hints is not None:
            self._unsub_hints()
        self._hints_source = source
        self._unsub_hints = source.async_add_hints_listener(
            self.strip_id, self.site.async_request_cycle
        )

    @property
    def hints(self) -> Mapping[int, OutletHints]:
        if self._hints_source is None:
            return {}
        return self._hints_source.outlet_hints(self.strip_id)

    @property
    def strip_id(self) -> str:
        """The engine's name for the strip: its serial."""
        return self.coordinator.serial or self.entry_id

    @property
    def ready(self) -> bool:
        """Planned this cycle: its agent answers and its entry is loaded."""
        return not self._closed and self.coordinator.last_update_success

    @property
    def data(self) -> SmartMultiData:
        return self.coordinator.data

    @property
    def ttl_s(self) -> float:
        return LEASE_CYCLES * self.interval.total_seconds()

    @property
    def budget_w(self) -> float:
        """The strip's own budget: its setting, or its hard limit when none is set."""
        if self.settings.budget_w is not None:
            return self.settings.budget_w
        return self.data.state.hard_limit_w

    @property
    def max_outlets(self) -> int:
        """N of the max_outlets strategy; unset, it is every outlet (no limit)."""
        if self.settings.max_outlets is not None:
            return self.settings.max_outlets
        return len(self.data.state.outlets)

    @property
    def footprint_w(self) -> float:
        """The most the strip may draw while Home Assistant cannot plan it."""
        last = self.last_sent_budget_w or 0.0
        data: SmartMultiData | None = self.coordinator.data  # None until the first refresh
        if data is None:
            return last
        state = data.state
        return max(last, min(state.hard_limit_w, state.failsafe_budget_w))

    @callback
    def apply_options(self, options: Mapping[str, Any]) -> None:
        """The entry's balancing options; applied in place, without a reload."""
        self.options = dict(options)
        self.interval = timedelta(
            seconds=options.get(CONF_BALANCING_INTERVAL, DEFAULT_BALANCING_INTERVAL)
        )
        self.circuit_id = options.get(CONF_CIRCUIT) or None
        self.battery_sensors = {
            int(outlet): entity_id
            for outlet, entity_id in options.get(CONF_BATTERY_SENSORS, {}).items()
        }
        self.battery_max_age_s = min(
            60.0 * options.get(CONF_BATTERY_MAX_AGE, DEFAULT_BATTERY_MAX_AGE),
            MAX_BATTERY_MAX_AGE_S,  # the engine ignores older reports anyway
        )

    # ------------------------------------------------------------------ settings

    @callback
    def async_set_enabled(self, enabled: bool) -> None:
        self._change(enabled=enabled)

    @callback
    def async_set_strategy(self, strategy: Strategy) -> None:
        self._change(strategy=strategy)

    @callback
    def async_set_budget(self, watts: float | None) -> None:
        self._change(budget_w=watts)

    @callback
    def async_set_max_outlets(self, count: int | None) -> None:
        self._change(max_outlets=count)

    async def async_shut_down(self, include_exceptions: bool) -> bool:
        """Close the strip: balanced outlets off now and until resumed; returns if delivered.

        The state is saved first, so a strip whose agent cannot be reached now is closed as
        soon as it answers, and one closed stays closed across a Home Assistant restart.
        Manual "on" commands given before closing are handed back to automatic (so off); one
        given while closed is obeyed, for whoever stays late.
        """
        if self.closing is None or self.closing.include_exceptions != include_exceptions:
            since = dt_util.utcnow() if self.closing is None else self.closing.since
            self.closing = Closing(since=since, include_exceptions=include_exceptions)
            await self.site.async_set_closing(self.entry_id, self.closing)
            self.async_update_listeners()
        if not self.coordinator.last_update_success:
            return False
        delivered = await self.async_send(self.closed_lease())
        for outlet in list(self.data.state.outlets.values()):
            if outlet.override is True and not outlet.exception:
                await self.coordinator.async_set_relay(outlet.id, None)
        self.site.async_request_cycle()
        return delivered

    async def async_resume(self) -> None:
        """Open the strip again: the next cycle (started now) sends the engine's plan."""
        if self.closing is None:
            return
        self.closing = None
        await self.site.async_set_closing(self.entry_id, None)
        self.async_update_listeners()
        self.site.async_request_cycle()

    @callback
    def _change(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.settings, name, value)
        self.async_update_listeners()
        self.site.async_request_cycle()

    # ------------------------------------------------------------------ the cycle's side

    @callback
    def async_start(self) -> None:
        """Join the site's cycle, and start one when the agent reports a change that matters."""
        self._signature = _signature(self.coordinator)
        self._unsub_coordinator = self.coordinator.async_add_listener(self._strip_updated)
        self.site.register_strip(self)

    @callback
    def _strip_updated(self) -> None:
        signature = _signature(self.coordinator)
        if signature != self._signature:
            self._signature = signature
            self.site.async_request_cycle()

    def strip_input(self, monotonic_now: float, utcnow: datetime) -> StripInput:
        sensors = {
            outlet_id: self.hass.states.get(entity_id)
            for outlet_id, entity_id in self.battery_sensors.items()
        }
        self.last_input = strip_input(
            self.data,
            strip_id=self.strip_id,
            settings=self.settings,
            monotonic_now=monotonic_now,
            utcnow=utcnow,
            sensors=sensors,
            hints=self.hints,
            stale=not self.coordinator.stream_connected,
            battery_max_age_s=self.battery_max_age_s,
            closed=self.closing is not None,
            exceptions_off=self.closing is not None and self.closing.include_exceptions,
        )
        return self.last_input

    def closed_lease(self, budget_w: float | None = None) -> Lease:
        """While closed: nothing on, and at the lease's end nothing on either (not failsafe).

        Exception outlets stay on unless the shutdown included them; the budget (the last one
        sent) still caps them and any outlet forced on by hand.
        """
        if budget_w is None:
            budget_w = self.last_sent_budget_w
        return Lease(
            on=(),
            priority=(),
            budget_w=round(self.budget_w if budget_w is None else budget_w, 1),
            ttl_s=CLOSED_LEASE_S,
            on_expiry="off",
            exceptions_on=self.closing is None or not self.closing.include_exceptions,
        )

    def lease(self, plan: StripPlan) -> Lease:
        """What to send: the plan, with balancing off every balanced outlet on, closed none.

        Either way the budget is the strip's share, which the agent's guard enforces. Outlets
        forced on by hand come first in the priority (shed last).
        """
        if self.closing is not None:
            return self.closed_lease(plan.budget_w)
        data = self.data
        forced_on = [
            outlet.id
            for outlet in data.state.outlets.values()
            if outlet.override is True and not outlet.exception
        ]
        if self.settings.enabled:
            on = set(plan.on)
        else:  # every balanced outlet on, except those their user's limit holds off
            hints = self.hints
            on = {i for i in balanced_outlets(data) if not (i in hints and hints[i].held)}
        return Lease(
            on=tuple(sorted(on | set(plan.exceptions))),
            priority=(*forced_on, *(i for i in plan.priority if i not in forced_on)),
            budget_w=round(plan.budget_w, 1),
            ttl_s=self.ttl_s,
            reserve_w={
                outlet: round(watts, 1)
                for outlet, watts in sorted(plan.reserve_w.items())
                if outlet in on and watts > 0
            },
        )

    async def async_send(self, lease: Lease) -> bool:
        """Send a plan; a failure is logged once per outage and is otherwise harmless."""
        async with self._lock:
            if self._closed:
                return False
            if self.closing is not None and not lease.closed:
                # Planned before a shutdown and sent after it: closed is what holds now. (A
                # closed plan sent just after a resume is followed by the resume's own cycle.)
                lease = self.closed_lease(lease.budget_w)
            try:
                await self._async_post(lease)
            except SmartMultiError as err:
                if not self._send_failed:
                    LOGGER.warning(
                        "Cannot send the balancing plan to SmartMulti strip %s: %s; it keeps "
                        "its last plan for up to %.0f s, then runs its own failsafe",
                        self.strip_id,
                        err,
                        self.ttl_s,
                    )
                self._send_failed = True
                return False
            if self._send_failed:
                LOGGER.info("SmartMulti strip %s accepts balancing plans again", self.strip_id)
                self._send_failed = False
            self.last_sent_budget_w = lease.budget_w
            return True

    async def _async_post(self, lease: Lease) -> None:
        reserve = lease.reserve_w if self._send_reserve else None
        try:
            await self.client.send_plan(
                on=lease.on,
                priority=lease.priority,
                budget_w=lease.budget_w,
                ttl_s=lease.ttl_s,
                on_expiry=lease.on_expiry,
                exceptions_on=lease.exceptions_on,
                reserve_w=reserve,
            )
        except SmartMultiResponseError as err:
            if not reserve or err.status != 422 or not (err.field or "").startswith("reserve_w"):
                raise
            LOGGER.info(
                "SmartMulti strip %s does not take reserves in plans (agent too old): "
                "its admission counts outlets switching on at their maximum",
                self.strip_id,
            )
            self._send_reserve = False
            await self._async_post(lease)

    @callback
    def async_set_result(self, result: StripBalance) -> None:
        self.result = result
        self.async_update_listeners()

    async def async_release(self) -> None:
        """Leave the site and hand the strip to its failsafe at once (entry unload)."""
        if self._unsub_coordinator is not None:
            self._unsub_coordinator()
            self._unsub_coordinator = None
        if self._unsub_hints is not None:
            self._unsub_hints()
            self._unsub_hints = None
        self.site.unregister_strip(self)
        self._closed = True  # no plan is sent from now on
        if not self.coordinator.last_update_success:
            return  # unreachable: the lease ends on its own
        if self.closing is not None:
            return  # closed: its closed lease holds it off (the failsafe would switch on)
        try:
            async with asyncio.timeout(RELEASE_TIMEOUT_S):
                async with self._lock:  # a plan being sent goes out first, then is withdrawn
                    await self.client.clear_plan()
        except (SmartMultiError, TimeoutError) as err:
            LOGGER.debug("Could not release the plan of strip %s: %s", self.strip_id, err)
        else:  # its failsafe runs now: that is all its circuit needs to keep for it
            state = self.data.state
            self.site.footprints[self.entry_id] = min(state.hard_limit_w, state.failsafe_budget_w)


def _signature(coordinator: SmartMultiCoordinator) -> object:
    """The facts whose change is worth a cycle now rather than at the next interval.

    Not the power readings (they move all the time; the interval follows them), but a laptop
    appearing or leaving on an outlet that is on, relays, settings, faults, reporters, the
    agent's mode, and the connection: an agent back after an outage, or that restarted, may
    have lost its plan.
    """
    state = coordinator.data.state
    return (
        coordinator.last_update_success,
        coordinator.stream_connections,
        state.mode,
        state.hard_limit_w,
        state.plan is None,
        tuple(
            (
                outlet.id,
                outlet.relay,
                outlet.exception,
                outlet.override,
                outlet.fault is not None,
                outlet.idle,
                outlet.max_power_w,
                None if outlet.battery is None else outlet.battery.plugged,
            )
            for outlet in state.outlets.values()
        ),
    )


class CircuitBalancing(Listeners):
    """A circuit entry's run-time state (``entry.runtime_data``): its budget and its figures.

    The rating (``max_power`` option) is the most the circuit may carry; the budget, set at run
    time, may only be lower. ``power_w`` (measured) and ``allocated_w`` (the strips' shares)
    are the sums over the strips below it at the last cycle.
    """

    def __init__(self, hass: HomeAssistant, entry: CircuitConfigEntry) -> None:
        super().__init__()
        self.circuit_id = entry.entry_id
        self.name = entry.title
        self.rating_w = float(entry.options.get(CONF_MAX_POWER, 0.0))
        self.budget_w: float | None = None
        self.power_w: float | None = None
        self.allocated_w: float | None = None
        self.site = async_get_site(hass)

    @property
    def limit_w(self) -> float:
        """What the engine gives the circuit: its budget, never above its rating."""
        budget = self.rating_w if self.budget_w is None else self.budget_w
        return max(0.0, min(budget, self.rating_w))

    @callback
    def async_set_budget(self, watts: float | None) -> None:
        self.budget_w = watts
        self.async_update_listeners()
        self.site.async_request_cycle()

    @callback
    def async_set_figures(self, power_w: float, allocated_w: float) -> None:
        if (power_w, allocated_w) != (self.power_w, self.allocated_w):
            self.power_w, self.allocated_w = power_w, allocated_w
            self.async_update_listeners()


@dataclass(frozen=True, slots=True)
class KnownStrip:
    """What a strip may draw with no plan from this Home Assistant (kept in storage)."""

    hard_limit_w: float
    failsafe_w: float  # its failsafe budget, within its hard limit


class SiteBalancing:
    """Every strip and circuit of this Home Assistant, planned together."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.engine = SiteBalancer()
        self._engine_lock = threading.Lock()
        self.strips: dict[str, StripBalancing] = {}  # by entry id
        self.circuits: dict[str, CircuitBalancing] = {}  # by entry id
        # Strip entries unloaded during this run: the most their agent may draw.
        self.footprints: dict[str, float] = {}
        # Every strip ever planned, by entry id: for those not loaded (yet) after a restart.
        self.known: dict[str, KnownStrip] = {}
        # Strips shut down (by entry id), until resumed: a restart must not open them.
        self.closed: dict[str, Closing] = {}
        self.started_at = time.monotonic()
        self._store: Store[dict[str, dict[str, dict[str, Any]]]] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY
        )
        self._loaded = asyncio.Lock()
        self._load_done = False
        self.cycles = 0
        self.last_root: Circuit | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending = False
        self._unsub_cooldown: asyncio.TimerHandle | None = None
        self._unsub_interval: CALLBACK_TYPE | None = None
        self._interval_job = HassJob(
            self._interval_elapsed, "smartmulti balancing interval", cancel_on_shutdown=True
        )

    # ------------------------------------------------------------------ storage

    async def async_load(self) -> None:
        """What earlier runs learned of the strips (once, before the first entry plans)."""
        async with self._loaded:
            if self._load_done:
                return
            data = await self._store.async_load() or {}
            self.known = {
                entry_id: KnownStrip(**figures)
                for entry_id, figures in data.get("strips", {}).items()
            }
            self.closed = {
                entry_id: Closing.from_dict(closing)
                for entry_id, closing in data.get("closed", {}).items()
            }
            self._load_done = True

    async def _async_remember(self, live: list[StripBalancing]) -> None:
        changed = False
        for strip in live:
            state = strip.data.state
            known = KnownStrip(
                hard_limit_w=state.hard_limit_w,
                failsafe_w=min(state.hard_limit_w, state.failsafe_budget_w),
            )
            if self.known.get(strip.entry_id) != known:
                self.known[strip.entry_id] = known
                changed = True
        if changed:
            await self._async_save()

    async def _async_save(self) -> None:
        await self._store.async_save(
            {
                "strips": {
                    entry_id: {"hard_limit_w": k.hard_limit_w, "failsafe_w": k.failsafe_w}
                    for entry_id, k in self.known.items()
                },
                "closed": {entry_id: c.as_dict() for entry_id, c in self.closed.items()},
            }
        )

    async def async_set_closing(self, entry_id: str, closing: Closing | None) -> None:
        """Remember (or forget) that a strip is shut down, saved at once."""
        if closing is None:
            if self.closed.pop(entry_id, None) is None:
                return
        else:
            self.closed[entry_id] = closing
        await self._async_save()

    # ------------------------------------------------------------------ membership

    @callback
    def register_strip(self, strip: StripBalancing) -> None:
        self.strips[strip.entry_id] = strip
        self.footprints.pop(strip.entry_id, None)
        self.async_request_cycle()

    @callback
    def unregister_strip(self, strip: StripBalancing) -> None:
        if self.strips.pop(strip.entry_id, None) is None:
            return
        self.footprints[strip.entry_id] = strip.footprint_w
        if self.strips:
            self.async_request_cycle()
        else:
            self._stop()

    async def async_forget(self, entry_id: str) -> None:
        """A strip entry was removed: its circuit no longer keeps room for it."""
        self.footprints.pop(entry_id, None)
        known = self.known.pop(entry_id, None)
        if self.closed.pop(entry_id, None) is not None or known is not None:
            await self._async_save()
        self.async_request_cycle()

    @callback
    def register_circuit(self, circuit: CircuitBalancing) -> None:
        self.circuits[circuit.circuit_id] = circuit
        self.async_request_cycle()

    @callback
    def unregister_circuit(self, circuit: CircuitBalancing) -> None:
        self.circuits.pop(circuit.circuit_id, None)
        self.async_request_cycle()

    # ------------------------------------------------------------------ scheduling

    @property
    def interval(self) -> timedelta:
        """The shortest of the strips' intervals: every strip is planned every cycle."""
        return min(
            (strip.interval for strip in self.strips.values()),
            default=timedelta(seconds=DEFAULT_BALANCING_INTERVAL),
        )

    @callback
    def async_request_cycle(self) -> None:
        """A cycle now, or at the end of the cooldown, or after the one running."""
        if not self.strips:
            return
        self._pending = True
        if self._task is None and self._unsub_cooldown is None:
            self._start_cycle()

    @callback
    def _start_cycle(self) -> None:
        self._pending = False
        if self._unsub_interval is not None:
            self._unsub_interval()
            self._unsub_interval = None
        # Not eager: the task must be known as the running cycle before its first line runs.
        self._task = self.hass.async_create_background_task(
            self._async_cycle_guarded(), f"{DOMAIN} balancing cycle", eager_start=False
        )

    async def _async_cycle_guarded(self) -> None:
        try:
            await self._async_cycle()
        except Exception:
            # A bug must not stop balancing: the next cycle tries again.
            LOGGER.exception("Unexpected error in the SmartMulti balancing cycle")
        finally:
            # A cycle cancelled by _stop (the last strip unloading) may finish after a new
            # one started (the strip loading again): it must not touch the new one's state.
            if self._task is asyncio.current_task():
                self._task = None
                if self.strips:
                    self._arm_timers()

    @callback
    def _arm_timers(self) -> None:
        self._cancel_timers()
        self._unsub_cooldown = self.hass.loop.call_later(CYCLE_COOLDOWN_S, self._cooldown_over)
        self._unsub_interval = async_call_later(self.hass, self.interval, self._interval_job)

    @callback
    def _cancel_timers(self) -> None:
        if self._unsub_interval is not None:
            self._unsub_interval()
            self._unsub_interval = None
        if self._unsub_cooldown is not None:
            self._unsub_cooldown.cancel()
            self._unsub_cooldown = None

    @callback
    def _cooldown_over(self) -> None:
        self._unsub_cooldown = None
        if self._pending and self.strips:
            self._start_cycle()

    @callback
    def _interval_elapsed(self, _now: datetime) -> None:
        self._unsub_interval = None
        self.async_request_cycle()

    @callback
    def _stop(self) -> None:
        """No strip left: no timer may outlive the entries."""
        self._pending = False
        self._cancel_timers()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    # ------------------------------------------------------------------ one cycle

    async def _async_cycle(self) -> None:
        monotonic_now = time.monotonic()
        utcnow = dt_util.utcnow()
        live = [strip for strip in self.strips.values() if strip.ready]
        if not live:
            return
        inputs: dict[str, StripInput] = {}
        placement: dict[str, str | None] = {}
        for strip in live:
            inputs[strip.strip_id] = strip.strip_input(monotonic_now, utcnow)
            placement[strip.strip_id] = strip.circuit_id
        for absent_id, (circuit_id, watts) in self._absent().items():
            inputs[absent_id] = absent_strip_input(absent_id, monotonic_now, watts)
            placement[absent_id] = circuit_id
        await self._async_remember(live)
        root = self._tree(placement)
        site_plan = await self.hass.async_add_executor_job(self._plan, root, inputs)
        self.cycles += 1
        self.last_root = root
        await self._async_send(live, site_plan)
        self._update_circuits(root, live, site_plan)

    def _plan(self, root: Circuit | None, inputs: Mapping[str, StripInput]) -> SitePlan:
        """In the executor. Cycles do not overlap, but a cancelled cycle's thread runs on."""
        with self._engine_lock:
            self.engine.root = root
            return self.engine.plan(inputs)

    def _absent(self) -> dict[str, tuple[str, float]]:
        """Strips on a circuit that cannot be planned now, and the room to keep for each.

        Every strip entry counts, loaded or not, enabled or not, until it is removed: its agent
        runs on whether Home Assistant plans it or not.
        """
        absent: dict[str, tuple[str, float]] = {}
        since_start = time.monotonic() - self.started_at
        for entry in self.hass.config_entries.async_entries(DOMAIN, include_ignore=False):
            if is_circuit_entry(entry) or not (circuit_id := entry.options.get(CONF_CIRCUIT)):
                continue
            if (strip := self.strips.get(entry.entry_id)) is not None:
                if strip.ready:
                    continue
                watts = strip.footprint_w
            elif entry.entry_id in self.footprints:
                watts = self.footprints[entry.entry_id]
            elif (known := self.known.get(entry.entry_id)) is not None:
                # Not loaded since start-up: it may follow the last run's plan for a lease.
                lease_s = LEASE_CYCLES * entry.options.get(
                    CONF_BALANCING_INTERVAL, DEFAULT_BALANCING_INTERVAL
                )
                watts = known.hard_limit_w if since_start < lease_s else known.failsafe_w
            else:
                continue  # never planned: nothing is known of it
            absent[f"{entry.entry_id}:absent"] = (circuit_id, watts)
        return absent

    def _tree(self, placement: Mapping[str, str | None]) -> Circuit | None:
        """The circuits as configured (entries, loaded or not), with today's budgets."""
        entries = {
            entry.entry_id: entry
            for entry in self.hass.config_entries.async_entries(
                DOMAIN, include_ignore=False, include_disabled=False
            )
            if is_circuit_entry(entry)
        }
        if not entries:
            return None
        parents: dict[str, str | None] = {
            cid: parent if (parent := entry.options.get(CONF_PARENT)) in entries else None
            for cid, entry in entries.items()
        }
        for cid in sorted(entries):  # a loop of parents (never offered by the flow) is cut
            seen: set[str] = set()
            node: str | None = cid
            while node is not None:
                if node in seen:
                    parents[node] = None
                    break
                seen.add(node)
                node = parents[node]
        children: dict[str | None, list[str]] = defaultdict(list)
        for cid in sorted(entries, key=lambda c: (entries[c].title, c)):
            children[parents[cid]].append(cid)
        strips: dict[str, list[str]] = defaultdict(list)
        for strip_id, circuit_id in placement.items():
            if circuit_id in entries:
                strips[circuit_id].append(strip_id)

        def build(cid: str) -> Circuit:
            return Circuit(
                circuit_id=cid,
                max_power_w=self._limit(entries[cid]),
                children=tuple(build(child) for child in children[cid]),
                strips=tuple(strips[cid]),
            )

        tops = [build(cid) for cid in children[None]]
        if len(tops) == 1:
            return tops[0]
        return Circuit(SITE_ROOT, sum(top.max_power_w for top in tops), children=tuple(tops))

    def _limit(self, entry: ConfigEntry[Any]) -> float:
        if (circuit := self.circuits.get(entry.entry_id)) is not None:
            return circuit.limit_w
        # Not loaded (yet): its rating holds until its entry restores the budget.
        return float(entry.options.get(CONF_MAX_POWER, 0.0))

    async def _async_send(self, live: list[StripBalancing], site_plan: SitePlan) -> None:
        """Lowered budgets first; if one cannot be delivered, nobody else's goes up."""
        leases = {strip: strip.lease(site_plan.plans[strip.strip_id]) for strip in live}
        previous = {
            strip: strip.last_sent_budget_w
            if strip.last_sent_budget_w is not None
            else strip.data.state.limit_w
            for strip in live
        }
        lowered = [s for s in live if leases[s].budget_w < previous[s]]
        raised = [s for s in live if s not in lowered]
        sent = dict(
            zip(
                lowered,
                await asyncio.gather(*(s.async_send(leases[s]) for s in lowered)),
                strict=True,
            )
        )
        if not all(sent.values()):
            for strip in raised:
                leases[strip] = replace(leases[strip], budget_w=previous[strip])
        sent.update(
            zip(
                raised,
                await asyncio.gather(*(s.async_send(leases[s]) for s in raised)),
                strict=True,
            )
        )
        planned_at = dt_util.utcnow()
        for strip in live:
            strip.async_set_result(
                StripBalance(
                    plan=site_plan.plans[strip.strip_id],
                    enabled=strip.settings.enabled,
                    lease=leases[strip],
                    sent=sent[strip],
                    planned_at=planned_at,
                )
            )

    @callback
    def _update_circuits(
        self, root: Circuit | None, live: list[StripBalancing], site_plan: SitePlan
    ) -> None:
        if root is None:
            return
        power = {strip.strip_id: strip.data.state.total_power_w for strip in live}
        for node in root.walk():
            if (circuit := self.circuits.get(node.circuit_id)) is None:
                continue
            below = [sid for sid in node.strip_ids() if sid in power]
            circuit.async_set_figures(
                power_w=round(sum(power[sid] for sid in below), 1),
                allocated_w=round(sum(site_plan.budgets[sid] for sid in below), 1),
            )


def circuit_options(hass: HomeAssistant, *, exclude: str | None = None) -> list[tuple[str, str]]:
    """Circuits a strip or a circuit may be put under: (entry id, title), by title.

    ``exclude`` (a circuit being edited) leaves out that circuit and every circuit below it,
    so no circuit can become its own ancestor.
    """
    circuits = [
        entry for entry in hass.config_entries.async_entries(DOMAIN) if is_circuit_entry(entry)
    ]
    parents = {entry.entry_id: entry.options.get(CONF_PARENT) for entry in circuits}

    def below_excluded(cid: str | None) -> bool:
        seen: set[str] = set()
        while cid is not None and cid not in seen:
            if cid == exclude:
                return True
            seen.add(cid)
            cid = parents.get(cid)
        return False

    return sorted(
        (
            (entry.entry_id, entry.title)
            for entry in circuits
            if exclude is None or not below_excluded(entry.entry_id)
        ),
        key=lambda item: (item[1], item[0]),
    )
