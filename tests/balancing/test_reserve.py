"""The plan's ``reserve_w``: what the agent may count an outlet at while it switches on.

A reserve is the laptop's own evidenced constant-power draw plus a margin, so the agent's
admission check need not hold a whole ``max_power_w`` of headroom per switch-on. It must never
be below what the laptop then draws: the strip would briefly exceed its budget until the guard
sheds. These examples show the evidence a reserve rests on and when it lapses;
``test_reserve_physics.py`` checks that it holds against the agent's battery physics.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from custom_components.smartmulti.balancing import Balancer, OutletInput, Settings

from .helpers import laptop, strip


def test_a_laptop_seen_at_constant_power_is_reserved_at_that_draw_not_the_maximum() -> None:
    engine = Balancer()
    # Reported at 40 %: constant power for sure; its 70 W draw is its charger's.
    engine.plan(strip(laptop(0, on=True, power=70, percent=40, since=600, max_w=140), budget=500))
    engine.plan(strip(laptop(0, percent=39, since=60, max_w=140), budget=500, now=60))
    plan = engine.plan(strip(laptop(0, percent=38, since=120, max_w=140), budget=500, now=120))
    assert plan.on == (0,)
    reserve = plan.reserve_w[0]
    assert 70 < reserve < 80  # 70 W plus the margin, far from 140
    assert plan.planned_w == reserve
    assert plan.agent_plan(30)["reserve_w"] == {"0": reserve}


def test_a_laptop_never_measured_is_counted_at_the_outlet_maximum() -> None:
    plan = Balancer().plan(strip(laptop(0, percent=40, max_w=140), budget=500))
    assert plan.on == (0,)
    assert plan.reserve_w == {}
    assert plan.planned_w == 140
    assert "reserve_w" not in plan.agent_plan(30)


def test_an_agent_without_reserves_gets_the_old_plan_body() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(0, on=True, power=70, percent=40, since=600, max_w=140), budget=500))
    plan = engine.plan(strip(laptop(0, percent=39, since=60, max_w=140), budget=500, now=60))
    assert plan.reserve_w
    assert set(plan.agent_plan(30, reserve=False)) == {"on", "priority", "budget_w", "ttl_s"}


def test_a_reserve_lets_more_outlets_on_than_maxima_would() -> None:
    engine = Balancer()
    seen = tuple(laptop(i, on=True, power=60, percent=30, since=600, max_w=140) for i in range(3))
    engine.plan(strip(*seen, budget=200))
    off = tuple(laptop(i, percent=29, since=60, max_w=140) for i in range(3))
    plan = engine.plan(strip(*off, budget=200, now=60))
    assert len(plan.on) == 3  # 3 x ~65 W reserved fit 200 W; 140 W maxima would fit one


def _seen_at_constant_power(engine: Balancer) -> None:
    """Eleven minutes at a steady 90 W without a report: a charger at constant power."""
    for k in range(12):
        on = laptop(0, on=True, power=90, since=600 + 60 * k, max_w=100)
        engine.plan(strip(on, budget=500, now=60 * k))


def test_without_a_report_the_reserve_lapses_after_a_long_time_off() -> None:
    """The laptop may have been swapped for a hungrier one while its outlet was off."""
    engine = Balancer(Settings(reserve_hold_s=1800))
    _seen_at_constant_power(engine)
    soon = engine.plan(strip(laptop(0, since=600, max_w=100), budget=500, now=1260))
    assert 90 < soon.reserve_w[0] < 100
    engine = Balancer(Settings(reserve_hold_s=1800))
    _seen_at_constant_power(engine)
    late = engine.plan(strip(laptop(0, since=2400, max_w=100), budget=500, now=3060))
    assert late.reserve_w.get(0) is None


def _steady_then_off(minutes: int) -> float | None:
    """A laptop without reports read at a steady 90 W for ``minutes``, then off for half an
    hour: the reserve it gets then (None: the outlet's rating)."""
    engine = Balancer()
    for k in range(minutes + 1):
        on = laptop(0, on=True, power=90, since=600 + 60 * k, max_w=200)
        engine.plan(strip(on, budget=500, now=60 * k))
    off_at = 60.0 * (minutes + 1)
    engine.plan(strip(laptop(0, since=60, max_w=200), budget=0, now=off_at))
    drained = laptop(0, since=1860, max_w=200)
    return engine.plan(strip(drained, budget=500, now=off_at + 1800)).reserve_w.get(0)


def test_without_a_report_six_steady_minutes_prove_constant_power() -> None:
    """A taper falls 2 % within six minutes; a draw that did not is the charger's constant
    power, which the laptop cannot exceed however far it drains while off. Five minutes
    prove nothing: off half an hour, its charge may have fallen below where the draw was
    read, and the outlet counts at its rating."""
    proven = _steady_then_off(6)
    assert proven is not None
    assert 90 < proven < 95
    assert _steady_then_off(5) is None


def _read_then_off(cycle_s: float, off_s: float) -> float | None:
    """A laptop without reports read at a steady 90 W for five minutes (too short to prove
    constant power) on cycles ``cycle_s`` apart, then off ``off_s``: its reserve then."""
    engine = Balancer()
    steps = round(300 / cycle_s)
    for k in range(steps + 1):
        on = laptop(0, on=True, power=90, since=600 + cycle_s * k, max_w=200)
        engine.plan(strip(on, budget=500, now=cycle_s * k))
    off_at = cycle_s * (steps + 1)
    for k in range(round(off_s / cycle_s)):
        off = laptop(0, since=cycle_s * (k + 1), max_w=200)
        engine.plan(strip(off, budget=0, now=off_at + cycle_s * k))
    drained = laptop(0, since=cycle_s + off_s, max_w=200)
    return engine.plan(strip(drained, budget=500, now=off_at + off_s)).reserve_w.get(0)


@pytest.mark.parametrize("cycle_s", [10.0, 60.0])
def test_without_a_report_the_energy_taken_since_the_peak_was_read_vouches_for_it(
    cycle_s: float,
) -> None:
    """Five minutes at 90 W gave the battery at least 90 x 0.85 - 30 W (the lowest efficiency
    against the highest use) each hour, 3.9 Wh: off, draining at 30 W, its charge stays above
    where the 90 W was first read for nearly 8 minutes, so its reserve holds for 3 minutes off
    whatever the cycle, and no longer once that energy may have drained. Counted from each
    reading instead of the first, only the last cycle's energy vouched for it."""
    held = _read_then_off(cycle_s, 180.0)
    assert held is not None
    assert 90 < held < 95
    assert _read_then_off(cycle_s, 900.0) is None


def test_without_a_report_an_idle_plateau_is_not_taken_for_constant_power() -> None:
    """Seen charging at 90 W, then steady at 30 W (full, its own use): 30 W is no reserve."""
    engine = Balancer()
    draws = [90.0, 90.0, 70.0, 50.0, *([30.0] * 15)]
    for k, watts in enumerate(draws):
        on = laptop(0, on=True, power=watts, since=600 + 60 * k, max_w=100)
        engine.plan(strip(on, budget=500, now=60 * k))
    plan = engine.plan(strip(laptop(0, since=600, max_w=100), budget=500, now=60 * len(draws)))
    assert plan.reserve_w.get(0) is None or plan.reserve_w[0] >= 90


def test_without_a_report_a_small_charger_on_a_large_outlet_is_reserved_at_its_plateau() -> None:
    """A 65 W charger (72 W at the wall) steady for eleven minutes on an outlet rated 200 W:
    no laptop's own use draws that much, so it is constant power, not an idle draw."""
    engine = Balancer()
    for k in range(12):
        on = laptop(0, on=True, power=72, since=600 + 60 * k, max_w=200)
        engine.plan(strip(on, budget=500, now=60 * k))
    engine.plan(strip(laptop(0, since=60, max_w=200), budget=0, now=720))
    # Half an hour off: its charge may have fallen below where the peak was read.
    plan = engine.plan(strip(laptop(0, since=1860, max_w=200), budget=500, now=2520))
    assert 72 < plan.reserve_w[0] < 80


def test_a_tapering_laptop_is_reserved_near_its_taper_draw() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(0, on=True, power=70, percent=50, since=600), budget=500))
    engine.plan(strip(laptop(0, on=True, power=30, percent=90, since=660), budget=500, now=60))
    plan = engine.plan(strip(laptop(0, percent=89, since=60), budget=500, now=120))
    # (1 - 0.885) / (1 - 0.905) of 30 W, plus the margin: well below the 70 W charger.
    assert plan.reserve_w[0] < 45


def test_a_reported_charge_that_rose_since_the_draw_was_read_keeps_that_draw() -> None:
    """A sensor's report lags: it may still rise after the outlet went off. A draw does not
    fall with the charge below the taper, and the laptop's own use never does: the reserve
    stays at the draw last read."""
    engine = Balancer()
    engine.plan(strip(laptop(0, on=True, power=61, percent=79, since=600), budget=500))
    plan = engine.plan(strip(laptop(0, percent=81, since=60), budget=500, now=60))
    assert plan.reserve_w[0] >= 61


def _through_the_taper(engine: Balancer, *, age_at_90: float = 0.0) -> None:
    """A reporter at constant power (70 W at 50 %), read in its taper at 90, 95 and 99 %, then
    switched off; ``age_at_90``: how old the report was when the 90 % draw was read."""
    engine.plan(strip(laptop(0, on=True, power=70, percent=50, since=600, max_w=140), budget=500))
    for k, (percent, watts) in enumerate(((90, 40), (95, 28), (99, 15)), start=1):
        outlet = laptop(0, on=True, power=watts, percent=percent, since=600 + 60 * k, max_w=140)
        if percent == 90:
            assert outlet.battery is not None
            outlet = replace(outlet, battery=replace(outlet.battery, age_s=age_at_90))
        engine.plan(strip(outlet, budget=500, now=60 * k))


def test_a_laptop_back_at_a_charge_it_passed_in_its_taper_is_reserved_at_the_draw_read_there() -> (
    None
):
    """Off at 99 % and drained to 93 %: its draw at 99 % bounds nothing (the room left in the
    battery grew sevenfold), but at 90 % it drew 40 W, and a taper only falls as the charge
    rises: it is counted at 40 W, not at its 70 W constant power."""
    engine = Balancer()
    _through_the_taper(engine)
    plan = engine.plan(strip(laptop(0, percent=93, since=120, max_w=140), budget=500, now=300))
    assert 40 < plan.reserve_w[0] < 43
    # At 90 % itself the charge may be below where the 40 W was read: constant power.
    engine = Balancer()
    _through_the_taper(engine)
    plan = engine.plan(strip(laptop(0, percent=90, since=120, max_w=140), budget=500, now=300))
    assert plan.reserve_w[0] > 70


def test_a_draw_read_under_an_older_report_bounds_only_a_charge_above_what_it_may_have_risen_to() -> (
    None
):
    """A report 30 s old at 90 %: charging at 40 W into a battery as small as 20 Wh, the charge
    may have been 91.7 % when the 40 W was read, so that draw bounds 94 % but not 93 %."""
    reserves = []
    for percent in (93, 94):
        engine = Balancer()
        _through_the_taper(engine, age_at_90=30.0)
        plan = engine.plan(
            strip(laptop(0, percent=percent, since=120, max_w=140), budget=500, now=300)
        )
        reserves.append(plan.reserve_w[0])
    assert reserves[0] > 70
    assert 40 < reserves[1] < 43


def test_a_draw_above_the_evidenced_constant_power_raises_the_reserve() -> None:
    """Eleven minutes steady at 70 W, then 110 W: the 70 W plateau was not this charger's
    constant power (another laptop), so it is no bound."""
    engine = Balancer()
    for k in range(12):
        on = laptop(0, on=True, power=70, since=600 + 60 * k, max_w=140)
        engine.plan(strip(on, budget=500, now=60 * k))
    on = laptop(0, on=True, power=110, since=600 + 720, max_w=140)
    engine.plan(strip(on, budget=500, now=720))
    plan = engine.plan(strip(laptop(0, since=60, max_w=140), budget=500, now=780))
    assert plan.reserve_w.get(0) is None or plan.reserve_w[0] >= 110


def _tapering_then_off(engine: Balancer) -> None:
    """A reported laptop read at 30 W in its taper at 90 %, then switched off at 89 %."""
    engine.plan(strip(laptop(0, on=True, power=70, percent=50, since=600), budget=500))
    engine.plan(strip(laptop(0, on=True, power=30, percent=90, since=660), budget=500, now=60))
    plan = engine.plan(strip(laptop(0, percent=89, since=60), budget=500, now=120))
    assert plan.reserve_w[0] < 45


def test_a_reporters_percent_that_no_laptop_could_reach_is_another_laptops() -> None:
    """Off, a charge cannot rise, nor fall by a third in a minute: the laptop was swapped and
    the newcomer is counted at the outlet's rating, not at the taper of the one before."""
    for percent in (40, 95):
        engine = Balancer()
        _tapering_then_off(engine)
        plan = engine.plan(strip(laptop(0, percent=percent, since=120), budget=500, now=180))
        assert plan.on == (0,)
        assert 0 not in plan.reserve_w
    # A percent drained as a laptop drains keeps the reserve.
    engine = Balancer()
    _tapering_then_off(engine)
    plan = engine.plan(strip(laptop(0, percent=88, since=120), budget=500, now=180))
    assert plan.reserve_w[0] < 45


def test_a_reporter_gone_quiet_while_off_gives_no_reserve() -> None:
    """A reporter posts every 30 s while its laptop is there: silent for two minutes over an
    off outlet, the laptop may have left and a laptop without a reporter taken its place,
    which the charge and draw reported before say nothing of."""

    def reserve(report_age: float) -> float | None:
        engine = Balancer()
        _tapering_then_off(engine)
        quiet = laptop(0, percent=89, since=120, max_w=140)
        assert quiet.battery is not None
        quiet = replace(quiet, battery=replace(quiet.battery, age_s=report_age))
        return engine.plan(strip(quiet, budget=500, now=180)).reserve_w.get(0)

    still_posting = reserve(20)
    assert still_posting is not None
    assert still_posting < 45
    assert reserve(120) is None


def test_a_percent_that_may_lag_gives_no_taper_bound() -> None:
    """A sensor's 90 % read with a 30 W draw may be a charge long past: the laptop is bounded
    by the highest draw seen, as one without reports."""
    engine = Balancer()

    def sensor(percent: float, **kwargs: Any) -> OutletInput:
        outlet = laptop(0, percent=percent, max_w=140, **kwargs)
        assert outlet.battery is not None
        return replace(outlet, battery=replace(outlet.battery, may_lag=True))

    engine.plan(strip(sensor(50, on=True, power=70, since=600), budget=500))
    engine.plan(strip(sensor(90, on=True, power=30, since=660), budget=500, now=60))
    plan = engine.plan(strip(sensor(89, since=60), budget=500, now=120))
    assert plan.reserve_w[0] >= 70


def test_a_settled_outlet_reading_nothing_is_counted_at_its_rating() -> None:
    """Its laptop's last report is still fresh, but the meter says nobody draws: the laptop
    left, nothing learned of it bounds the next one, and another may be plugged in at any
    moment, so the outlet holds its whole rating."""
    engine = Balancer()
    engine.plan(strip(laptop(0, on=True, power=60, percent=50, since=600, max_w=140), budget=500))
    empty = laptop(0, on=True, power=0, since=660, percent=50, max_w=140)
    (cand,) = engine.observe(strip(empty, budget=500, now=60)).candidates
    assert cand.laptop.present is False
    assert cand.laptop.reserve_w is None
    assert cand.draw_w == 140
