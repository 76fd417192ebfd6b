"""``StripInput.time_scale``: a simulated world N times faster than its relays' clock."""

from __future__ import annotations

from dataclasses import replace

from custom_components.smartmulti.balancing import Balancer, BatteryReport, Reason, StripInput
from custom_components.smartmulti.balancing.facts import (
    OutletFacts,
    strip_input as facts_strip_input,
)

from .helpers import laptop, reasons, strip

SPEED = 120.0


def _draining(scale: float) -> list[StripInput]:
    """A laptop off, its report falling 60 % -> 50 % over 30 laptop-minutes (12 W of use on
    60 Wh), reported every 1 % on a clock ``scale`` times slower than the laptop's time."""
    step_s = 180.0 / scale  # 1 % every 3 laptop-minutes
    return [
        replace(
            strip(laptop(0, percent=60.0 - k, since=600.0), budget=500, now=k * step_s),
            time_scale=scale,
        )
        for k in range(11)
    ]


def test_drain_is_learned_on_the_laptops_time() -> None:
    engine = Balancer()
    plans = [engine.plan(s) for s in _draining(SPEED)]
    assert reasons(plans[-1])[0] is not Reason.KEEP_ALIVE  # 2.5 h of battery left, not minutes


def test_without_the_scale_an_accelerated_drain_looks_like_a_laptop_about_to_run_flat() -> None:
    engine = Balancer()
    plans = [engine.plan(replace(s, time_scale=1.0)) for s in _draining(SPEED)]
    assert reasons(plans[-1])[0] is Reason.KEEP_ALIVE


def test_time_to_full_is_given_on_the_clock() -> None:
    base = strip(laptop(0, on=True, power=70, percent=40, since=600), budget=500)
    real = Balancer().plan(base).outlets[0].time_to_full_s
    fast = Balancer().plan(replace(base, time_scale=SPEED)).outlets[0].time_to_full_s
    assert real is not None
    assert fast is not None
    assert abs(fast * SPEED - real) < 1e-6 * real


def test_turns_last_on_the_laptops_time_and_minimum_times_on_the_clock() -> None:
    """20 s on the clock is 40 laptop-minutes: past smart's 10-minute dwell, so a laptop with
    much less slack takes over; but not while the agent's 60 s minimum on time runs."""
    rival = laptop(1, percent=20, departure_at=45.0)  # leaves in 1.5 laptop-hours

    def plan(since: float) -> tuple[int, ...]:
        s = strip(laptop(0, on=True, power=60, percent=70, since=since), rival, budget=70)
        return Balancer().plan(replace(s, time_scale=SPEED, min_on_s=10.0)).on

    assert plan(since=20.0) == (1,)
    assert plan(since=5.0) == (0,)  # held by the minimum on time (10 s on the clock)


def test_a_simulated_meter_settles_on_the_laptops_time() -> None:
    """1 s on the clock after a switch-on is two laptop-minutes at 120: long past the 5 s
    settle, so the laptop is counted at its reading, not its outlet's maximum."""
    base = strip(laptop(0, on=True, power=60, percent=40, since=1.0), budget=500)
    real = Balancer().plan(base).outlets[0].planned_w
    fast = Balancer().plan(replace(base, time_scale=SPEED)).outlets[0].planned_w
    assert fast < real


def test_the_battery_age_limit_is_on_the_laptops_time() -> None:
    """A report 10 s old on the clock is 20 laptop-minutes old at 120: past a 10-minute limit."""
    report = BatteryReport(percent=40.0, plugged=False, age_s=10.0)
    facts = OutletFacts(
        outlet_id=1, relay_on=False, power_w=0.0, max_power_w=65.0, agent_report=report
    )

    def given(scale: float) -> BatteryReport | None:
        built = facts_strip_input(
            [facts],
            strip_id="s",
            now=0.0,
            budget_w=500.0,
            hard_limit_w=3680.0,
            battery_max_age_s=600.0,
            time_scale=scale,
        )
        return built.outlets[0].battery

    assert given(1.0) == report
    assert given(SPEED) is None
