"""The one admission rule: what a switch-on is counted at, and when staggered switch-ons happen.

The controller, a pairing's windows and the bench's model of the agent all ask this rule, so
its schedule must be the one the controller really switches on.
"""

from __future__ import annotations

import itertools

import pytest

from pi_agent.control.admission import Admission, counted_w, fits, switch_on_w

from .harness import Harness


def test_a_switch_on_counts_at_the_plans_estimate_capped_at_the_outlets_maximum() -> None:
    assert switch_on_w(100.0, None) == 100.0
    assert switch_on_w(100.0, 40.0) == 40.0
    assert switch_on_w(100.0, 140.0) == 100.0


def test_a_settling_outlet_counts_at_least_at_its_switch_on_cost() -> None:
    assert counted_w(5.0, True, 60.0) == 60.0  # a charger still negotiating
    assert counted_w(75.0, True, 60.0) == 75.0  # already drawing more than expected
    assert counted_w(5.0, False, 60.0) == 5.0  # settled: what the meter says


def test_an_exact_fit_is_not_refused_for_a_rounding_error() -> None:
    assert fits(0.1 + 0.2, 0.7, 1.0)
    assert not fits(0.3, 0.71, 1.0)


def test_the_controller_switches_on_when_the_rule_says() -> None:
    harness = Harness(4, loads=dict.fromkeys(range(1, 5), 20.0), stagger_s=0.5)
    predicted = harness.controller.admission.switch_on_times(harness.now, 4)
    harness.plan([1, 2, 3, 4])
    harness.run(3)
    assert harness.on() == {1, 2, 3, 4}
    switched = sorted(o.last_switch_at for o in harness.controller.outlets)
    # 5 Hz samples: a sample after the plan, then every third sample (0.6 s >= 0.5 s).
    assert switched == pytest.approx([0.2, 0.8, 1.4, 2.0])
    assert switched == pytest.approx(predicted)


def test_the_bench_models_switch_ons_one_stagger_apart() -> None:
    """The bench samples at its stagger (``bench.world``): its figures rest on this schedule."""
    assert Admission(0.5, 0.5).switch_on_times(0.0, 3) == [0.5, 1.0, 1.5]


@pytest.mark.parametrize(
    ("stagger_s", "period"), itertools.product([0.3, 0.5, 1.0, 2.5], [0.1, 0.2, 0.5])
)
def test_slots_count_the_switch_ons_of_the_schedule(stagger_s: float, period: float) -> None:
    """What a pairing foresees for a window (``slots``) is what the schedule fits into it."""
    admission = Admission(stagger_s, period)
    for last_on_at, now, within_s in itertools.product([-1e9, 3.0], [3.0, 3.3], [0.0, 1.4, 4.1]):
        admission.last_on_at = last_on_at
        times = admission.switch_on_times(now, 100)
        fitting = sum(1 for t in times if t <= now + within_s + 1e-6)
        assert admission.slots(now, within_s) == fitting


def test_an_outlet_counts_as_settled_only_from_a_reading_taken_after_it_settled() -> None:
    """A charger negotiates for a second or two, drawing next to nothing. If the sample due as
    the outlet settles is missed, the reading before it (still negotiating) must not stand for
    its draw: what waits for its room would go on beside a draw never read."""
    harness = Harness(2, max_power_w=200.0, loads={1: 5.0, 2: 100.0})
    harness.plan([1, 2], budget_w=210.0)
    while harness.now < 2.0 - 1e-9:
        harness.step()
    assert harness.on() == {1}
    harness.silent.add(1)  # the samples as it settles are missed
    harness.loads[1] = 100.0
    harness.run(0.4)
    assert harness.on() == {1}
    harness.silent.clear()
    harness.run(2.0)
    # Read at 100 W, outlet 1 leaves 110 W: outlet 2 (counted at its 200 W rating) waits.
    assert harness.on() == {1}
