"""The simulated strip: laptops (the agent's physics), the agent's switching rules, metrics.

Every algorithm runs through the same agent model, so none is credited with switching the
real agent would refuse: a plan that switches an outlet off before its minimum on time (or on
before its minimum off time) waits; a switch-on is admitted only if the counted draw (measured
for settled outlets, ``max_power_w`` for ones switched on this step) plus the outlet's maximum
fits the limit; switch-ons are staggered; and the guard sheds from the end of the plan's
priority when the draw exceeds the limit, after its hold. World steps are ``step_s`` long and
the algorithm is asked once per step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import math
import time
from typing import Protocol

from balancing import BatteryReport, OutletInput, StripInput

from pi_agent.sim.physics import SECONDS_PER_HOUR, step

from .scenario import Device, Scenario

MIN_ON_S = 60.0
MIN_OFF_S = 30.0
STAGGER_S = 0.5
GUARD_HOLD_S = 2.0


@dataclass(frozen=True, slots=True)
class Present:
    """Ground truth about a present laptop, for the oracle baselines and ACN-Sim only."""

    device: Device
    soc: float


@dataclass(frozen=True, slots=True)
class Decision:
    """A plan as the agent receives it; ``reserve_w`` is the plan's optional per-outlet reserve."""

    on: frozenset[int]
    priority: tuple[int, ...]
    reserve_w: Mapping[int, float] = field(default_factory=dict)


class Policy(Protocol):
    name: str

    def reset(self, scenario: Scenario) -> None: ...

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision: ...


@dataclass(slots=True)
class Outcome:
    """One algorithm's run on one scenario: issue 8's metrics and a trace for the plots."""

    delivered_wh: float = 0.0
    initial_wh: float = 0.0
    demands_met: float = 0.0
    dead_minutes: float = 0.0
    blind_dead_minutes: float = 0.0  # of laptops no policy could have noticed yet (see run)
    violation_wh: float = 0.0
    max_overshoot_w: float = 0.0
    switches: int = 0
    switches_per_outlet_hour: float = 0.0
    per_device: list[dict[str, object]] = field(default_factory=list)
    draw_trace: list[float] = field(default_factory=list)
    seconds_in_policy: float = 0.0


def run(scenario: Scenario, policy: Policy) -> Outcome:  # noqa: PLR0915 - one step loop
    """Step the world through the scenario under ``policy``."""
    policy.reset(scenario)
    dt = float(scenario.step_s)
    lamps = {e.outlet: e.power_w for e in scenario.exceptions}
    max_w = scenario.outlet_max_w()
    for outlet, watts in lamps.items():
        max_w[outlet] = watts
    balanced = [o for o in range(scenario.outlets) if o not in lamps]
    relay = dict.fromkeys(range(scenario.outlets), False)
    for outlet in lamps:
        relay[outlet] = True
    since: dict[int, float | None] = dict.fromkeys(range(scenario.outlets), None)
    measured = dict.fromkeys(range(scenario.outlets), 0.0)
    measured.update(lamps)
    soc = {d.id: d.soc0 for d in scenario.devices}
    out = Outcome()
    departed: dict[str, float] = {}
    # A laptop is noticed once it reports its battery or its outlet has been on while it was
    # plugged in; until then it is invisible to anything that sees only the agent's state.
    # One noticed already flat stays "blind" until it is charged back above zero.
    noticed = {d.id for d in scenario.devices if d.reports_battery}
    found_flat: set[str] = set()

    for k in range(scenario.steps):
        t = k * dt
        limit = scenario.budget_at(t)
        here = {d.outlet: d for d in scenario.devices if d.arrival_s <= t < d.departure_s}
        for d in scenario.devices:
            if d.departure_s <= t and d.id not in departed:
                departed[d.id] = soc[d.id]
        strip = _observe(
            scenario=scenario,
            t=t,
            relay=relay,
            since=since,
            measured=measured,
            max_w=max_w,
            lamps=lamps,
            here=here,
            soc=soc,
            limit=limit,
        )
        present = [Present(d, soc[d.id]) for d in here.values()]
        started = time.perf_counter()
        decision = policy.decide(t, strip, present, scenario)
        out.seconds_in_policy += time.perf_counter() - started
        rank = {o: i for i, o in enumerate(decision.priority)}
        # What admission counts for an outlet switching on or settling: the plan's reserve
        # when it gives one (never above the outlet's maximum), else the maximum.
        reserve = {
            o: min(max_w[o], decision.reserve_w.get(o, max_w[o])) for o in range(scenario.outlets)
        }

        # The agent: switch-offs first, then admitted switch-ons in priority order.
        switched_on: list[int] = []
        for o in balanced:
            if relay[o] and o not in decision.on and _elapsed(since[o], MIN_ON_S):
                relay[o], since[o] = False, 0.0
                out.switches += 1
        for o in sorted(
            (o for o in decision.on if o in balanced), key=lambda o: (rank.get(o, 99), o)
        ):
            if relay[o] or not _elapsed(since[o], MIN_OFF_S):
                continue
            counted = sum(
                reserve[x] if x in switched_on else measured[x] for x in relay if relay[x]
            )
            if counted + reserve[o] <= limit + 1e-9:
                relay[o], since[o] = True, 0.0
                switched_on.append(o)
                out.switches += 1

        # Physics, with the guard shedding from the end of the priority on an overload.
        delays = {o: STAGGER_S * (i + 1) for i, o in enumerate(switched_on)}
        draws, after = _physics(here=here, soc=soc, relay=relay, delays=delays, dt=dt, lamps=lamps)
        total = sum(draws.values())
        if total > limit + 1e-9:
            out.max_overshoot_w = max(out.max_overshoot_w, total - limit)
            out.violation_wh += (total - limit) * GUARD_HOLD_S / SECONDS_PER_HOUR
            order = sorted((o for o in balanced if relay[o]), key=lambda o: (rank.get(o, 99), o))
            while order and total > limit + 1e-9:
                shed = order.pop()
                relay[shed], since[shed] = False, 0.0
                out.switches += 1
                total -= draws.get(shed, 0.0)
            draws, after = _physics(
                here=here, soc=soc, relay=relay, delays=delays, dt=dt, lamps=lamps
            )
        for o, d in here.items():
            if relay[o] and d.id not in noticed:
                noticed.add(d.id)
                if soc[d.id] < 0:
                    found_flat.add(d.id)
        soc.update(after)
        for d in here.values():
            if soc[d.id] >= 0:
                found_flat.discard(d.id)
            elif soc[d.id] < 0:
                out.dead_minutes += dt / 60.0
                if d.id not in noticed or d.id in found_flat:
                    out.blind_dead_minutes += dt / 60.0
        for o in range(scenario.outlets):
            measured[o] = draws.get(o, 0.0) if relay[o] else 0.0
            if since[o] is not None:
                since[o] = (since[o] or 0.0) + dt
        out.draw_trace.append(sum(draws.values()))

    end = scenario.steps * dt
    for d in scenario.devices:
        if d.id not in departed and d.departure_s <= end:
            departed[d.id] = soc[d.id]
        final = departed.get(d.id, soc[d.id])
        out.delivered_wh += d.capacity_wh * min(final, d.target_soc)
        out.initial_wh += d.capacity_wh * min(d.soc0, d.target_soc)
        out.per_device.append({"id": d.id, "soc_departure": round(final, 4)})
        if final >= d.target_soc - 1e-3:
            out.demands_met += 1
    out.demands_met /= max(1, len(scenario.devices))
    out.switches_per_outlet_hour = out.switches / (len(balanced) * end / SECONDS_PER_HOUR)
    return out


def _elapsed(since: float | None, minimum: float) -> bool:
    return since is None or since >= minimum - 1e-9


def _physics(
    *,
    here: dict[int, Device],
    soc: dict[str, float],
    relay: dict[int, bool],
    delays: dict[int, float],
    dt: float,
    lamps: dict[int, float],
) -> tuple[dict[int, float], dict[str, float]]:
    """Draw per outlet (while on) and the charge after the step, without mutating ``soc``."""
    draws = dict(lamps.items())
    after: dict[str, float] = {}
    for outlet, d in here.items():
        spec = d.spec
        level = soc[d.id]
        if not relay[outlet]:
            after[d.id], _ = step(spec, level, False, dt)
            continue
        delay = delays.get(outlet, 0.0)
        if delay > 0:
            level, _ = step(spec, level, False, delay)
        after[d.id], draws[outlet] = step(spec, level, True, dt - delay)
    return draws, after


def _observe(
    *,
    scenario: Scenario,
    t: float,
    relay: dict[int, bool],
    since: dict[int, float | None],
    measured: dict[int, float],
    max_w: dict[int, float],
    lamps: dict[int, float],
    here: dict[int, Device],
    soc: dict[str, float],
    limit: float,
) -> StripInput:
    """What the engine sees: the agent's state plus the laptops' own reports."""
    outlets = []
    for o in range(scenario.outlets):
        d = here.get(o)
        battery = None
        if d is not None and d.reports_battery:
            pct = min(100.0, max(0.0, round(100.0 * soc[d.id])))
            battery = BatteryReport(percent=pct, plugged=relay[o], age_s=0.0)
        outlets.append(
            OutletInput(
                outlet_id=o,
                relay_on=relay[o],
                power_w=measured[o] if relay[o] else 0.0,
                max_power_w=max_w[o],
                exception=o in lamps,
                seconds_since_switch=since[o],
                battery=battery,
                departure_at=float(d.departure_s) if d is not None and d.departure_known else None,
                target_percent=100.0 * d.target_soc if d is not None else 100.0,
            )
        )
    return StripInput(
        strip_id=scenario.name,
        now=t,
        budget_w=limit,
        hard_limit_w=math.inf,
        outlets=tuple(outlets),
        min_on_s=MIN_ON_S,
        min_off_s=MIN_OFF_S,
    )
