"""What the bench tells the engine: only what a real strip and its Home Assistant would know."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from bench.knowledge import BATTERY_MAX_AGE_S, DEPARTURE_SD_S, PAIRING_S, REPORT_EVERY_S
from bench.scenario import Device, Scenario
from bench.world import Decision, StripWorld

if TYPE_CHECKING:
    # The bench loads the engine as the top-level package ``balancing`` (importing ``bench``
    # first does).
    from balancing import OutletInput


def _device(ident: str, outlet: int, **changes: object) -> Device:
    fields: dict[str, object] = {
        "id": ident,
        "outlet": outlet,
        "arrival_s": 600,
        "departure_s": 3000,
        "capacity_wh": 60.0,
        "soc0": 0.5,
        "target_soc": 0.8,
        "charge_w": 140.0,
        "use_w": 10.0,
        "cv_soc": 0.8,
        "efficiency": 0.9,
        "reports_battery": True,
        "departure_known": True,
    }
    fields.update(changes)
    return Device(**fields)  # type: ignore[arg-type]


DAY = Scenario(
    name="knowledge",
    step_s=60,
    duration_s=7200,
    outlets=4,
    budget_w=((0, 1000.0),),
    exceptions=(),
    devices=(
        _device("reporter", 1),
        _device("sensor", 2, battery_via="sensor"),
        _device("silent", 3, reports_battery=False, departure_known=False),
    ),
    outlet_max_power_w=200.0,
    sensor_lag_s=300.0,
)


def _day_inputs(day: Scenario = DAY) -> list[dict[int, OutletInput]]:
    """Each step's engine input per outlet, every outlet on so draws are measured."""
    world = StripWorld(day)
    seen = []
    for k in range(day.steps):
        t = k * 60.0
        strip = world.observe(t, 1000.0)
        seen.append({o.outlet_id: o for o in strip.outlets})
        world.step(Decision(frozenset(day.outlet_ids), tuple(day.outlet_ids)), 1000.0)
    return seen


def test_the_engine_sees_the_configured_rating_and_no_charge_limit() -> None:
    for step in _day_inputs():
        for outlet in step.values():
            assert outlet.max_power_w == 200.0
            assert outlet.target_percent == 100.0


def test_a_charge_limit_reaches_the_engine_only_where_its_user_set_one() -> None:
    limited = _device("limited", 1, target_soc=0.8, limit_set=True)
    day = dataclasses.replace(DAY, devices=(limited, *DAY.devices[1:]))
    for k, step in enumerate(_day_inputs(day)):
        here = limited.arrival_s <= k * 60.0 < limited.departure_s
        assert step[1].target_percent == (80.0 if here else 100.0)
        assert step[2].target_percent == 100.0


def test_reports_start_after_pairing_are_whole_percents_and_outlive_the_laptop() -> None:
    seen = _day_inputs()
    first = min(k for k, step in enumerate(seen) if step[1].battery is not None)
    assert first * 60.0 >= 600 + PAIRING_S
    assert first * 60.0 <= 600 + PAIRING_S + REPORT_EVERY_S + 60.0
    for step in seen:
        report = step[1].battery
        if report is not None:
            assert report.percent == round(report.percent)
            assert report.age_s <= BATTERY_MAX_AGE_S
    # The laptop left at 3000 s: its last post is still given, aging, until it is stale.
    after = [step[1].battery for step in seen[51:59]]
    assert all(r is not None for r in after)
    assert after[-1].age_s > after[0].age_s
    assert seen[3000 // 60 + math.ceil(BATTERY_MAX_AGE_S / 60) + 1][1].battery is None
    # Nothing ever reports for a laptop without a reporter or a sensor.
    assert all(step[3].battery is None for step in seen)


def test_a_sensor_follows_the_charge_late() -> None:
    seen = _day_inputs()
    # While charging the lagged sensor shows less than the reporter of the same laptop.
    at = 1800 // 60
    assert seen[at][2].battery.percent < seen[at][1].battery.percent


def test_a_usual_departure_is_noisy_and_given_only_while_the_session_is_open() -> None:
    seen = _day_inputs()
    given = [step[1].departure_at for step in seen]
    assert all(d is None for d in given[: 600 // 60])
    usual = {d for d in given if d is not None}
    assert len(usual) == 1
    (departure,) = usual
    assert departure != 3000.0
    assert abs(departure - 3000.0) < 4 * DEPARTURE_SD_S
    assert all(d is None for d in given[3000 // 60 :])
    assert all(step[3].departure_at is None for step in seen)


LOOKS = Scenario(
    name="looks",
    step_s=60,
    duration_s=600,
    outlets=3,
    budget_w=((0, 240.0),),
    exceptions=(),
    devices=(_device("here", 2, arrival_s=0), _device("waiting", 3, arrival_s=0)),
    outlet_max_power_w=200.0,
    sensor_lag_s=300.0,
)


def test_the_bench_agent_releases_an_empty_look_and_admits_what_waited_for_its_room() -> None:
    """As the agent does: a look reading nothing goes off once its meter settles, its room
    goes to the plan's next outlet, and the engine is told the outlet was found empty."""
    world = StripWorld(LOOKS)
    world.observe(0.0, 240.0)
    plan = Decision(frozenset({1, 3}), (1, 3, 2), looks=frozenset({1}))

    world.step(plan, 240.0)

    assert world.relay == {1: False, 2: False, 3: True}
    assert world.out.switches == 3
    assert world.out.violation_wh == 0.0
    seen = {o.outlet_id: o for o in world.observe(60.0, 240.0).outlets}
    assert seen[1].found_empty
    assert not seen[1].relay_on
    assert seen[1].seconds_since_switch is not None
    assert 55.0 < seen[1].seconds_since_switch < 60.0
    assert not seen[3].found_empty


def test_a_look_that_finds_a_laptop_keeps_its_room() -> None:
    world = StripWorld(LOOKS)
    world.observe(0.0, 240.0)
    plan = Decision(frozenset({2, 3}), (2, 3, 1), looks=frozenset({2}))

    world.step(plan, 240.0)

    assert world.relay == {1: False, 2: True, 3: False}
    seen = {o.outlet_id: o for o in world.observe(60.0, 240.0).outlets}
    assert not seen[2].found_empty


def test_the_bench_agent_refuses_a_plan_the_agent_would_and_keeps_its_last() -> None:
    """A look at an outlet the plan does not switch on is refused by the agent (422) with the
    plan it holds kept: the bench counts it, as a policy's bug, and keeps the last plan too."""
    world = StripWorld(LOOKS)
    world.observe(0.0, 240.0)
    world.step(Decision(frozenset({2}), (2, 3, 1)), 240.0)
    world.observe(60.0, 240.0)

    world.step(Decision(frozenset({3}), (3, 2, 1), looks=frozenset({1})), 240.0)
    world.step(Decision(frozenset({2}), (2, 3, 1), reserve_w={4: 50.0}), 240.0)

    assert world.out.refused_plans == 2
    assert world.relay == {1: False, 2: True, 3: False}
    world.step(Decision(frozenset({3}), (3, 2, 1)), 240.0)
    assert world.out.refused_plans == 2


READING = dataclasses.replace(
    LOOKS,
    name="reading",
    devices=(
        _device("read", 2, arrival_s=0, charge_w=60.0),
        _device("behind", 3, arrival_s=0, charge_w=60.0),
    ),
)


def test_the_bench_agent_admits_what_waits_once_a_switch_on_is_read() -> None:
    """As the agent does every sample: an outlet switched on counts at its rating only until
    its meter has settled; what waited for that room goes on in the same step."""
    world = StripWorld(READING)
    world.observe(0.0, 240.0)
    plan = Decision(frozenset({2, 3}), (2, 3, 1), reserve_w={3: 100.0})

    draws = world.step(plan, 240.0)

    assert world.relay == {1: False, 2: True, 3: True}
    assert world.out.violation_wh == 0.0
    assert 60.0 < draws[2] < 200.0
    # Outlet 3 went on a few seconds into the step, once outlet 2 was read: it charged its
    # laptop for less of the step.
    assert 0.5 < world.soc["behind"] < world.soc["read"]


SWAP = dataclasses.replace(
    LOOKS,
    name="swap",
    devices=(
        _device("leaving", 1, arrival_s=0, departure_s=600, charge_w=60.0),
        _device("coming", 1, arrival_s=600, departure_s=3000, charge_w=140.0),
        _device("staying", 2, arrival_s=0, charge_w=60.0),
    ),
)


def _swap_world(budget_w: float) -> tuple[StripWorld, dict[int, OutletInput]]:
    """Both laptops (67 W each, switched on at the plan's 80 W reserves) on for ten minutes;
    then the one on outlet 1 is unplugged and another, drawing about 165 W, plugged in at the
    same minute: what the engine sees then."""
    world = StripWorld(SWAP)
    plan = Decision(frozenset({1, 2}), (1, 2), reserve_w={1: 80.0, 2: 80.0})
    for k in range(10):
        world.observe(k * 60.0, budget_w)
        world.step(plan, budget_w)
    assert world.relay[1]
    assert world.relay[2]
    return world, {o.outlet_id: o for o in world.observe(600.0, budget_w).outlets}


def test_an_outlet_whose_laptop_left_goes_off_where_its_rating_does_not_fit() -> None:
    """As the agent does: the outlet's meter reads nothing once its laptop is unplugged, and
    its 200 W rating beside the 67 W still drawing does not fit 240 W, so it goes off before
    the next laptop is plugged in: that one cannot take the strip over its budget."""
    world, seen = _swap_world(240.0)

    assert not seen[1].relay_on
    assert seen[1].found_empty
    assert seen[1].seconds_since_switch == 0.0
    assert world.out.vacated_off == 1
    world.step(Decision(frozenset({1, 2}), (1, 2)), 240.0)
    assert not world.relay[1]  # its minimum off time holds it
    assert world.out.violation_wh == 0.0


def test_an_outlet_whose_laptop_left_stays_open_where_its_rating_fits() -> None:
    """With room for its rating it stays on, counted at that rating, and the laptop plugged
    in there draws at once, within the budget."""
    world, seen = _swap_world(400.0)

    assert seen[1].relay_on
    assert seen[1].power_w == 0.0  # the meter reads the empty outlet the engine is asked about
    assert not seen[1].found_empty
    assert world.out.vacated_off == 0
    draws = world.step(Decision(frozenset({1, 2}), (1, 2)), 400.0)
    assert draws[1] > 150.0
    assert world.out.violation_wh == 0.0
    assert 1 not in world.vacant  # it draws again: counted at what it reads


SHORT_STEPS = dataclasses.replace(
    LOOKS,
    name="short-steps",
    step_s=2,
    duration_s=60,
    outlets=4,
    budget_w=((0, 1000.0),),
    devices=tuple(_device(f"l{o}", o, arrival_s=0, charge_w=60.0) for o in (1, 2, 3, 4)),
)


def test_a_switch_on_with_no_time_left_in_the_step_is_made_in_the_next() -> None:
    """The agent staggers switch-ons half a second apart: in a 2 s step three land at 0.5,
    1.0 and 1.5 s, and the fourth outlet's turn would come at the step's end, so the next step
    makes it. Steps shorter than the stagger of a whole strip (the product's 10 s cycle for 16
    outlets) are then sound: no outlet is on for none of its step."""
    world = StripWorld(SHORT_STEPS)
    plan = Decision(frozenset({1, 2, 3, 4}), (1, 2, 3, 4))
    world.observe(0.0, 1000.0)

    first = world.step(plan, 1000.0)

    assert world.relay == {1: True, 2: True, 3: True, 4: False}
    assert all(first[o] > 0.0 for o in (1, 2, 3))
    world.observe(2.0, 1000.0)
    world.step(plan, 1000.0)
    assert world.relay == {1: True, 2: True, 3: True, 4: True}
    assert world.out.switches == 4
