"""An outlet whose laptop is unplugged while it is on.

The plan counted it at the draw of the laptop that left; whoever plugs in next may draw up to
the outlet's rating. The agent counts it at its rating from the first idle reading, keeps it
open for the next laptop where that fits beside the rest, and switches it off at once (shown
``found_empty``) where it does not, so a newcomer never takes the strip over its limit.
"""

from __future__ import annotations

from pi_agent.api.views import outlet_view
from pi_agent.control.outlet import IDLE_W

from .harness import Harness

EPS = 1e-9


def two_laptops(budget_w: float, **changes: float) -> Harness:
    """Outlets 1 (60 W) and 2 (75 W) on under ``budget_w``, settled, outlet 3 waiting (50 W)."""
    harness = Harness(3, loads={1: 60.0, 2: 75.0, 3: 50.0}, **changes)
    harness.plan([1, 2, 3], budget_w=budget_w)
    harness.run(10)
    assert harness.on() == {1, 2}
    return harness


def test_an_unplugged_outlet_whose_rating_does_not_fit_goes_off_once_settled() -> None:
    harness = two_laptops(170.0, min_on_s=60, hard_limit_w=170)
    settle_s = harness.config.strip.settle_s
    vacated = harness.controller.outlet(1)
    harness.loads[1] = 0.0  # unplugged: 75 W + its 100 W rating do not fit 170 W
    unplugged_at = harness.now
    off_at = None
    for _ in range(round((settle_s + 1) / harness.period)):
        harness.step()
        if off_at is None and not vacated.relay_on:
            off_at = harness.now
    assert off_at is not None  # long before its 60 s minimum on time
    assert settle_s <= off_at - unplugged_at <= settle_s + 2 * harness.period + EPS
    assert vacated.found_empty_at == off_at
    view = outlet_view(harness.controller, vacated, harness.now)
    assert (view["found_empty"], view["target"], view["fault"]) == (True, False, None)
    assert harness.controller.guard.trips == 0
    # A newcomer plugged in there finds it off, under this plan, whatever it would draw.
    harness.loads[1] = 100.0
    totals = harness.run(120)
    assert 1 not in harness.on()
    assert max(totals) <= 170.0
    assert harness.controller.guard.trips == 0


def test_an_unplugged_outlet_that_fits_stays_open_counted_at_its_rating() -> None:
    harness = two_laptops(200.0)
    harness.loads[1] = 0.0  # 75 W + its 100 W rating fit 200 W: open for the next laptop
    totals = harness.run(30)
    # Counted at 100 W, it leaves no room for outlet 3 (100 W until read), which 0 W would.
    assert harness.on() == {1, 2}
    assert harness.controller.outlet(1).found_empty_at is None
    harness.loads[1] = 100.0  # a newcomer at the outlet's full rating
    totals += harness.run(30)
    assert harness.on() == {1, 2}
    assert max(totals) <= 200.0
    assert harness.controller.guard.trips == 0


def test_a_dip_shorter_than_the_settling_time_is_a_charger_renegotiating() -> None:
    harness = two_laptops(170.0, hard_limit_w=170)
    settle_s = harness.config.strip.settle_s
    harness.loads[1] = 0.0
    harness.run(settle_s - 2 * harness.period)
    harness.loads[1] = 60.0
    harness.run(30)
    assert harness.on() == {1, 2}
    outlet = harness.controller.outlet(1)
    assert outlet.found_empty_at is None
    assert outlet.idle_since is None


def test_an_outlet_that_never_drew_is_not_taken_for_an_unplugged_one() -> None:
    # Nothing plugged in from the start: an open outlet the plan counts at its rating itself.
    harness = Harness(2, loads={2: 75.0}, hard_limit_w=170)
    harness.plan([1, 2], budget_w=170.0)
    harness.run(30)
    outlet = harness.controller.outlet(1)
    assert outlet.relay_on
    assert outlet.idle_since is None
    assert outlet.found_empty_at is None


def test_a_full_laptop_reading_at_the_idle_threshold_is_still_there() -> None:
    harness = two_laptops(170.0, hard_limit_w=170)
    harness.loads[1] = IDLE_W
    harness.run(30)
    assert harness.on() == {1, 2}
    assert harness.controller.outlet(1).idle_since is None


def test_an_override_a_pairing_hold_or_the_failsafe_rotation_is_never_released() -> None:
    harness = two_laptops(170.0, hard_limit_w=170)
    harness.controller.set_override(1, True)
    harness.controller.outlet(2).held = True
    harness.loads[1] = harness.loads[2] = 0.0
    harness.run(10)
    assert harness.on() >= {1, 2}
    for oid in (1, 2):
        assert harness.controller.outlet(oid).found_empty_at is None

    rotating = Harness(3, loads={1: 60.0, 2: 75.0}, hard_limit_w=170, failsafe_budget_w=170)
    rotating.run(10)
    assert rotating.controller.mode == "failsafe"
    for oid in rotating.on():
        rotating.loads[oid] = 0.0
    rotating.run(10)
    assert all(o.found_empty_at is None for o in rotating.controller.outlets)


def test_an_outlet_the_plan_switches_off_that_reads_nothing_goes_off_within_its_minimum_on() -> (
    None
):
    """Open with nothing plugged in, then planned off beside a laptop that takes its room: held
    on for its minimum on time, admission would count it at nothing, and a laptop plugged in
    there meanwhile would take the strip over its limit until the guard cut it."""
    harness = Harness(3, loads={2: 75.0, 3: 80.0}, min_on_s=60, hard_limit_w=200)
    harness.plan([1, 2], budget_w=200.0)
    harness.run(10)
    opened = harness.controller.outlet(1)
    assert harness.on() == {1, 2}
    harness.plan([2, 3], budget_w=200.0)
    harness.step()
    assert not opened.relay_on  # long before its 60 s minimum on time
    assert opened.found_empty_at is None  # the plan saw it empty: not a look's finding
    harness.run(5)
    assert harness.on() == {2, 3}
    harness.loads[1] = 100.0  # plugged in where the plan has nothing on
    totals = harness.run(60)
    assert 1 not in harness.on()
    assert max(totals) <= 200.0
    assert harness.controller.guard.trips == 0


def test_an_outlet_the_plan_switches_off_keeps_its_minimum_on_while_a_laptop_draws() -> None:
    harness = Harness(2, loads={1: 60.0, 2: 75.0}, min_on_s=60, hard_limit_w=170)
    harness.plan([1, 2], budget_w=170.0)
    harness.run(10)
    harness.plan([2], budget_w=170.0)
    harness.run(10)
    assert harness.on() == {1, 2}
    assert harness.controller.outlet(1).found_empty_at is None
