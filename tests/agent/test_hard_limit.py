"""The hard limit is the wiring's rating: exception outlets count too, and may be shed last."""

from __future__ import annotations

import pytest

from pi_agent.api.views import outlet_state_name, strip_view
from pi_agent.config import ConfigError, parse_config
from pi_agent.control.settings import SettingsError

from .harness import Harness


def test_exception_outlets_switch_on_staggered_and_admitted() -> None:
    harness = Harness(4, exceptions=[1, 2, 3], loads={1: 40, 2: 40, 3: 40}, stagger_s=0.5)
    harness.plan([])
    harness.step()
    assert len(harness.on()) == 1  # one relay per stagger, not three inrushes at once
    harness.run(1.2)
    assert harness.on() == {1, 2, 3}


def test_exceptions_that_cannot_fit_under_the_hard_limit_are_refused() -> None:
    harness = Harness(16, max_power_w=90, hard_limit_w=1000)
    controller = harness.controller
    for outlet_id in range(1, 12):  # 11 x 90 W = 990 W: fits
        controller.update_outlet(outlet_id, exception=True)
    with pytest.raises(SettingsError) as refused:
        controller.update_outlet(12, exception=True)
    assert refused.value.field == "exception"
    assert not controller.outlet(12).exception
    with pytest.raises(SettingsError) as refused:
        controller.update_outlet(1, max_power_w=110)  # 1010 W of exceptions
    assert refused.value.field == "max_power_w"
    assert controller.outlet(1).max_power_w == 90
    controller.update_outlet(13, max_power_w=500)  # a balanced outlet may be large
    harness.loads = dict.fromkeys(range(1, 17), 89.0)
    harness.plan(range(1, 17), budget_w=1000)
    totals = harness.run(60)
    assert max(totals) <= 1000


def test_a_configuration_whose_exceptions_exceed_the_hard_limit_is_refused() -> None:
    outlets = [{"max_power_w": 400, "exception": True} for _ in range(3)]
    with pytest.raises(ConfigError, match=r"outlets\[3\]\.exception"):
        parse_config(
            {"strip": {"hard_limit_w": 1000, "failsafe_budget_w": 500}, "outlets": outlets}
        )


def test_a_budget_below_the_exceptions_draw_is_clamped_and_balanced_outlets_get_nothing() -> None:
    harness = Harness(3, exceptions=[3], loads={1: 50, 2: 50, 3: 40}, min_on_s=0)
    harness.plan([1, 2], budget_w=500)
    harness.run(5)
    assert harness.on() == {1, 2, 3}
    harness.plan([1, 2], budget_w=0)
    harness.run(2)
    assert harness.on() == {3}  # the lamp stays on: the budget is clamped to its 40 W
    snapshot = strip_view(harness.controller, harness.now)
    assert snapshot["budget_w"] == 0
    assert snapshot["limit_w"] == pytest.approx(40)
    assert snapshot["limit_clamped"] is True
    assert harness.controller.guard.trips >= 1
    harness.run(10)
    assert harness.on() == {3}


def test_exceptions_within_the_hard_limit_are_never_shed_for_the_budget() -> None:
    harness = Harness(3, exceptions=[3], loads={1: 100, 2: 100, 3: 100}, hard_limit_w=500)
    harness.plan([1, 2], budget_w=250)
    harness.run(5)
    harness.loads[3] = 400  # the exception alone exceeds the budget, not the hard limit
    harness.run(3)
    assert harness.on() == {3}
    assert harness.controller.outlet(3).fault is None


def test_the_guard_sheds_exception_outlets_last_rather_than_exceed_the_hard_limit() -> None:
    harness = Harness(4, exceptions=[3, 4], loads={1: 100, 2: 100, 3: 100, 4: 100})
    harness.plan([1, 2], budget_w=1000)
    harness.run(5)
    assert harness.on() == {1, 2, 3, 4}
    harness.loads[3] = 950  # a faulty lamp: 1050 W of exceptions, 1250 W in all
    totals = harness.run(2)
    assert harness.on() == {4}  # both balanced outlets first, then the largest exception
    assert totals[-1] <= 1000
    assert harness.controller.outlet(3).fault is not None
    assert harness.controller.outlet(4).fault is None
    assert outlet_state_name(harness.controller, harness.controller.outlet(3)) == "fault"
    harness.loads[3] = 100  # repaired: back on after the back-off, and the fault clears
    harness.run(65)
    assert 3 in harness.on()
    assert harness.controller.outlet(3).fault is None


def test_fifteen_exceptions_on_the_simulated_strip_stay_under_the_hard_limit() -> None:
    harness = Harness(16, max_power_w=90, hard_limit_w=1000)
    accepted = []
    for outlet_id in range(1, 16):
        try:
            harness.controller.update_outlet(outlet_id, exception=True)
        except SettingsError:
            continue
        accepted.append(outlet_id)
    assert len(accepted) == 11
    harness.loads = dict.fromkeys(range(1, 17), 85.0)
    harness.plan([16], budget_w=1000)
    totals = harness.run(30)
    assert max(totals) <= 1000
