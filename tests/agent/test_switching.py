"""How relays follow the plan, the failsafe rotation and manual commands: slowly and safely."""

from __future__ import annotations

import itertools

import pytest

from pi_agent.api.views import outlet_view

from .harness import Harness


def test_balanced_outlets_start_off_and_exceptions_go_on_at_once() -> None:
    harness = Harness(4, exceptions=[4], loads={4: 40})
    assert harness.on() == set()
    assert harness.pin_level(1)  # active-low board: a high pin is a released relay
    harness.controller.apply_plan(harness.plan([]))
    harness.step()
    assert harness.on() == {4}
    assert not harness.pin_level(4)


def test_plan_switches_on_its_outlets() -> None:
    harness = Harness(4, loads={1: 50, 2: 50, 3: 50})
    harness.plan([1, 3])
    harness.run(5)
    assert harness.on() == {1, 3}
    assert harness.controller.mode == "planned"


def test_minimum_off_time_delays_a_switch_on() -> None:
    harness = Harness(2, loads={1: 50}, min_on_s=0, min_off_s=30)
    harness.plan([1])
    harness.run(1)
    harness.plan([])
    harness.run(1)
    assert harness.on() == set()
    harness.plan([1])
    harness.run(28)
    assert harness.on() == set()
    harness.run(2)
    assert harness.on() == {1}


def test_minimum_on_time_delays_a_switch_off() -> None:
    harness = Harness(2, loads={1: 50}, min_on_s=60)
    harness.plan([1])
    harness.run(1)
    harness.plan([])
    harness.run(58)
    assert harness.on() == {1}
    harness.run(2)
    assert harness.on() == set()


def test_switch_ons_are_staggered() -> None:
    harness = Harness(4, loads=dict.fromkeys(range(1, 5), 20.0), stagger_s=0.5)
    harness.plan([1, 2, 3, 4])
    harness.run(2)
    assert harness.on() == {1, 2, 3, 4}
    switch_times = sorted(o.last_switch_at for o in harness.controller.outlets)
    gaps = [b - a for a, b in itertools.pairwise(switch_times)]
    assert min(gaps) >= 0.5 - 1e-9


def test_switch_ons_follow_plan_priority() -> None:
    harness = Harness(3, loads=dict.fromkeys(range(1, 4), 20.0), stagger_s=0.5)
    harness.plan([1, 2, 3], priority=[3, 1, 2])
    harness.run(2)
    order = sorted(harness.controller.outlets, key=lambda o: o.last_switch_at)
    assert [o.id for o in order] == [3, 1, 2]


def test_admission_counts_a_new_outlet_at_its_max_power() -> None:
    harness = Harness(3, max_power_w=200, loads={1: 150, 2: 150, 3: 150}, hard_limit_w=450)
    harness.plan([1, 2, 3], budget_w=450)
    harness.run(1)
    assert harness.on() == {1, 2}  # 200 + 200 reserved; a third 200 would pass 450
    harness.run(5)
    assert harness.on() == {1, 2}  # settled at 300 W: 300 + 200 > 450 still
    harness.loads[1] = 40  # outlet 1 tapers: 190 + 200 fits
    harness.run(1)
    assert harness.on() == {1, 2, 3}


def test_plan_reserve_lets_admission_count_the_expected_draw() -> None:
    harness = Harness(3, max_power_w=200, loads={1: 150, 2: 60, 3: 60}, hard_limit_w=450)
    harness.plan([1, 2, 3], budget_w=450, reserve_w={2: 70.0, 3: 70.0})
    harness.run(1)
    assert harness.on() == {1, 2, 3}  # 200 + 70 + 70 reserved: fits; at max power it would not


def test_plan_reserve_never_exceeds_the_outlet_max_power() -> None:
    harness = Harness(2, max_power_w=100, loads={1: 90, 2: 90}, hard_limit_w=150)
    harness.plan([1, 2], budget_w=150, reserve_w={1: 500.0, 2: 500.0})
    harness.run(1)
    assert harness.on() == {1}  # counted at 100 W (its max), not 500 W: the first one fits


def test_plan_expiry_falls_back_to_failsafe() -> None:
    harness = Harness(3, loads={1: 90, 2: 90, 3: 90}, min_on_s=0, failsafe_budget_w=250)
    harness.plan([1], ttl_s=10)
    harness.run(5)
    assert harness.controller.mode == "planned"
    harness.run(5.2)
    assert harness.controller.mode == "failsafe"
    harness.run(5)
    assert harness.on() == {1, 2}  # 90 + 90 measured; a third at 100 W max would pass 250


def test_expired_plan_with_on_expiry_off_keeps_outlets_off() -> None:
    harness = Harness(3, exceptions=[3], loads={1: 50, 3: 40}, min_on_s=0)
    harness.plan([], ttl_s=5, on_expiry="off")
    harness.run(10)
    assert harness.controller.mode == "off"
    assert harness.on() == {3}


def test_plan_may_switch_exception_outlets_off() -> None:
    harness = Harness(3, exceptions=[3], loads={3: 40})
    harness.plan([])
    harness.run(1)
    assert harness.on() == {3}
    harness.plan([], exceptions_on=False)
    harness.step()
    assert harness.on() == set()


def test_manual_command_is_held_until_cleared() -> None:
    harness = Harness(3, loads={1: 50, 2: 50}, min_on_s=0, min_off_s=0)
    harness.plan([1])
    harness.controller.set_override(2, True)
    harness.controller.set_override(1, False)
    harness.run(2)
    assert harness.on() == {2}
    harness.controller.set_override(1, None)
    harness.controller.set_override(2, None)
    harness.run(2)
    assert harness.on() == {1}


def test_a_manual_off_acts_at_once_within_the_minimum_on_time() -> None:
    harness = Harness(2, loads={1: 50}, min_on_s=60, min_off_s=30)
    harness.plan([1])
    harness.run(1)
    assert harness.on() == {1}
    harness.controller.set_override(1, False)
    harness.step()
    assert harness.on() == set()  # not after the 60 s a plan's "off" would wait


def test_a_manual_on_skips_the_minimum_off_time_but_not_admission() -> None:
    harness = Harness(2, loads={1: 50, 2: 50}, min_on_s=0, min_off_s=30)
    harness.plan([1], budget_w=120)
    harness.run(1)
    harness.controller.set_override(1, False)
    harness.step()
    harness.controller.set_override(1, True)
    harness.step()
    assert harness.on() == {1}  # at once, not 30 s later
    # Outlet 2 would take the strip past its budget: a person's "on" waits like any other.
    harness.controller.set_override(2, True)
    harness.run(10)
    assert harness.on() == {1}
    view = outlet_view(harness.controller, harness.controller.outlet(2), harness.now)
    assert view["state"] == "waiting"
    assert view["target"] is True


def test_plan_naming_an_unknown_outlet_is_refused() -> None:
    harness = Harness(2)
    with pytest.raises(KeyError):
        harness.plan([3])
    assert harness.controller.plan is None
