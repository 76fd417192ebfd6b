"""A reserve is never below what the laptop then draws: the engine driven against the agent's
battery physics.

Random fleets of 45-140 W laptops (and empty outlets), each outlet rated for its own laptop's
charger, run two hours under a budget short of their demand; every switch-on must draw no more
than its reserve, with reports on time, from a sensor minutes late, or posted before the draw
was read.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from hypothesis import given, settings, strategies as st

from custom_components.smartmulti.balancing import (
    Balancer,
    BatteryReport,
    OutletInput,
    Settings,
    StripInput,
)
from pi_agent.sim.physics import LaptopSpec, step

STEP_S = 60.0
MIN_ON_S, MIN_OFF_S = 60.0, 30.0


@dataclass
class _Outlet:
    spec: LaptopSpec | None
    soc: float
    reports: bool
    on: bool = False
    since: float | None = None
    draw: float = 0.0


@st.composite
def fleets(draw: st.DrawFn) -> tuple[list[_Outlet], float]:
    outlets = []
    for _ in range(draw(st.integers(2, 10))):
        spec = draw(
            st.none()
            | st.builds(
                LaptopSpec,
                capacity_wh=st.floats(30, 100),
                charge_w=st.sampled_from([45.0, 60.0, 65.0, 90.0, 100.0, 140.0]),
                use_w=st.floats(3, 25),
                cv_soc=st.floats(0.7, 0.9),
                # Reserves rest on the least efficient charger the engine allows for
                # (``Settings.min_efficiency``): a laptop's charge counted from a draw rises
                # no slower than that. Below it, a laptop off for a while can have fallen below
                # where its peak was read while the count says not, and draw more than its
                # reserve (found here at 0.8125); the agent's guard holds the limit then.
                efficiency=st.floats(Settings().min_efficiency, 0.95),
            )
        )
        outlets.append(_Outlet(spec, draw(st.floats(0.0, 1.0)), draw(st.booleans())))
    demand = sum(o.spec.max_draw_w for o in outlets if o.spec is not None) or 100.0
    return outlets, demand * draw(st.floats(0.2, 0.8))


@settings(max_examples=100, deadline=None)
@given(fleets())
def test_a_reserve_is_never_below_what_the_laptop_then_draws(
    fleet: tuple[list[_Outlet], float],
) -> None:
    _drive(*fleet, lag_steps=0)


@settings(max_examples=100, deadline=None)
@given(fleets(), st.integers(1, 10))
def test_a_reserve_holds_when_the_percent_comes_late_from_a_sensor(
    fleet: tuple[list[_Outlet], float], lag_steps: int
) -> None:
    """A Home Assistant battery sensor may follow the laptop minutes late: charging, it says
    less than the truth, off it says more, both making a taper look further along than it is."""
    _drive(*fleet, lag_steps=lag_steps)


@settings(max_examples=100, deadline=None)
@given(fleets(), st.floats(1.0, 30.0))
def test_a_reserve_holds_when_a_reporters_post_is_older_than_the_draw(
    fleet: tuple[list[_Outlet], float], age_s: float
) -> None:
    """A reporter posts every 30 s, the meter is read every cycle: charging, the percent
    paired with a draw says less than the charge then."""
    _drive(*fleet, lag_steps=0, report_age_s=age_s)


def _drive(
    outlets: list[_Outlet], budget: float, *, lag_steps: int, report_age_s: float = 0.0
) -> None:
    """Two hours of the engine against the agent's battery physics; every switch-on must draw
    no more than its reserve. ``lag_steps``: the reports come from a sensor that many steps
    late (0: a reporter's, on time); ``report_age_s``: a reporter's post is that old."""
    engine = Balancer()
    # Each outlet rated for its own laptop's charger (5 W steps), as an installer would.
    max_w = [5.0 * math.ceil(o.spec.max_draw_w / 5.0) if o.spec else 100.0 for o in outlets]
    history: list[list[float]] = [[o.soc] for o in outlets]
    for k in range(120):
        now = k * STEP_S
        inputs = tuple(
            OutletInput(
                outlet_id=i,
                relay_on=o.on,
                power_w=o.draw if o.on else 0.0,
                max_power_w=max_w[i],
                seconds_since_switch=o.since,
                battery=(
                    BatteryReport(
                        round(
                            100
                            * min(1.0, max(0.0, _posted(history[i], k, lag_steps, report_age_s)))
                        ),
                        o.on,
                        report_age_s,
                        may_lag=lag_steps > 0,
                    )
                    if o.spec is not None and o.reports
                    else None
                ),
            )
            for i, o in enumerate(outlets)
        )
        plan = engine.plan(
            StripInput("s", now, budget, 3680.0, inputs, min_on_s=MIN_ON_S, min_off_s=MIN_OFF_S)
        )
        # The rules hold all along the way, with reserves counted as the agent counts them.
        assert plan.planned_w <= budget + 1e-6
        assert sorted(plan.priority) == list(range(len(outlets)))
        for i, watts in plan.reserve_w.items():
            assert i in plan.on or i in plan.after_looks
            assert watts <= max_w[i]
        switched_on: dict[int, float] = {}
        for i, o in enumerate(outlets):
            elapsed = o.since is None or o.since >= (MIN_OFF_S if not o.on else MIN_ON_S)
            wanted = i in plan.on
            if wanted != o.on and elapsed:
                o.on, o.since = wanted, 0.0
                if wanted and i in plan.reserve_w:
                    switched_on[i] = plan.reserve_w[i]
        for i, o in enumerate(outlets):
            if o.spec is not None:
                o.soc, o.draw = step(o.spec, o.soc, o.on, STEP_S)
            else:
                o.draw = 0.0
            history[i].append(o.soc)
            if o.since is not None:
                o.since += STEP_S
        for i, reserve in switched_on.items():
            assert outlets[i].draw <= reserve + 1e-6


def _posted(history: list[float], k: int, lag_steps: int, age_s: float) -> float:
    """The charge a report at step ``k`` gives: ``lag_steps`` steps late, or ``age_s`` old
    (the charge moves linearly within a step)."""
    if k == 0 or age_s <= 0:
        return history[max(0, k - lag_steps)]
    return history[k] - (history[k] - history[k - 1]) * age_s / STEP_S
