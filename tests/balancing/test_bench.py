"""The balancing bench in CI size: a few days through the bench's agent and information model,
planned once a minute as the published runs are and every 10 s as the integration does.

The full bench (``scripts/bench``) needs ACN-Sim and an LP solver; these run the same world,
physics and input construction with the engine and the plain peers told the truth, so that a
regression in the engine or in what it is given shows in the test suite. The thresholds are
the targets the product is held to (``docs/benchmarks.md``): nothing over the budget, at most
4 switches per outlet-hour, no laptop that reports its battery run flat, and the energy added
within a stated share of what "lowest battery first" adds knowing every laptop's true charge.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

# The bench loads the engine as the top-level package ``balancing``: its own Strategy.
from bench.policies import EnginePolicy, LowestBatteryFirst, Strategy
from bench.scenario import Scenario, generate, load
from bench.world import GUARD_HOLD_S, Outcome, Policy, run

SCENARIOS = Path(__file__).resolve().parents[2] / "bench" / "scenarios"

#: Days the engine was tuned on (shipped ones and seeds of the tuning range), each planned on
#: its own 60 s steps as the published runs are, or every ``step_s`` seconds (the
#: integration's ``balancing_interval`` is 10 s by default), and the share of the truth-told
#: peer's added energy ``smart`` must reach: measured with margin.
DAYS: dict[tuple[str, int | None], float] = {
    ("budget_halves_at_noon", None): 0.95,
    ("coworking_day", None): 0.85,
    ("random-1007", None): 0.90,
    ("random-1013", None): 0.90,
    ("coworking_day", 10): 0.85,
    ("random-1013", 10): 0.90,
}


def _day(name: str) -> Scenario:
    if name.startswith("random-"):
        return generate(int(name.removeprefix("random-")))
    return load(SCENARIOS / f"{name}.json")


def _added_wh(out: Outcome) -> float:
    return out.delivered_wh - out.initial_wh


def _run(scenario: Scenario, policy: Policy) -> Outcome:
    return run(scenario, policy)


@pytest.mark.parametrize(("name", "step_s"), list(DAYS))
def test_smart_holds_the_targets_on_a_tuned_day(name: str, step_s: int | None) -> None:
    scenario = _day(name)
    if step_s is not None:
        scenario = dataclasses.replace(scenario, step_s=step_s)
    smart = _run(scenario, EnginePolicy(Strategy.SMART))
    peer = _run(scenario, LowestBatteryFirst())

    assert smart.refused_plans == peer.refused_plans == 0
    assert smart.violation_wh == 0.0
    assert smart.switches_per_outlet_hour <= 4.0
    assert smart.reporting_dead_minutes == 0.0
    assert _added_wh(smart) >= DAYS[name, step_s] * _added_wh(peer)


def test_the_engine_keeps_every_noticed_laptop_alive_on_the_lecture() -> None:
    """16 laptops on 300 W for 1 h 45: every laptop the strip could have noticed stays alive,
    within the budget, and the laptops leave with more charge than they came with."""
    scenario = _day("lecture")
    smart = _run(scenario, EnginePolicy(Strategy.SMART))
    assert smart.violation_wh == 0.0
    assert smart.dead_minutes - smart.blind_dead_minutes == 0.0
    assert _added_wh(smart) > 0.0


def test_planning_every_10_s_does_not_undo_what_a_minute_of_readings_taught() -> None:
    """random-1029: three laptops without reports at outlets rated 250 W on a 310 W budget.
    Planned every 10 s, their reserves lapsed 20 s after each went off when only the last
    cycle's energy vouched for their charge, and each was switched on alone at its rating in
    turn: 0.45 of what lowest battery first adds told the truth, against 0.85 now."""
    scenario = dataclasses.replace(_day("random-1029"), step_s=10)
    smart = _run(scenario, EnginePolicy(Strategy.SMART))
    peer = _run(scenario, LowestBatteryFirst())

    assert smart.violation_wh == 0.0
    assert smart.dead_minutes == 0.0
    assert _added_wh(smart) >= 0.8 * _added_wh(peer)


def test_a_rating_below_the_chargers_draws_costs_one_guard_cut_per_laptop_at_most() -> None:
    """random-1068 with every outlet rated 100 W, the default of a scenario file, where most
    chargers draw more. Counted at the rating at each switch-on, each went over the budget
    until the guard cut it, before it could be read: 1.78 Wh over the budget and 4.89
    switches per outlet-hour. The agent now keeps what each outlet's laptop drew and counts
    it at that (``OutletState.counted_max_w``), and so does the engine: a laptop goes over at
    most once, by its excess over the rating for the guard's hold."""
    scenario = dataclasses.replace(_day("random-1068"), outlet_max_power_w=100.0)
    smart = _run(scenario, EnginePolicy(Strategy.SMART))
    excess_w = sum(max(0.0, d.spec.max_draw_w - 100.0) for d in scenario.devices)
    once_wh = excess_w * GUARD_HOLD_S / 3600.0

    assert once_wh > 0.0
    assert smart.violation_wh <= once_wh
    assert smart.switches_per_outlet_hour <= 4.0
    assert smart.reporting_dead_minutes == 0.0
