"""Looks the agent releases as soon as they read nothing, and the room they give back.

A look holds its outlet's whole rating until its meter is read; the agent switches an empty
one off a couple of seconds after it went on. The plan names its looks and, behind them, what
takes their room: the other looks wanted, one after the other, then what fits beside the rest
of the plan once the looks are released.
"""

from __future__ import annotations

from dataclasses import replace

from custom_components.smartmulti.balancing import (
    Balancer,
    OutletInput,
    Reason,
    Strategy,
    StripPlan,
)

from .helpers import laptop, reasons, strip

RATING = 200.0


def _unknown(
    outlet_id: int, *, on: bool = False, power: float = 0.0, since: float | None = None
) -> OutletInput:
    """An outlet with no laptop known there (no report), rated ``RATING``."""
    return laptop(outlet_id, on=on, power=power, since=since, max_w=RATING)


def test_a_look_is_named_and_a_laptop_waits_for_its_room() -> None:
    """Room for one outlet at its rating: the never-seen outlet is looked at, and the laptop
    that wants charge waits for the look's room instead of the next cycle."""
    engine = Balancer()
    plan = engine.plan(strip(_unknown(0), laptop(1, max_w=RATING, percent=50), budget=240))

    assert plan.on == (0,)
    assert plan.looks == (0,)
    assert plan.after_looks == (1,)
    assert plan.planned_w <= 240  # the looks are counted in full until released
    # The agent is sent both: its admission holds the laptop until the look is released.
    body = plan.agent_plan(30)
    assert body["on"] == [0, 1]
    assert body["looks"] == [0]
    assert plan.priority.index(0) < plan.priority.index(1)
    assert reasons(plan)[0] is Reason.PROBING


def test_nothing_waits_behind_a_look_while_its_room_is_held_by_a_minimum_on_time() -> None:
    """A full laptop on for 55 s of its 60 s minimum is planned off for a look at the next
    cycle, 10 s later (the agent switches it the moment it may): until then it holds the
    look's room, and a laptop planned behind the look would be admitted into the room it
    leaves, so the look would never fit. Nothing waits behind the look until its room is free;
    then the laptop that wants charge does."""
    engine = Balancer()

    def cycle(now: float, since: float) -> tuple[tuple[int, ...], tuple[int, ...]]:
        full = laptop(1, on=True, power=50, percent=100, since=since, max_w=RATING)
        waiting = laptop(2, max_w=RATING, percent=50)
        plan = engine.plan(strip(_unknown(0), full, waiting, budget=240, now=now))
        return plan.looks, plan.after_looks

    cycle(0.0, 45.0)
    assert cycle(10.0, 55.0) == ((0,), ())
    assert cycle(20.0, 65.0) == ((0,), (2,))


def test_the_other_looks_wanted_are_made_one_after_the_other_in_the_same_room() -> None:
    engine = Balancer()
    plan = engine.plan(
        strip(
            _unknown(0), _unknown(1), _unknown(2), laptop(3, max_w=RATING, percent=50), budget=240
        )
    )

    assert len(plan.on) == 1
    assert set(plan.looks) == {0, 1, 2}
    # The looks first, then the laptop: each look goes on in the room the last one gave back.
    assert set(plan.after_looks[:2]) == {0, 1, 2} - set(plan.on)
    assert plan.after_looks[2:] == (3,)
    # The agent admits in the priority's order: what waits comes right after what is on, in
    # the order it is to go on (the other looks before the laptop whatever their worth).
    assert plan.priority == (*plan.on, *plan.after_looks)


def test_a_look_released_by_the_agent_is_taken_as_the_outlet_found_empty() -> None:
    """The agent switched the look off 7 s ago, before any cycle saw it on: the outlet is
    known empty and not looked at again at once."""
    engine = Balancer()
    engine.plan(strip(_unknown(0), laptop(1, max_w=RATING, percent=50), budget=240))

    released = replace(_unknown(0, since=7.0), found_empty=True)
    plan = engine.plan(strip(released, laptop(1, max_w=RATING, percent=50), budget=240, now=10))

    assert 0 not in plan.on
    assert not plan.looks
    assert reasons(plan)[0] is Reason.EMPTY
    memory = engine.memory(0)
    assert memory is not None
    assert memory.occupant.present is False
    assert memory.occupant.seen_at == 3.0


def test_an_outlet_released_after_the_last_cycle_saw_its_laptop_is_found_empty() -> None:
    """The agent switched an outlet off when its laptop was unplugged and its rating did not
    fit: 4 s ago, 6 s after a cycle saw the laptop drawing (cycles every 10 s, well within
    half a minimum off time). The release is news, not the one already known."""
    engine = Balancer()
    drawing = _unknown(0, on=True, power=80.0, since=300.0)
    for now in (0.0, 10.0):
        engine.plan(strip(drawing, laptop(1, max_w=RATING, percent=50), budget=240, now=now))
    seen = engine.memory(0)
    assert seen is not None
    assert seen.occupant.present is True

    released = replace(_unknown(0, since=4.0), found_empty=True)
    plan = engine.plan(strip(released, laptop(1, max_w=RATING, percent=50), budget=240, now=20))

    assert 0 not in plan.on
    assert reasons(plan)[0] is Reason.EMPTY
    memory = engine.memory(0)
    assert memory is not None
    assert memory.occupant.present is False
    assert memory.occupant.seen_at == 16.0
    assert memory.looks.empty_looks == 0  # a laptop just left: the next may come soon


def test_without_the_release_the_look_is_still_wanted() -> None:
    """The same cycle when the agent did not make the look (no room yet): looked at again."""
    engine = Balancer()
    engine.plan(strip(_unknown(0), laptop(1, max_w=RATING, percent=50), budget=240))

    plan = engine.plan(strip(_unknown(0), laptop(1, max_w=RATING, percent=50), budget=240, now=10))

    assert plan.looks == (0,)


def test_a_release_already_known_changes_nothing() -> None:
    """Read again a cycle later from a state half a second late: the same release, not a
    second look finding the outlet empty (which would back its looks off once more)."""
    engine = Balancer()
    engine.plan(strip(_unknown(0), laptop(1, max_w=RATING, percent=50), budget=240))
    released = replace(_unknown(0, since=7.0), found_empty=True)
    engine.plan(strip(released, laptop(1, max_w=RATING, percent=50), budget=240, now=10))
    before = engine.memory(0)

    later = replace(_unknown(0, since=16.5), found_empty=True)
    engine.plan(strip(later, laptop(1, max_w=RATING, percent=50), budget=240, now=20))

    after = engine.memory(0)
    assert before is not None
    assert after is not None
    assert after.looks == before.looks
    assert after.occupant.seen_at == before.occupant.seen_at


def test_only_smart_plans_looks_to_release() -> None:
    for strategy in (Strategy.BATTERY_PRIORITY, Strategy.TOTAL_CAP, Strategy.MAX_OUTLETS):
        plan = Balancer().plan(
            strip(
                _unknown(0),
                laptop(1, max_w=RATING, percent=50),
                budget=240,
                strategy=strategy,
                max_on=1,
            )
        )
        assert plan.looks == ()
        assert plan.after_looks == ()


def test_a_look_nobody_waits_for_keeps_its_room_and_the_outlet_stays_open() -> None:
    """Room to spare: the look is not named, so the agent holds it for the minimum on time and
    the engine keeps the empty outlet open while the room is spare; a laptop plugged in there
    then draws at once instead of waiting for the next look."""
    engine = Balancer()
    plan = engine.plan(strip(_unknown(0), laptop(1, max_w=RATING, percent=50), budget=500))

    assert set(plan.on) == {0, 1}
    assert plan.looks == ()
    assert plan.after_looks == ()

    opened = engine.plan(
        strip(
            _unknown(0, on=True, power=0.0, since=60.0),
            laptop(1, on=True, power=60.0, max_w=RATING, percent=51, since=60.0),
            budget=500,
            now=60,
        )
    )
    assert 0 in opened.on
    assert reasons(opened)[0] is Reason.OPEN


def _turn(now: float, *, percent: float = 50.0) -> StripPlan:
    """An empty outlet rated ``RATING`` seen at 0 s and a laptop measured at 70 W beside it;
    the budget falls to 50 W at 60 s (both go off) and is back at 240 W at ``now``, where the
    laptop goes on again: a look at the empty outlet does not fit beside it."""
    engine = Balancer()
    engine.plan(
        strip(
            _unknown(0, on=True, power=0.0, since=100.0),
            laptop(1, on=True, power=70.0, max_w=RATING, percent=percent, since=100.0),
            budget=240,
        )
    )
    engine.plan(
        strip(
            _unknown(0, on=True, power=0.0, since=160.0),
            laptop(1, on=True, power=70.0, max_w=RATING, percent=percent, since=160.0),
            budget=50,
            now=60.0,
        )
    )
    return engine.plan(
        strip(
            _unknown(0, since=now - 60.0),
            laptop(1, max_w=RATING, percent=percent, since=now - 60.0),
            budget=240,
            now=now,
        )
    )


def test_a_look_due_is_made_in_the_room_of_a_laptop_switching_on_which_waits_behind_it() -> None:
    """Where a look never fits beside the laptops charging, it is made when the room is handed
    over anyway: the laptop switching on waits the moment the meter takes, not a cycle, and
    the look comes before it would be forced (shedding whoever charges then)."""
    plan = _turn(2000.0)

    assert plan.on == (0,)
    assert plan.looks == (0,)
    assert plan.after_looks == (1,)
    assert plan.planned_w <= 240.0
    assert plan.priority[:2] == (0, 1)


def test_a_look_not_yet_due_does_not_make_a_laptop_switching_on_wait() -> None:
    """Early enough to take spare room (over half its interval gone), not due: made at the
    turn, it would stand in for the due look and put the outlet's next one further off."""
    plan = _turn(1000.0)

    assert plan.on == (1,)
    assert plan.looks == ()


def test_a_laptop_kept_alive_does_not_wait_behind_a_look() -> None:
    plan = _turn(2000.0, percent=3.0)

    assert 1 in plan.on
    assert 0 not in plan.on


def test_the_other_looks_wait_with_the_rest_while_the_first_ones_room_is_held() -> None:
    """As above, with three outlets to look at: while the full laptop holds the room, nothing
    waits behind the first look, the other looks included. Each look the plan names is one it
    switches on (the agent refuses a plan whose look it would not switch on), so the other two
    are named again only once they can go on behind it."""
    engine = Balancer()

    def cycle(now: float, since: float) -> StripPlan:
        full = laptop(3, on=True, power=50, percent=100, since=since, max_w=RATING)
        waiting = laptop(4, max_w=RATING, percent=50)
        return engine.plan(
            strip(_unknown(0), _unknown(1), _unknown(2), full, waiting, budget=240, now=now)
        )

    cycle(0.0, 45.0)
    held = cycle(10.0, 55.0)
    assert len(held.looks) == 1
    assert set(held.looks) <= set(held.on)
    assert held.after_looks == ()
    body = held.agent_plan(30)
    assert set(body["looks"]) <= set(body["on"])
    free = cycle(20.0, 65.0)
    assert set(free.looks) == {0, 1, 2}
    assert set(free.looks) <= {*free.on, *free.after_looks}
    assert free.after_looks[-1] == 4
