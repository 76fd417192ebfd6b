"""Empty outlets kept open together in the room of the laptops that may plug in before the
next cycle (``balancing.opens``).

Five empty outlets rated 200 W beside one laptop charging at 100 W: counted one by one at
their rating, three fit a 700 W budget; sharing the room of two arrivals, all five do.
"""

from __future__ import annotations

from custom_components.smartmulti.balancing import Balancer, Reason, Settings, StripPlan

from .helpers import laptop, reasons, strip

RATING = 200.0
EMPTY = (1, 2, 3, 4, 5)
CHARGER_W = 100.0


def _plan(engine: Balancer, budget: float, *, opened: bool, now: float = 0.0) -> StripPlan:
    """A cycle with the empty outlets on and reading nothing (``opened``) or off, and the
    laptop on outlet 0 charging."""
    empties = [
        laptop(o, on=opened, power=0.0, max_w=RATING, since=600.0 if opened else 300.0)
        for o in EMPTY
    ]
    charging = laptop(0, on=True, power=CHARGER_W, max_w=RATING, percent=40, since=600.0)
    return engine.plan(strip(charging, *empties, budget=budget, now=now))


def test_empty_outlets_stay_open_together_in_the_room_of_two_arrivals() -> None:
    plan = _plan(Balancer(), 700.0, opened=True)

    assert set(plan.on) == {0, *EMPTY}
    assert all(reasons(plan)[o] is Reason.OPEN for o in EMPTY)
    # The laptop's draw and the two largest ratings: any two laptops plugged in before the
    # next cycle fit.
    assert plan.planned_w == CHARGER_W + 2 * RATING
    assert plan.looks == ()


def test_each_open_outlet_counts_at_its_rating_without_the_room_to_share() -> None:
    """350 W left beside the laptop: less than two ratings, so each open outlet counts at its
    own, and one stays open."""
    plan = _plan(Balancer(), CHARGER_W + 350.0, opened=True)

    assert [o for o in plan.on if o in EMPTY] == [EMPTY[0]]
    assert plan.planned_w == CHARGER_W + RATING


def test_with_no_arrivals_to_share_each_open_outlet_counts_at_its_rating() -> None:
    plan = _plan(Balancer(Settings(open_arrivals=0)), 700.0, opened=True)

    assert len([o for o in plan.on if o in EMPTY]) == 3
    assert plan.planned_w == CHARGER_W + 3 * RATING


def test_an_empty_outlet_off_is_opened_only_with_a_margin_over_the_shared_room() -> None:
    """Open outlets are kept in the shared room exactly; closed ones are opened only with
    ``open_margin_w`` more, so a charger's draw moving by a few watts does not open and close
    them in turn."""
    budget = CHARGER_W + 2 * RATING + Settings().open_margin_w / 2
    kept = _plan(Balancer(), budget, opened=True)
    assert set(kept.on) == {0, *EMPTY}

    engine = Balancer()
    _plan(engine, 700.0, opened=True)  # seen empty
    closed = _plan(engine, budget, opened=False, now=600.0)
    assert all(o not in closed.on for o in EMPTY[2:])

    engine = Balancer()
    _plan(engine, 700.0, opened=True)
    joined = _plan(engine, 700.0, opened=False, now=600.0)
    assert set(joined.on) == {0, *EMPTY}
    # Opened to stay open, not looks to release: nothing waits for their room.
    assert joined.looks == ()
    assert all(reasons(joined)[o] is Reason.OPEN for o in EMPTY)


def test_a_laptop_plugged_into_an_open_outlet_is_counted_where_it_is_next_cycle() -> None:
    """A laptop plugged in at one of the open outlets draws in the shared room; the next cycle
    counts it at its draw, and the others stay open if two ratings still fit."""
    engine = Balancer()
    _plan(engine, 700.0, opened=True)
    arrived = [
        laptop(o, on=True, power=150.0 if o == 1 else 0.0, max_w=RATING, since=600.0) for o in EMPTY
    ]
    charging = laptop(0, on=True, power=CHARGER_W, max_w=RATING, percent=40, since=600.0)
    plan = engine.plan(strip(charging, *arrived, budget=700.0, now=60.0))

    assert set(plan.on) == {0, *EMPTY}
    assert plan.planned_w == CHARGER_W + 150.0 + 2 * RATING
    assert reasons(plan)[1] is not Reason.OPEN


def test_empty_outlets_just_opened_share_their_room_within_their_minimum_on_time() -> None:
    """Opened 10 s ago, the empty outlets are held on by the agent's minimum on time. Counted
    at a rating each, five of them would not fit beside the laptop and three would be shed
    at once; in the shared room they all stay, on a cycle shorter than the minimum as at the
    integration's 10 s."""
    engine = Balancer()
    _plan(engine, 600.0, opened=True)
    young = [laptop(o, on=True, power=0.0, max_w=RATING, since=10.0) for o in EMPTY]
    charging = laptop(0, on=True, power=CHARGER_W, max_w=RATING, percent=40, since=600.0)
    plan = engine.plan(strip(charging, *young, budget=600.0, now=10.0))

    assert set(plan.on) == {0, *EMPTY}
    assert Reason.OVER_BUDGET not in reasons(plan).values()
    assert plan.planned_w == CHARGER_W + 2 * RATING
