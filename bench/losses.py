"""Where ``smart`` leaves charge behind: room unused while a laptop that wanted it was off, by
the reason the plan gave that laptop's outlet.

At every step, the room the step leaves (the budget less the lamps, the measured draw of the
outlets the plan keeps on and the true draw of the laptops it switches on; the room of those it
switches off is free again) is handed out, emptiest laptop first, to the laptops below their target
whose outlet the plan left off, each at what it would truly draw then; each one it fits counts
what being on would have given it over the step (its battery power plus the use it drained off)
under its outlet's reason. The split is finer for the two reasons that hold most of it:

- ``empty``: nobody was known there (a laptop plugged into an off outlet is seen only by a look)
  and a look would fit in the room the plan left (``empty, look fits``) or would not
  (``empty, no room to look``: on a strip rated near its budget, a look takes the room of the
  laptops charging);
- ``waiting_budget``: a known laptop counted at its outlet's rating (never measured, or its
  reading no longer holds: ``waiting, counted at rating``) or at less, still above what it draws
  (``waiting, counted above its draw``). A laptop switched off in the step to make room for a
  look, or for a laptop counted at its rating until read, falls there too: once they are read,
  the agent's minimum off time keeps it from coming back in the room they did not need.

It is the room the engine's knowledge left unused, not energy any policy could have added: it
ignores the minimum on and off times, the switch rate and that a laptop switched on stays on, and
it fills the room with what was truly there. Its use is to show which part of the engine to work
on, on days chosen for tuning (``bench.days`` refuses the published ones, as for ``bench.tune``).

python -m bench.losses 1000-1099
python -m bench.losses --step-s 10 1000-1029
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
import dataclasses
import json
from typing import Any

from balancing import Balancer, Observation, Reason, Settings, Strategy, StripPlan

from pi_agent.sim.physics import SECONDS_PER_HOUR, charge_power_w, outlet_draw_w

from .days import tuning_days, tuning_scenario
from .scenario import Scenario
from .world import Decision, Present, StripWorld

_BELOW_TARGET = 0.01  # a laptop this far below its target still wants charge

EMPTY_LOOK_FITS = "empty, look fits"
EMPTY_NO_ROOM = "empty, no room to look"
WAITING_AT_RATING = "waiting, counted at rating"
WAITING_ABOVE_DRAW = "waiting, counted above its draw"


def _bucket(reason: Reason, observation: Observation, outlet_id: int, left_w: float) -> str:
    """The line a lost step is counted on: the reason, split where it holds most (module doc)."""
    cand = observation.by_id[outlet_id]
    rating = cand.outlet.max_power_w
    if reason is Reason.EMPTY:
        return EMPTY_LOOK_FITS if rating <= left_w + 1e-9 else EMPTY_NO_ROOM
    if reason is Reason.WAITING_BUDGET:
        return WAITING_AT_RATING if cand.draw_w >= rating - 1e-9 else WAITING_ABOVE_DRAW
    return reason.value


def _true_draw_w(p: Present, dt: float) -> float:
    """What the laptop would draw at its outlet over a step of ``dt`` if it were on."""
    return outlet_draw_w(p.device.spec, charge_power_w(p.device.spec, p.soc, dt))


def step_losses(
    observation: Observation,
    plan: StripPlan,
    on: Collection[int],
    present: Sequence[Present],
    *,
    measured: Mapping[int, float],
    dt: float,
) -> Counter[str]:
    """One step's unused room, in Wh the laptops left off would have gained, by bucket
    (``on``: what the agent is sent on, ``Decision.of(plan).on``; ``measured``: the draw of
    each balanced outlet on when the plan was made)."""
    room = plan.budget_w - plan.exceptions_w
    left = room - plan.planned_w  # the room the plan itself left unused
    reasons = {d.outlet_id: d.reason for d in plan.outlets}
    lost: Counter[str] = Counter()
    # The room the step leaves: the outlets the plan keeps on draw what they measured, those
    # it switches on what their laptop truly draws (a look at an empty one, nothing); the
    # room of those it switches off is free.
    free = room - sum(w for oid, w in measured.items() if oid in on)
    for p in present:
        if p.device.outlet in on and p.device.outlet not in measured:
            free -= _true_draw_w(p, dt)
    waiting = sorted(
        (p for p in present if p.soc < p.device.target_soc - _BELOW_TARGET),
        key=lambda p: p.soc,
    )
    for p in waiting:
        outlet = p.device.outlet
        if outlet in on:
            continue
        spec = p.device.spec
        battery_w = charge_power_w(spec, p.soc, dt)
        draw = outlet_draw_w(spec, battery_w)
        if draw > free:
            continue
        free -= draw
        bucket = _bucket(reasons[outlet], observation, outlet, left)
        lost[bucket] += (battery_w + spec.use_w) * dt / SECONDS_PER_HOUR
    return lost


def day_losses(scenario: Scenario, settings: Settings | None = None) -> dict[str, Any]:
    """One day under ``smart``: what it delivered and its unused room by bucket (Wh)."""
    world = StripWorld(scenario)
    engine = Balancer(settings)
    lost: Counter[str] = Counter()
    for k in range(scenario.steps):
        t = k * world.dt
        limit = scenario.budget_at(t)
        strip = world.observe(t, limit)
        observation = engine.observe(dataclasses.replace(strip, strategy=Strategy.SMART))
        plan = engine.plan_within(observation, strip.budget_w)
        decision = Decision.of(plan)
        measured = {o.outlet_id: o.power_w for o in strip.outlets if o.relay_on and not o.exception}
        lost += step_losses(
            observation, plan, decision.on, world.present(), measured=measured, dt=world.dt
        )
        world.step(decision, limit)
    out = world.finish()
    return {"scenario": scenario.name, "delivered_wh": out.delivered_wh, "lost_wh": dict(lost)}


def _job(job: tuple[str, int | None, dict[str, Any]]) -> dict[str, Any]:
    """``day_losses`` of (a tuning day, its step or None, Settings overrides)."""
    name, step_s, overrides = job
    return day_losses(tuning_scenario(name, step_s), Settings(**overrides))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="+", help="'shipped', seeds, or ranges like 1000-1019")
    parser.add_argument("--step-s", type=int, default=None, help="steps this long (seconds)")
    parser.add_argument("--set", default="{}", help="Settings overrides as JSON")
    parser.add_argument("--json", default=None, help="write each day's losses here")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    jobs = [(n, args.step_s, json.loads(args.set)) for n in tuning_days(args.days)]
    with ProcessPoolExecutor(args.jobs) as pool:
        days = list(pool.map(_job, jobs))
    total: Counter[str] = Counter()
    for day in days:
        total.update(day["lost_wh"])
    delivered = sum(d["delivered_wh"] for d in days)
    print(f"{len(days)} days, {delivered:.0f} Wh delivered; unused room by reason (Wh):")
    for bucket, wh in total.most_common():
        print(f"  {bucket:34s} {wh:8.0f}  ({wh / delivered:.1%} of delivered)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(days, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
