"""Strips sharing a circuit: the split compares their outlets by one need, whatever the
strategy, and the site plans each strip from one observation per cycle."""

from __future__ import annotations

from dataclasses import replace

from custom_components.smartmulti.balancing import (
    Balancer,
    Circuit,
    NeedLevel,
    SiteBalancer,
    Strategy,
    StripInput,
)

from .helpers import laptop, strip


def _named(s: StripInput, strip_id: str) -> StripInput:
    return replace(s, strip_id=strip_id)


def test_the_emptier_strip_gets_the_room_whichever_strip_comes_first() -> None:
    fuller = strip(
        *(laptop(i, percent=p) for i, p in enumerate((77, 80, 85, 88))),
        budget=600,
        strategy=Strategy.BATTERY_PRIORITY,
    )
    emptier = strip(
        *(laptop(i, percent=p) for i, p in enumerate((16, 20, 23, 26))),
        budget=600,
        strategy=Strategy.BATTERY_PRIORITY,
    )
    for order in ("ab", "ba"):
        site = SiteBalancer(Circuit("room", 140, strips=tuple(order)))
        plan = site.plan({"a": _named(fuller, "a"), "b": _named(emptier, "b")})
        assert plan.plans["a"].on == ()
        assert set(plan.plans["b"].on) == {0, 1}


def test_a_laptop_never_measured_is_not_passed_over_for_cheaper_fuller_ones() -> None:
    """Counted at its outlet's 165 W maximum until measured, it still goes first."""
    fuller = strip(
        *(laptop(i, on=True, power=60, percent=80 + i, since=900) for i in range(3)),
        budget=600,
        strategy=Strategy.BATTERY_PRIORITY,
    )
    emptier = strip(
        laptop(0, percent=16, max_w=165), budget=600, strategy=Strategy.BATTERY_PRIORITY
    )
    site = SiteBalancer(Circuit("room", 200, strips=("a", "b")))
    plan = site.plan({"a": _named(fuller, "a"), "b": _named(emptier, "b")})
    assert plan.plans["b"].on == (0,)
    assert plan.budgets["b"] >= 165
    assert plan.plans["a"].on == ()


def test_a_laptop_about_to_run_flat_comes_first_whatever_its_strips_strategy() -> None:
    """``battery_priority`` never marks a laptop urgent; ``smart`` holds a young turn: the
    common need still puts the laptop about to run flat first."""
    smart_turn = strip(laptop(0, on=True, power=60, percent=50, since=120), budget=600)
    flat_soon = strip(laptop(0, percent=3), budget=600, strategy=Strategy.BATTERY_PRIORITY)
    site = SiteBalancer(Circuit("room", 70, strips=("a", "b")))
    plan = site.plan({"a": _named(smart_turn, "a"), "b": _named(flat_soon, "b")})
    assert plan.plans["b"].on == (0,)
    assert plan.plans["a"].on == ()


def test_equal_needs_are_served_one_strip_after_the_other() -> None:
    """Room for one laptop and the same laptop on each strip: the first strip served moves
    on each cycle, so neither strip is always first."""
    site = SiteBalancer(Circuit("room", 70, strips=("a", "b")))
    winners = []
    for k in range(4):
        same = strip(laptop(0, percent=40, since=3600), budget=600, now=60.0 * k)
        plan = site.plan({"a": _named(same, "a"), "b": _named(same, "b")})
        winners.append(max(plan.budgets, key=plan.budgets.__getitem__))
    assert set(winners) == {"a", "b"}


def test_a_first_come_strip_is_ranked_by_the_laptop_it_would_charge() -> None:
    """A ``total_cap`` strip charges its earliest arrival first: given room for its late, empty
    arrival, it would spend it on its full first arrival."""
    engine_a = Balancer()
    first_come = strip(laptop(0, percent=90), budget=600, strategy=Strategy.TOTAL_CAP)
    engine_a.plan(first_come)  # laptop 0 arrived first
    late = replace(
        first_come, outlets=(laptop(0, percent=90), laptop(1, percent=10)), now=60.0, strip_id="a"
    )
    demand = engine_a.demand(engine_a.observe(late))
    by_need = [n.order for n in demand.needs]
    # The strip's chunks keep its own order: the full first arrival, then the empty one.
    assert by_need == sorted(by_need, reverse=True)
    assert [w for _, w in demand.chunks] == [65.0, 65.0]


def test_a_max_outlets_strip_is_not_given_room_for_outlets_it_may_not_switch_on() -> None:
    capped = strip(
        *(laptop(i, percent=10 + i) for i in range(4)),
        budget=600,
        strategy=Strategy.MAX_OUTLETS,
        max_on=1,
    )
    other = strip(*(laptop(i, percent=40 + i) for i in range(4)), budget=600)
    site = SiteBalancer(Circuit("room", 260, strips=("a", "b")))
    plan = site.plan({"a": _named(capped, "a"), "b": _named(other, "b")})
    assert len(plan.plans["a"].on) == 1
    assert len(plan.plans["b"].on) == 3


def test_the_circuit_tree_can_be_given_with_each_cycle() -> None:
    site = SiteBalancer()
    one = strip(*(laptop(i, percent=30) for i in range(4)), budget=600)
    tight = site.plan({"a": _named(one, "a")}, root=Circuit("room", 140, strips=("a",)))
    free = site.plan({"a": _named(replace(one, now=60.0), "a")}, root=None)
    assert tight.budgets["a"] == 140
    assert free.budgets["a"] == 600
    assert site.root is None  # given per cycle, not kept


def test_a_site_plans_each_strip_as_the_strip_engine_alone_would() -> None:
    """Planned through a circuit with room to spare, a strip gets the plans it gets alone
    (its need and its plan come from one observation of the cycle)."""
    draws = [70.0, 70.0, 60.0, 50.0, 40.0, 30.0, *([13.0] * 8)]
    inputs = [
        strip(laptop(0, on=True, power=w, since=600 + 60 * k), budget=500, now=60.0 * k)
        for k, w in enumerate(draws)
    ]
    alone = Balancer()
    site = SiteBalancer(Circuit("room", 5000, strips=("s1",)))
    for s in inputs:
        assert site.plan({"s1": s}).plans["s1"].outlets == alone.plan(s).outlets


def test_a_young_turn_keeps_its_room_against_a_needier_laptop_on_another_strip() -> None:
    """Room for one laptop: a turn two minutes old keeps it against a laptop emptier by 40
    points on the other strip (not about to run flat), whatever either strip's strategy; once
    the turn is older than ``dwell_s`` the emptier laptop gets the room."""
    site = SiteBalancer(Circuit("room", 70, strips=("a", "b")))
    for strategy in (Strategy.SMART, Strategy.BATTERY_PRIORITY):
        for since, winner in ((120.0, "a"), (3600.0, "b")):
            turn = strip(
                laptop(0, on=True, power=60, percent=60, since=since),
                budget=600,
                strategy=strategy,
            )
            waiting = strip(laptop(0, percent=20, since=3600), budget=600, strategy=strategy)
            plan = site.plan({"a": _named(turn, "a"), "b": _named(waiting, "b")})
            assert plan.plans[winner].on == (0,), (strategy, since)
            assert plan.plans["b" if winner == "a" else "a"].on == ()


def test_a_turn_begun_in_the_room_of_a_look_is_not_held_by_the_circuit() -> None:
    """A strip's look at an outlet never seen takes the room; the laptop waiting behind it
    goes on in that room once the look reads nothing. The circuit granted the room to the
    look, so that laptop's young turn ranks as a charge, not as a turn it granted."""
    engine = Balancer()
    first = strip(laptop(0, percent=50, since=3600), laptop(1, since=3600), budget=70)
    plan = engine.plan(first)
    assert plan.looks == (1,)
    assert plan.after_looks == (0,)
    released = replace(
        laptop(1, since=58.0), found_empty=True, battery=None, relay_on=False, power_w=0.0
    )
    second = strip(
        laptop(0, on=True, power=60, percent=50, since=58.0), released, budget=70, now=60.0
    )
    demand = engine.demand(engine.observe(second))
    assert [n.level for n in demand.needs] == [NeedLevel.CHARGE]
    # The same turn begun in the strip's own room is held.
    alone = Balancer()
    assert alone.plan(strip(laptop(0, percent=50, since=3600), budget=70)).on == (0,)
    on = strip(laptop(0, on=True, power=60, percent=50, since=58.0), budget=70, now=60.0)
    assert [n.level for n in alone.demand(alone.observe(on)).needs] == [NeedLevel.TURN]
