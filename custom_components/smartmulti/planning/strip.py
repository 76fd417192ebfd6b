"""A strip's part in the site's planning: its settings, its inputs, the plan sent to its agent.

The site's scheduler (``scheduler.py``) runs the cycles; each strip's planner builds the
strip's input for the engine, turns the engine's answer into the plan its agent is sent
(``plan.py``), sends it, and asks for a cycle at once when something that matters changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util

from ..balancing import Strategy, StripInput, StripPlan
from ..balancing.facts import OutletFacts
from ..client import SmartMultiError
from ..client.models import Outlet, SmartMultiData
from ..const import (
    CONF_BALANCING_INTERVAL,
    CONF_BATTERY_MAX_AGE,
    CONF_BATTERY_SENSORS,
    CONF_CIRCUIT,
    DEFAULT_BALANCING_INTERVAL,
    DEFAULT_BATTERY_MAX_AGE,
    LOGGER,
    PLAN_TTL_CYCLES,
)
from ..coordinator import SmartMultiCoordinator
from ..hints import HintsSource, OutletHints
from ..listeners import Listeners
from .inputs import (
    MAX_BATTERY_MAX_AGE_S,
    StripSettings,
    balanced_outlets,
    cycle_triggers,
    outlet_facts,
    strip_input,
)
from .plan import Closing, CycleResult, Plan, closed_plan as build_closed_plan, open_plan
from .sender import PlanSender

# Releasing a plan at unload must not hold the unload long: the plan expires anyway.
RELEASE_TIMEOUT_S: Final = 3.0


class Site(Protocol):
    """What a strip's planner needs of the site's scheduler."""

    @property
    def closed(self) -> Mapping[str, Closing]: ...

    @property
    def footprints(self) -> dict[str, float]: ...

    def async_request_cycle(self) -> None: ...

    async def async_set_closing(self, entry_id: str, closing: Closing | None) -> None: ...

    def register_strip(self, strip: StripPlanner) -> None: ...

    def unregister_strip(self, strip: StripPlanner) -> None: ...


class StripPlanner(Listeners):
    """A strip's part in the site's planning (``entry.runtime_data.planner``).

    Its settings are changed by its entities (strategy, budget, max outlets, enabled) and by
    services; each change starts a cycle. The outlets' users (tiers, departures, limits that
    hold an outlet off) are read from the hints source it follows (the ledger).

    ``closing`` is set while the strip is shut down (``smartmulti.shutdown``): every cycle then
    sends the agent a closed plan (nothing on, off at expiry) instead of the engine's.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        coordinator: SmartMultiCoordinator,
        site: Site,
    ) -> None:
        super().__init__()
        self.hass = hass
        self.entry_id = entry.entry_id
        self.coordinator = coordinator
        self.client = coordinator.client
        self.sender = PlanSender(coordinator.client, coordinator.serial or entry.entry_id)
        self.site = site
        self.settings = StripSettings()
        self._hints_source: HintsSource | None = None
        self._unsub_hints: CALLBACK_TYPE | None = None
        self.result: CycleResult | None = None
        self.last_sent_budget_w: float | None = None
        self.interval = timedelta(seconds=DEFAULT_BALANCING_INTERVAL)
        self.circuit_id: str | None = None
        self.battery_sensors: dict[int, str] = {}
        self.battery_max_age_s = DEFAULT_BATTERY_MAX_AGE * 60.0
        self.last_input: StripInput | None = None  # what the engine was given last cycle
        self.options: dict[str, Any] = {}  # as last applied, to tell what an update changed
        self._unsub_coordinator: CALLBACK_TYPE | None = None
        self._unsub_sensors: CALLBACK_TYPE | None = None
        self.apply_options(entry.options)
        self._lock = asyncio.Lock()
        self.closing: Closing | None = site.closed.get(entry.entry_id)
        self._closed = False
        self._triggers: object = None

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
        return {} if self._hints_source is None else self._hints_source.outlet_hints(self.strip_id)

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
        return PLAN_TTL_CYCLES * self.interval.total_seconds()

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
        if self._unsub_coordinator is not None:  # started: the mapped sensors may have changed
            self._follow_battery_sensors()

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
        Manual "on" commands given before closing are handed back to automatic (so off), as
        the agent has them: the stream carries one answered a moment ago only with the agent's
        next sample. One given while closed is obeyed, for whoever stays late.
        """
        if self.closing is None or self.closing.include_exceptions != include_exceptions:
            since = dt_util.utcnow() if self.closing is None else self.closing.since
            self.closing = Closing(since=since, include_exceptions=include_exceptions)
            await self.site.async_set_closing(self.entry_id, self.closing)
            self.async_update_listeners()
        if not self.coordinator.last_update_success:
            return False
        delivered = await self.async_send(self.closed_plan())
        try:
            outlets = (await self.coordinator.client.state()).outlets
        except SmartMultiError:  # unanswered: the stream's last word is the best there is
            outlets = self.data.state.outlets
        for outlet in outlets.values():
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
        self._triggers = self._cycle_triggers()
        self._unsub_coordinator = self.coordinator.async_add_listener(self._strip_updated)
        self._follow_battery_sensors()
        self.site.register_strip(self)

    def _cycle_triggers(self) -> object:
        coordinator = self.coordinator
        return cycle_triggers(
            coordinator.data,
            available=coordinator.last_update_success,
            connections=coordinator.stream_connections,
        )

    @callback
    def _strip_updated(self) -> None:
        triggers = self._cycle_triggers()
        if triggers != self._triggers:
            self._triggers = triggers
            self.site.async_request_cycle()

    @callback
    def _follow_battery_sensors(self) -> None:
        if self._unsub_sensors is not None:
            self._unsub_sensors()
            self._unsub_sensors = None
        if entity_ids := sorted(set(self.battery_sensors.values())):
            self._unsub_sensors = async_track_state_change_event(
                self.hass, entity_ids, self._battery_sensor_changed
            )

    @callback
    def _battery_sensor_changed(self, _event: Event[EventStateChangedData]) -> None:
        """A mapped sensor's report is shown and planned at once, as the agent's reports are."""
        self.async_update_listeners()
        self.site.async_request_cycle()

    def outlet_facts(self, outlet: Outlet, monotonic_now: float) -> OutletFacts:
        """One outlet as the engine would be given it now (its user's hints aside)."""
        entity_id = self.battery_sensors.get(outlet.id)
        return outlet_facts(
            outlet,
            sensor=None if entity_id is None else self.hass.states.get(entity_id),
            agent_now=self.data.agent_time(monotonic_now),
            monotonic_now=monotonic_now,
            utcnow=dt_util.utcnow(),
        )

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

    def closed_plan(self, budget_w: float | None = None) -> Plan:
        """While closed: nothing on, and when the plan expires nothing on either (not failsafe).

        Exception outlets stay on unless the shutdown included them; the budget (the last one
        sent) still caps them and any outlet forced on by hand.
        """
        if budget_w is None:
            budget_w = self.last_sent_budget_w
        return build_closed_plan(
            self.budget_w if budget_w is None else budget_w,
            exceptions_on=self.closing is None or not self.closing.include_exceptions,
        )

    def plan_to_send(self, plan: StripPlan) -> Plan:
        """What to send: the engine's plan; with balancing off every balanced outlet on but
        those their user's limit holds off; closed, none."""
        if self.closing is not None:
            return self.closed_plan(plan.budget_w)
        data = self.data
        hints = self.hints
        return open_plan(
            plan,
            balanced=None
            if self.settings.enabled
            else [i for i in balanced_outlets(data) if not (i in hints and hints[i].held)],
            forced_on=[
                outlet.id
                for outlet in data.state.outlets.values()
                if outlet.override is True and not outlet.exception
            ],
            ttl_s=self.ttl_s,
        )

    async def async_send(self, plan: Plan) -> bool:
        """Send a plan; a failure is logged once per outage and is otherwise harmless."""
        async with self._lock:
            if self._closed:
                return False
            if self.closing is not None and not plan.closed:
                # Planned before a shutdown and sent after it: closed is what holds now. (A
                # closed plan sent just after a resume is followed by the resume's own cycle.)
                plan = self.closed_plan(plan.budget_w)
            if not await self.sender.async_send(plan, kept_for_s=self.ttl_s):
                return False
            self.last_sent_budget_w = plan.budget_w
            return True

    @callback
    def async_set_result(self, result: CycleResult) -> None:
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
        if self._unsub_sensors is not None:
            self._unsub_sensors()
            self._unsub_sensors = None
        self.site.unregister_strip(self)
        self._closed = True  # no plan is sent from now on
        if not self.coordinator.last_update_success:
            return  # unreachable: its plan expires on its own
        if self.closing is not None:
            return  # closed: its closed plan holds it off (the failsafe would switch on)
        try:
            async with asyncio.timeout(RELEASE_TIMEOUT_S):
                async with self._lock:  # a plan being sent goes out first, then is withdrawn
                    await self.client.clear_plan()
        except (SmartMultiError, TimeoutError) as err:
            LOGGER.debug("Could not release the plan of strip %s: %s", self.strip_id, err)
        else:  # its failsafe runs now: that is all its circuit needs to keep for it
            state = self.data.state
            self.site.footprints[self.entry_id] = min(state.hard_limit_w, state.failsafe_budget_w)
