"""Each strategy's defining behaviour, and the rules every strategy obeys."""

from __future__ import annotations

from dataclasses import replace

from custom_components.smartmulti.balancing import Balancer, Reason, Strategy, StripInput

from .helpers import lamp, laptop, reasons, strip


def test_total_cap_first_come_keeps_power_and_later_arrivals_wait() -> None:
    engine = Balancer()
    engine.plan(
        strip(laptop(0, on=True, power=60, since=600), budget=130, strategy=Strategy.TOTAL_CAP)
    )
    engine.plan(
        strip(
            laptop(0, on=True, power=60, since=660),
            laptop(1, on=True, power=60, since=600),
            budget=130,
            strategy=Strategy.TOTAL_CAP,
            now=60,
        )
    )
    plan = engine.plan(
        strip(
            laptop(0, on=True, power=60, since=720),
            laptop(1, on=True, power=60, since=660),
            laptop(2, percent=5),
            budget=130,
            strategy=Strategy.TOTAL_CAP,
            now=120,
        )
    )
    assert set(plan.on) == {0, 1}
    assert reasons(plan)[2] is Reason.WAITING_BUDGET


def test_max_outlets_caps_the_count_even_with_budget_to_spare() -> None:
    plan = Balancer().plan(
        strip(
            *(laptop(i, percent=50) for i in range(3)),
            budget=1000,
            strategy=Strategy.MAX_OUTLETS,
            max_on=2,
        )
    )
    assert len(plan.on) == 2
    assert reasons(plan)[2] is Reason.WAITING_TURN


def test_battery_priority_charges_the_emptiest_first() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, percent=70),
            laptop(1, percent=20),
            laptop(2, percent=45),
            budget=140,
            strategy=Strategy.BATTERY_PRIORITY,
        )
    )
    assert set(plan.on) == {1, 2}
    assert plan.priority[:2] == (1, 2)


def test_battery_priority_hysteresis_stops_near_equal_laptops_leapfrogging() -> None:
    on = laptop(0, on=True, power=60, percent=40, since=600)

    def plan_with(rival_percent: float) -> tuple[int, ...]:
        return (
            Balancer()
            .plan(
                strip(
                    on,
                    laptop(1, percent=rival_percent),
                    budget=70,
                    strategy=Strategy.BATTERY_PRIORITY,
                )
            )
            .on
        )

    assert plan_with(35) == (0,)  # 5 points emptier: inside the band, no swap
    assert plan_with(25) == (1,)  # 15 points emptier: takes over


def test_smart_keeps_a_laptop_about_to_run_flat_alive_first() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, percent=60, departure_at=1800),
            laptop(1, percent=4),
            budget=70,
        )
    )
    assert plan.on == (1,)
    assert reasons(plan)[1] is Reason.KEEP_ALIVE


def test_smart_serves_the_earlier_departure_first() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, percent=50, departure_at=8 * 3600),
            laptop(1, percent=50, departure_at=2 * 3600),
            budget=70,
        )
    )
    assert plan.on == (1,)


def test_smart_fills_the_budget_with_the_best_subset_not_a_sorted_cut() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, percent=50, max_w=65),
            laptop(1, percent=55, max_w=50),
            laptop(2, percent=60, max_w=50),
            budget=100,
        )
    )
    assert set(plan.on) == {1, 2}
    assert plan.planned_w == 100


def test_smart_reclaims_the_headroom_of_a_tapering_laptop() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, on=True, power=20, percent=92, since=900),
            laptop(1, percent=40),
            budget=90,
        )
    )
    assert set(plan.on) == {0, 1}
    assert plan.planned_w == 85


def test_exceptions_stay_on_and_their_draw_comes_off_the_budget_first() -> None:
    plan = Balancer().plan(
        strip(lamp(15, 40), laptop(0, percent=30), laptop(1, percent=35), budget=140)
    )
    assert plan.exceptions == (15,)
    assert plan.exceptions_w == 40
    assert len(plan.on) == 1
    assert 15 in plan.agent_plan(ttl_s=30)["on"]  # type: ignore[operator]
    assert reasons(plan)[15] is Reason.EXCEPTION


def test_an_outlet_just_switched_off_waits_for_its_minimum_off_time() -> None:
    plan = Balancer().plan(strip(laptop(0, percent=10, since=10), budget=500))
    assert plan.on == ()
    assert reasons(plan)[0] is Reason.MIN_OFF_TIME


def test_an_outlet_just_switched_on_is_held_for_its_minimum_on_time() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, on=True, power=60, percent=90, since=20),
            laptop(1, percent=5),
            budget=70,
        )
    )
    assert plan.on == (0,)
    assert reasons(plan)[0] is Reason.MIN_ON_TIME


def test_a_minimum_on_time_running_out_before_the_next_cycle_no_longer_holds_the_outlet() -> None:
    """Cycles 10 s apart: at 59 s of a 60 s minimum the outlet is planned off (the agent
    switches it off at 60 s, then admits the emptier laptop), not held a whole cycle more."""

    def plan_at(now: float, since: float, engine: Balancer) -> tuple[int, ...]:
        outlets = (laptop(0, on=True, power=60, percent=90, since=since), laptop(1, percent=5))
        return engine.plan(
            strip(*outlets, budget=70, strategy=Strategy.BATTERY_PRIORITY, now=now)
        ).on

    engine = Balancer()
    assert plan_at(0.0, 49.0, engine) == (0,)
    assert plan_at(10.0, 59.0, engine) == (1,)
    # Cycles 0.5 s apart: 0.5 s after 59 s the minimum has not run out yet.
    engine = Balancer()
    assert plan_at(0.0, 58.5, engine) == (0,)
    assert plan_at(0.5, 59.0, engine) == (0,)


def test_an_open_outlets_minimum_on_time_holds_it_to_the_cycle() -> None:
    """An outlet on and reading nothing since it went on (a look left open) is counted at
    nothing by the agent: planned off 5 s before its minimum runs out, its room would go to
    the waiting laptop at once, and a laptop plugged into it meanwhile would draw over the
    budget. It keeps its rating until its minimum has run out."""

    def plan_at(now: float, since: float, engine: Balancer) -> tuple[int, ...]:
        outlets = (laptop(0, on=True, power=0, since=since, max_w=200), laptop(1, percent=50))
        return engine.plan(strip(*outlets, budget=240, now=now)).on

    engine = Balancer()
    assert plan_at(0.0, 45.0, engine) == (0,)
    assert plan_at(10.0, 55.0, engine) == (0,)
    assert plan_at(20.0, 65.0, engine) == (1,)


def test_a_budget_drop_sheds_at_once_even_inside_the_minimum_on_time() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, on=True, power=60, percent=10, since=20),
            laptop(1, on=True, power=60, percent=80, since=20),
            budget=70,
        )
    )
    assert plan.on == (0,)
    assert reasons(plan)[1] is Reason.OVER_BUDGET


def test_a_stale_meter_counts_at_the_outlet_maximum() -> None:
    stale = replace(laptop(0, on=True, power=10, percent=95, since=20, max_w=65), stale=True)
    plan = Balancer().plan(strip(stale, laptop(1, percent=30), budget=100))
    assert plan.on == (0,)
    assert plan.planned_w == 65


def test_a_faulted_outlet_is_never_switched_on() -> None:
    faulted = replace(laptop(0, percent=5), fault=True)
    plan = Balancer().plan(strip(faulted, budget=500))
    assert plan.on == ()
    assert reasons(plan)[0] is Reason.FAULT


def test_an_unknown_outlet_is_probed_to_find_a_laptop_without_reports() -> None:
    plan = Balancer().plan(strip(laptop(0), budget=100))
    assert plan.on == (0,)
    assert reasons(plan)[0] is Reason.PROBING


def test_an_empty_outlet_is_not_switched_on_again_before_its_next_probe() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(0, on=True, power=0, since=120), budget=40))
    plan = engine.plan(strip(laptop(0, since=60), budget=400, now=60))
    assert plan.on == ()
    assert reasons(plan)[0] is Reason.EMPTY


def test_a_laptop_at_its_target_only_tops_up_with_room_to_spare() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, on=True, power=15, percent=100, since=900),
            laptop(1, percent=30),
            laptop(2, percent=40),
            budget=140,
        )
    )
    assert set(plan.on) == {1, 2}
    assert plan.priority[-1] == 0


def test_the_same_inputs_give_the_same_plan() -> None:
    def run() -> list[object]:
        engine = Balancer()
        inputs: list[StripInput] = [
            strip(*(laptop(i, percent=10 * i) for i in range(8)), budget=300, now=t)
            for t in (0, 10, 20)
        ]
        return [engine.plan(s) for s in inputs]

    assert run() == run()


def test_the_plan_counts_the_laptops_whose_battery_is_only_estimated() -> None:
    """A laptop seen drawing, or one still off behind an outlet it drew at, without a report is
    counted; one with a report, an outlet where nothing was ever seen, one found empty and an
    exception outlet are not."""
    engine = Balancer()
    first = [
        laptop(1, on=True, power=60, since=600),
        laptop(2, on=True, power=60, since=600, percent=40),
        laptop(3),
        laptop(4, on=True, power=0, since=600),
        laptop(5, on=True, power=50, since=600),
        lamp(6, 20),
    ]
    plan = engine.plan(strip(*first, budget=1000))
    assert plan.unreported == 2
    # The laptop on outlet 5 is switched off: still there, still only estimated.
    later = [
        *first[:4],
        replace(first[4], relay_on=False, power_w=0.0, seconds_since_switch=60),
        first[5],
    ]
    plan = engine.plan(strip(*later, budget=1000, now=60))
    assert {d.outlet_id for d in plan.outlets if d.estimated and d.percent is not None} >= {1, 5}
    assert plan.unreported == 2
