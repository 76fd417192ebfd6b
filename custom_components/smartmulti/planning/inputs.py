"""What Home Assistant knows about a strip, turned into what the balancing engine needs.

Pure functions of the agent's state, Home Assistant's battery sensor states and the strip's
settings; no ``hass``, no I/O, so every rule here is tested on its own. The construction itself
(which report wins, what is stale, which outlets the engine sees) is ``balancing.facts``'s,
shared with the benchmark, so the engine is measured on what this code gives it; this module
only reads Home Assistant's types into it.

A battery sensor (the companion app, HASS.Agent, System Bridge) mapped to an outlet is a
report whose age is the time since Home Assistant last heard from it (``last_reported``: a
value repeated unchanged is still fresh); an unavailable, unknown or non-numeric state, or a
value outside 0–100, is no report. The strip's ``battery_max_age`` option is the staleness
limit (the engine's own ``report_max_age_s`` caps it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import math
from typing import Final

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import State

from ..balancing import BatteryReport, Settings, Strategy, StripInput
from ..balancing.facts import OutletFacts, strip_input as observed_strip_input
from ..client.models import Outlet, SmartMultiData
from ..const import DEFAULT_BATTERY_MAX_AGE
from ..hints import NO_HINTS, OutletHints

DEFAULT_BATTERY_MAX_AGE_S: Final = DEFAULT_BATTERY_MAX_AGE * 60.0
# The engine ignores older reports whatever Home Assistant gives it: the option stops there.
MAX_BATTERY_MAX_AGE_S: Final = Settings().report_max_age_s


@dataclass(slots=True)
class StripSettings:
    """A strip's balancing settings, changed at run time by its entities and by services.

    ``budget_w`` None means "the strip's hard limit"; ``max_outlets`` None means "no limit".
    """

    enabled: bool = True
    strategy: Strategy = Strategy.SMART
    budget_w: float | None = None
    max_outlets: int | None = None


def agent_battery(outlet: Outlet, agent_now: float) -> BatteryReport | None:
    """The agent's last report for the outlet, aged on the agent's own clock."""
    battery = outlet.battery
    if battery is None:
        return None
    age = 0.0 if battery.reported_at is None else max(0.0, agent_now - battery.reported_at)
    return BatteryReport(percent=battery.percent, plugged=battery.plugged, age_s=age)


def sensor_battery(state: State | None, now: datetime, *, plugged: bool) -> BatteryReport | None:
    """A Home Assistant battery sensor's state as a report; None when it says nothing usable.

    A battery sensor does not say which outlet its laptop is plugged into, so ``plugged`` is the
    outlet's relay (the engine does not rely on it).
    """
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        percent = float(state.state)
    except ValueError:
        return None
    if not math.isfinite(percent) or not 0.0 <= percent <= 100.0:
        return None
    age = max(0.0, (now - state.last_reported).total_seconds())
    return BatteryReport(percent=percent, plugged=plugged, age_s=age)


class BatterySource(StrEnum):
    """Where the battery percent the balancer uses comes from."""

    REPORTER = "reporter"  # the laptop's reporter, through the agent
    HOME_ASSISTANT = "home_assistant"  # a Home Assistant battery sensor mapped to the outlet
    ESTIMATE = "estimate"  # the engine's estimate from the measured power


def outlet_facts(
    outlet: Outlet,
    *,
    sensor: State | None,
    hint: OutletHints = NO_HINTS,
    agent_now: float,
    monotonic_now: float,
    utcnow: datetime,
) -> OutletFacts:
    """One outlet as Home Assistant knows it, on its monotonic clock: the engine's input and
    the battery sensor are both read from this (``balancing.facts`` applies the battery rule).
    """
    departure_at = (
        None
        if hint.departure is None
        else monotonic_now + (hint.departure - utcnow).total_seconds()
    )
    return OutletFacts(
        outlet_id=outlet.id,
        relay_on=outlet.relay,
        power_w=outlet.power_w,
        max_power_w=outlet.max_power_w,
        drawn_max_w=outlet.drawn_max_w,
        exception=outlet.exception,
        override=outlet.override,
        fault=outlet.fault is not None,
        seconds_since_switch=None
        if outlet.last_switch_at is None
        else max(0.0, agent_now - outlet.last_switch_at),
        found_empty=outlet.found_empty,
        agent_report=agent_battery(outlet, agent_now),
        sensor_report=sensor_battery(sensor, utcnow, plugged=outlet.relay),
        tier=hint.tier,
        departure_at=departure_at,
        target_percent=hint.target_percent,
        held=hint.held,
    )


def balanced_outlets(data: SmartMultiData) -> list[int]:
    """Outlets the plan decides: not exception outlets, not held on or off by hand."""
    return [
        outlet.id
        for outlet in data.state.outlets.values()
        if not outlet.exception and outlet.override is None
    ]


def strip_input(
    data: SmartMultiData,
    *,
    strip_id: str,
    settings: StripSettings,
    monotonic_now: float,
    utcnow: datetime,
    sensors: Mapping[int, State | None],
    hints: Mapping[int, OutletHints],
    stale: bool,
    battery_max_age_s: float = DEFAULT_BATTERY_MAX_AGE_S,
    closed: bool = False,
    exceptions_off: bool = False,
) -> StripInput:
    """One strip's facts for one cycle, on Home Assistant's monotonic clock.

    An outlet forced on by hand is given to the engine as an exception (it will not be switched
    and its draw comes off the budget first); one forced off is left out, and so is every
    outlet a closed strip keeps off (``closed``; its exception outlets too with
    ``exceptions_off``), so that the strip asks its circuit only for what stays on. ``stale`` (the event
    stream is down, the state may be a poll old) makes the engine count every outlet at its
    maximum. Battery reports older than ``battery_max_age_s`` are left out. A simulated strip
    whose world runs faster than real time is planned on its laptops' time (its agent's
    ``time_scale``), the battery age limit too.
    """
    state = data.state
    agent_now = data.agent_time(monotonic_now)
    facts = [
        outlet_facts(
            outlet,
            sensor=sensors.get(outlet.id),
            hint=hints.get(outlet.id, NO_HINTS),
            agent_now=agent_now,
            monotonic_now=monotonic_now,
            utcnow=utcnow,
        )
        for outlet in state.outlets.values()
    ]
    return observed_strip_input(
        facts,
        strip_id=strip_id,
        now=monotonic_now,
        budget_w=state.hard_limit_w if settings.budget_w is None else settings.budget_w,
        hard_limit_w=state.hard_limit_w,
        battery_max_age_s=battery_max_age_s,
        stale=stale,
        strategy=settings.strategy,
        min_on_s=state.min_on_s,
        min_off_s=state.min_off_s,
        max_on=settings.max_outlets,
        closed=closed,
        exceptions_off=exceptions_off,
        time_scale=data.info.time_scale,
    )


def cycle_triggers(data: SmartMultiData, *, available: bool, connections: int) -> object:
    """The facts whose change is worth a cycle now rather than at the next interval.

    Not the power readings (they move all the time; the interval follows them), but a laptop
    appearing or leaving on an outlet that is on, relays, settings, faults, battery reports
    (plugged and percent), the agent's mode, and the connection: an agent back after an outage,
    or that restarted, may have lost its plan (``available``, ``connections``: the event
    stream's count of connections). The scheduler's cooldown bounds how often the
    changes start a cycle.
    """
    state = data.state
    return (
        available,
        connections,
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
                outlet.drawn_max_w,
                None if outlet.battery is None else outlet.battery.plugged,
                None if outlet.battery is None else outlet.battery.percent,
            )
            for outlet in state.outlets.values()
        ),
    )
