"""The local guard: the strip never stays over its limit, whatever the plan or the meters say."""

from __future__ import annotations

from pi_agent.api.views import outlet_view
from pi_agent.control.guard import Guard
from pi_agent.hardware.base import MeterError

from .harness import Harness


def powered(loads: dict[int, float], **kwargs: float) -> Harness:
    """A harness whose plan switches on every outlet in ``loads`` (in id order of priority)."""
    harness = Harness(len(loads), loads=loads, **kwargs)
    harness.plan(sorted(loads), budget_w=10_000)
    harness.run(15)  # admission lets each in once the previous ones have settled
    assert harness.on() == set(loads)
    return harness


def test_overload_longer_than_hold_sheds_lowest_priority_first() -> None:
    harness = powered({1: 300, 2: 300, 3: 300, 4: 300}, max_power_w=400, hard_limit_w=1500)
    harness.plan([1, 2, 3, 4], priority=[2, 4, 1, 3], budget_w=10_000)
    harness.loads[1] = 700  # a charger steps up: 1200 → 1600 W
    harness.run(1.2)
    assert harness.on() == {1, 2, 4}
    assert harness.controller.guard.trips == 1


def test_overload_shorter_than_hold_is_tolerated() -> None:
    harness = powered({1: 300, 2: 300, 3: 300, 4: 300}, max_power_w=400, hard_limit_w=1500)
    harness.loads[1] = 700
    harness.run(0.6)
    harness.loads[1] = 300
    harness.run(2)
    assert harness.on() == {1, 2, 3, 4}
    assert harness.controller.guard.trips == 0


def test_guard_sheds_only_as_many_outlets_as_needed() -> None:
    harness = powered({1: 300, 2: 300, 3: 300, 4: 100}, max_power_w=400, hard_limit_w=1400)
    harness.loads[4] = 550  # 1450 W: shedding outlet 4 alone (lowest priority) is enough
    harness.run(1.2)
    assert harness.on() == {1, 2, 3}


def test_without_plan_the_outlet_drawing_most_is_shed_first() -> None:
    harness = Harness(4, loads={1: 80, 2: 95, 3: 60, 4: 70}, failsafe_budget_w=400)
    harness.run(5)  # failsafe rotation switches everything on: 4 x 100 W max fits 400 W
    assert harness.on() == {1, 2, 3, 4}
    harness.loads[3] = 200  # 305 → 445 W: outlet 3 now draws most
    harness.run(1.2)
    assert harness.on() == {1, 2, 4}


def test_faulted_meter_counts_at_max_power() -> None:
    harness = powered({1: 50, 2: 50, 3: 50}, max_power_w=300, hard_limit_w=700)
    harness.failing[1] = MeterError("bus error")
    harness.run(1.2)  # 300 (unknown, so max) + 50 + 50 = 400 W: under 700 W
    assert harness.on() == {1, 2, 3}
    harness.failing[2] = MeterError("bus error")
    harness.run(1.2)  # 300 + 300 + 50 = 650 W: still under
    assert harness.on() == {1, 2, 3}
    harness.failing[3] = MeterError("overflow")
    harness.run(1.2)  # 900 W counted: one outlet must go
    assert len(harness.on()) == 2


def test_stale_meter_counts_at_max_power() -> None:
    harness = powered({1: 50, 2: 150}, max_power_w=200, hard_limit_w=300)
    harness.silent.add(1)  # the meter stops answering: no reading, no error
    harness.run(1.6)
    outlet = harness.controller.outlet(1)
    assert outlet.meter_fault == "meter stale"
    assert harness.on() == {1}  # 200 (unknown) + 150 > 300; the plan ranks 1 first
    assert harness.controller.guard.trips == 1


def test_guard_breaks_minimum_on_time() -> None:
    harness = powered({1: 300, 2: 300}, max_power_w=350, hard_limit_w=700, min_on_s=600)
    harness.loads[2] = 500
    harness.run(1.2)
    assert harness.on() == {1}


def test_shed_outlet_is_not_switched_back_on_during_backoff() -> None:
    harness = powered({1: 300, 2: 300}, max_power_w=350, hard_limit_w=700, min_off_s=5)
    harness.loads[1] = 500  # outlet 1 grows; the guard sheds the plan's last, outlet 2
    harness.run(1.2)
    assert harness.on() == {1}
    harness.loads[1] = 300
    harness.run(30)
    assert harness.on() == {1}
    assert outlet_view(harness.controller, harness.controller.outlet(2), harness.now)["state"] == (
        "waiting"
    )
    harness.run(35)
    assert harness.on() == {1, 2}


def test_lowered_budget_is_enforced_at_once() -> None:
    harness = powered({1: 200, 2: 200, 3: 200}, max_power_w=250)
    harness.plan([1, 2, 3], budget_w=450)  # Home Assistant lowers this strip's share
    harness.step()
    assert harness.measured_total() <= 450
    assert harness.on() == {1, 2}


def test_every_sample_stays_under_the_limit_after_the_hold() -> None:
    harness = powered({1: 150, 2: 150, 3: 150, 4: 150}, max_power_w=200, hard_limit_w=700)
    harness.loads.update({1: 250, 2: 250})
    totals = harness.run(10)
    hold_samples = round(harness.config.strip.hold_s / harness.period)
    assert max(totals[hold_samples:]) <= 700


def test_a_sample_arriving_a_little_early_does_not_postpone_the_cut_a_whole_period() -> None:
    guard = Guard(hold_s=1.0, slack_s=0.02)
    assert not guard.must_shed(500, 400, now=10.0)
    assert not guard.must_shed(500, 400, now=10.9)
    assert guard.must_shed(500, 400, now=10.99)  # 5 periods of 0.2 s, 10 ms of jitter early


def test_a_lowered_budget_cuts_the_outlets_the_plan_dropped_first_without_a_trip() -> None:
    harness = powered({1: 200, 2: 200, 3: 200}, max_power_w=250)
    harness.plan([1, 3], budget_w=450)  # the new plan drops outlet 2 and lowers the budget
    harness.step()
    assert harness.on() == {1, 3}
    assert harness.controller.guard.trips == 0
    view = outlet_view(harness.controller, harness.controller.outlet(2), harness.now)
    assert view["state"] == "off"  # not held off by a guard back-off: the plan wants it off
