"""The site's cycle: every strip and circuit of this Home Assistant, planned together.

One ``SiteScheduler`` per Home Assistant (``hass.data[SCHEDULER_KEY]``): strips on one circuit
share its budget, so they must be planned together, by one engine that remembers every strip
between cycles (``balancing.SiteBalancer``) and across entry reloads. It is domain-level state on
purpose; what belongs to one entry stays in that entry's ``runtime_data``: ``StripPlanner`` (a
strip's settings, inputs, last plan) and ``CircuitPlanner`` (a circuit's run-time budget).

A cycle: build every strip's input, split the circuits' budgets and plan each strip (in the
executor: a site of 100 strips takes about 100 ms), then send each agent its plan, valid for
``PLAN_TTL_CYCLES`` cycles. Strips whose budget or failsafe cap goes down are sent theirs
first, so that the strips' limits on a circuit never add up to more than the circuit's budget,
even for the few milliseconds between two sends (``sending.py``). A cycle runs every interval
(the shortest of the strips'), and at once on a change that matters (a setting, a budget, a
relay, a battery report, a laptop arriving, the agent restarting), at most once per
``CYCLE_COOLDOWN_S``; a change during a cycle starts another.

When an agent cannot be reached nothing is sent to it: it keeps its last plan until it expires,
then runs its own failsafe, within the cap its plans carry where it shares a circuit, so that
the strips stay within it together when Home Assistant stops (``circuits.failsafe_caps``).
Meanwhile its circuit keeps room for it (the most it may draw: its last plan's budget or its
failsafe budget), and so it does for a strip whose entry is not loaded (unloaded, disabled, or
not set up yet since Home Assistant started) until the entry is removed. For the last case the
site remembers each strip's hard limit and failsafe budget in its storage (``storage.py``):
until a plan's ttl after start-up the strip may still follow the previous run's plan, so it is
counted at its hard limit, then at its failsafe budget. What the engine learned of the laptops
is kept too (``engine_memory.py``): taken after each cycle, saved within a minute, taken up at
start-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
import threading
import time

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..balancing import Circuit, SiteBalancer, SitePlan, StripInput
from ..balancing.persist import EngineState
from ..const import (
    CONF_BALANCING_INTERVAL,
    CONF_CIRCUIT,
    CONF_MAX_POWER,
    CONF_PARENT,
    CYCLE_COOLDOWN_S,
    DEFAULT_BALANCING_INTERVAL,
    DOMAIN,
    LOGGER,
    PLAN_TTL_CYCLES,
)
from ..entry_kinds import CircuitConfigEntry, circuit_entries, is_strip_entry
from .circuits import (
    CircuitNode,
    CircuitPlanner,
    circuit_tree,
    failsafe_caps,
    keep_room,
    room_for_undelivered,
    with_removed,
)
from .engine_memory import EngineMemoryStore
from .plan import Closing
from .sending import async_send_plans
from .storage import KnownStrip, SiteStore
from .strip import StripPlanner

SCHEDULER_KEY: HassKey[SiteScheduler] = HassKey(f"{DOMAIN}_site")


@callback
def async_get_scheduler(hass: HomeAssistant) -> SiteScheduler:
    """The site's scheduler, created with the first entry that needs it."""
    if (scheduler := hass.data.get(SCHEDULER_KEY)) is None:
        scheduler = hass.data[SCHEDULER_KEY] = SiteScheduler(hass)
    return scheduler


class SiteScheduler:
    """Every strip and circuit of this Home Assistant, planned together."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.engine = SiteBalancer()
        self._engine_lock = threading.Lock()
        self.strips: dict[str, StripPlanner] = {}  # by entry id
        self.circuits: dict[str, CircuitPlanner] = {}  # by entry id
        # Strip entries unloaded during this run: the most their agent may draw.
        self.footprints: dict[str, float] = {}
        self.store = SiteStore(hass)
        self.memory = EngineMemoryStore(hass)
        self.started_at = time.monotonic()
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

    @property
    def closed(self) -> Mapping[str, Closing]:
        """Strips shut down (by entry id), until resumed."""
        return self.store.closed

    async def async_load(self) -> None:
        """What earlier runs learned of the strips (once, before the first entry plans)."""
        await self.store.async_load()
        if (found := await self.memory.async_load(dt_util.utcnow())) is not None:
            states, elapsed_s = found
            # Uncontended: no strip is registered before its entry's load, so no cycle runs.
            with self._engine_lock:
                self.engine.resume(states, now=time.monotonic(), elapsed_s=elapsed_s)

    async def async_set_closing(self, entry_id: str, closing: Closing | None) -> None:
        """Remember (or forget) that a strip is shut down, saved at once."""
        await self.store.async_set_closing(entry_id, closing)

    # ------------------------------------------------------------------ membership

    @callback
    def register_strip(self, strip: StripPlanner) -> None:
        self.strips[strip.entry_id] = strip
        self.footprints.pop(strip.entry_id, None)
        self.async_request_cycle()

    @callback
    def unregister_strip(self, strip: StripPlanner) -> None:
        if self.strips.pop(strip.entry_id, None) is None:
            return
        self.footprints[strip.entry_id] = strip.footprint_w
        if self.strips:
            self.async_request_cycle()
        else:
            self._stop()

    async def async_forget(self, entry_id: str, strip_id: str | None) -> None:
        """A strip entry was removed: its circuit no longer keeps room for it, and what the
        engine learned of its laptops (``strip_id``: its serial) is dropped."""
        self.footprints.pop(entry_id, None)
        if strip_id is not None:
            await self.hass.async_add_executor_job(self._forget, strip_id)
            self.memory.async_forget(strip_id)
        await self.store.async_forget(entry_id)
        self.async_request_cycle()

    @callback
    def register_circuit(self, circuit: CircuitPlanner) -> None:
        self.circuits[circuit.circuit_id] = circuit
        self.async_request_cycle()

    @callback
    def unregister_circuit(self, circuit: CircuitPlanner) -> None:
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
        footprints: dict[str, float] = {}  # the most each may draw when nobody plans it
        for strip in live:
            inputs[strip.strip_id] = strip.strip_input(monotonic_now, utcnow)
            placement[strip.strip_id] = strip.circuit_id
            state = strip.data.state
            footprints[strip.strip_id] = min(state.hard_limit_w, state.failsafe_budget_w)
        absent = self._absent() | room_for_undelivered(live)
        for absent_id, (circuit_id, watts) in absent.items():
            placement[absent_id], footprints[absent_id] = circuit_id, watts
        known = {
            s.entry_id: KnownStrip(s.data.state.hard_limit_w, footprints[s.strip_id]) for s in live
        }
        await self.store.async_remember(known)
        root = self._tree(placement)
        caps = failsafe_caps(root, footprints, absent)
        held = keep_room(root, {aid: footprints[aid] for aid in absent})
        site_plan, memory = await self.hass.async_add_executor_job(self._plan, held, inputs)
        # Every loaded strip's, planned this cycle or not (its agent unreachable for now).
        loaded = {strip.strip_id for strip in self.strips.values()}
        self.memory.async_remember({sid: m for sid, m in memory.items() if sid in loaded}, utcnow)
        self.cycles += 1
        self.last_root = root
        await self._async_send(live, site_plan, caps)
        self._update_circuits(root, live, site_plan)

    def _plan(
        self, root: Circuit | None, inputs: Mapping[str, StripInput]
    ) -> tuple[SitePlan, dict[str, EngineState]]:
        """In the executor. Cycles do not overlap, but a cancelled cycle's thread runs on.
        The engine's memory after the cycle is taken under the same lock."""
        with self._engine_lock:
            self.engine.root = root
            return self.engine.plan(inputs), self.engine.snapshot()

    def _forget(self, strip_id: str) -> None:
        """In the executor: the engine may be planning."""
        with self._engine_lock:
            self.engine.forget(strip_id)

    def _absent(self) -> dict[str, tuple[str, float]]:
        """Strips on a circuit that cannot be planned now, and the room to keep for each.

        Every strip entry counts, loaded or not, enabled or not, until it is removed: its agent
        runs on whether Home Assistant plans it or not.
        """
        absent: dict[str, tuple[str, float]] = {}
        since_start = time.monotonic() - self.started_at
        for entry in self.hass.config_entries.async_entries(DOMAIN, include_ignore=False):
            if not is_strip_entry(entry) or not (circuit_id := entry.options.get(CONF_CIRCUIT)):
                continue
            if (strip := self.strips.get(entry.entry_id)) is not None:
                if strip.ready:
                    continue
                watts = strip.footprint_w
            elif entry.entry_id in self.footprints:
                watts = self.footprints[entry.entry_id]
            elif (known := self.store.known.get(entry.entry_id)) is not None:
                # Not loaded since start-up: it may follow the last run's plan until it expires.
                ttl_s = PLAN_TTL_CYCLES * entry.options.get(
                    CONF_BALANCING_INTERVAL, DEFAULT_BALANCING_INTERVAL
                )
                watts = known.hard_limit_w if since_start < ttl_s else known.failsafe_w
            else:
                continue  # never planned: nothing is known of it
            absent[f"{entry.entry_id}:absent"] = (circuit_id, watts)
        return absent

    def _tree(self, placement: Mapping[str, str | None]) -> Circuit | None:
        """The circuits as configured (entries, loaded or not, enabled or not: a breaker holds
        whether Home Assistant uses its entry or not), with today's budgets; and the removed
        ones that entries still name, at their rating (``circuits.with_removed``)."""
        configured = {
            entry.entry_id: CircuitNode(
                title=entry.title,
                parent=entry.options.get(CONF_PARENT),
                limit_w=self._limit(entry),
            )
            for entry in circuit_entries(self.hass)
        }
        circuits = with_removed(configured, placement.values(), self.store.removed)
        return circuit_tree(circuits, placement)

    def _limit(self, entry: CircuitConfigEntry) -> float:
        if (circuit := self.circuits.get(entry.entry_id)) is not None:
            return circuit.limit_w
        # Not loaded (yet, or disabled): its rating holds until its entry restores the budget.
        return float(entry.options.get(CONF_MAX_POWER, 0.0))

    async def _async_send(
        self, live: list[StripPlanner], site_plan: SitePlan, caps: Mapping[str, float]
    ) -> None:
        """The cycle's sends, in their order (``sending.py``); apart, so they can be timed."""
        await async_send_plans(live, site_plan, caps)

    @callback
    def _update_circuits(
        self, root: Circuit | None, live: list[StripPlanner], site_plan: SitePlan
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
