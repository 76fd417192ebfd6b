"""Who is in the simulated room: laptops arrive and leave on a schedule the seed decides.

The same seed gives the same day, however often the world is advanced or its meters read, and a
speed-up brings arrivals and departures sooner in the same order. Laptops leave after their stay
and newcomers arrive, drawn after a gap or written at their time, never two on one outlet at once.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from pi_agent.sim.fleet import Arrival, Churn, Fleet, Laptop, LaptopMix, default_fleet
from pi_agent.sim.world import World

from .sim_world_support import SPEC, run


def test_speed_makes_arrivals_and_departures_come_faster_too() -> None:
    fleet = default_fleet(seed=5)
    slow, fast = World(fleet, seed=5), World(fleet, seed=5, speed=60.0)

    slow.advance(6 * 3600.0)
    fast.advance(6 * 60.0)

    assert [(s.laptop.laptop_id, s.left_s) for s in fast.stays()] == [
        (s.laptop.laptop_id, s.left_s) for s in slow.stays()
    ]


def fingerprint(world: World) -> list[tuple[int, str, str, float, float | None, float]]:
    return [
        (s.outlet_id, s.laptop.laptop_id, s.laptop.owner, s.arrived_s, s.left_s, s.soc)
        for s in world.stays()
    ]


def day(seed: int, *, read: bool = False) -> World:
    world = World(default_fleet(seed), seed=seed, speed=60.0)
    for outlet_id in range(1, world.outlets + 1, 2):
        world.set_relay(outlet_id, True)
    for _ in range(5 * 8 * 60):  # 8 sim hours
        world.advance(0.2)
        if read:
            for outlet_id in range(1, world.outlets + 1):
                world.reading(outlet_id)
    return world


def test_the_same_seed_gives_the_same_world() -> None:
    first, second = day(7), day(7)

    assert fingerprint(first) == fingerprint(second)
    assert [first.reading(i) for i in range(1, 17)] == [second.reading(i) for i in range(1, 17)]


def test_a_different_seed_gives_a_different_world() -> None:
    assert fingerprint(day(7)) != fingerprint(day(8))


def test_reading_the_meters_does_not_change_what_happens_in_the_room() -> None:
    assert fingerprint(day(7, read=True)) == fingerprint(day(7))


def test_the_schedule_does_not_depend_on_how_often_the_world_is_advanced() -> None:
    fleet = default_fleet(seed=2)
    fine, coarse = World(fleet, seed=2), World(fleet, seed=2)

    run(fine, 10 * 3600.0, tick_s=5.0)
    coarse.advance(10 * 3600.0)

    assert [f[:5] for f in fingerprint(fine)] == [f[:5] for f in fingerprint(coarse)]


def test_a_laptop_leaves_after_its_stay_and_a_new_one_arrives_after_the_gap() -> None:
    churn = Churn(LaptopMix(), stay_s=(100.0, 100.0), gap_s=(50.0, 50.0))
    first = Laptop("laptop-001", "Ada Test", SPEC, 0.5, stay_s=100.0)
    world = World(Fleet((first,), churn), noise=False)

    world.advance(99.0)
    assert world.locate("laptop-001") == 1
    world.advance(2.0)
    assert world.occupant(1) is None
    assert world.battery(1) is None
    world.advance(50.0)

    newcomer = world.occupant(1)
    assert isinstance(newcomer, Laptop)
    assert newcomer.laptop_id == "laptop-002"
    assert world.locate("laptop-001") is None
    assert [(s.laptop.laptop_id, s.arrived_s, s.left_s) for s in world.stays()] == [
        ("laptop-001", 0.0, 100.0),
        ("laptop-002", 150.0, None),
    ]


def test_without_churn_a_departed_laptops_outlet_stays_empty() -> None:
    laptop = Laptop("laptop-001", "Ada Test", SPEC, 0.5, stay_s=60.0)
    world = World(Fleet((laptop,)))

    world.advance(24 * 3600.0)

    assert world.occupant(1) is None
    assert len(world.stays()) == 1


def test_written_arrivals_come_at_their_time_and_may_follow_a_departure_at_once() -> None:
    first = Laptop("laptop-001", "Ada Test", SPEC, 0.5, stay_s=100.0)
    then = Laptop("laptop-002", "Bo Test", SPEC, 0.3, stay_s=50.0)
    later = Laptop("laptop-003", "Cy Test", SPEC, 0.4, stay_s=30.0)
    arrivals = (Arrival(1, 100.0, then), Arrival(2, 40.0, later))
    world = World(Fleet((first, None), arrivals=arrivals), noise=False)

    world.advance(39.0)
    assert world.occupant(2) is None
    world.advance(2.0)
    assert world.locate("laptop-003") == 2
    world.advance(100.0)

    assert world.locate("laptop-002") == 1
    assert world.soc(1) == pytest.approx(0.3 - 10.0 * 41.0 / 3600 / 50.0)
    assert [(s.laptop.laptop_id, s.arrived_s, s.left_s) for s in world.stays()] == [
        ("laptop-003", 40.0, 70.0),
        ("laptop-001", 0.0, 100.0),
        ("laptop-002", 100.0, None),
    ]


@pytest.mark.parametrize(
    "arrivals",
    [
        (Arrival(1, 50.0, Laptop("laptop-002", "Bo Test", SPEC, 0.3, stay_s=50.0)),),
        (Arrival(3, 50.0, Laptop("laptop-002", "Bo Test", SPEC, 0.3, stay_s=50.0)),),
        (Arrival(2, 50.0, Laptop("laptop-002", "Bo Test", SPEC, 0.3)),),
    ],
)
def test_a_written_arrival_needs_a_free_outlet_and_a_stay(arrivals: tuple[Arrival, ...]) -> None:
    first = Laptop("laptop-001", "Ada Test", SPEC, 0.5, stay_s=100.0)
    with pytest.raises(ValueError, match="laptop-002"):
        Fleet((first, None), arrivals=arrivals)


def test_over_a_day_laptops_come_and_go_and_no_outlet_ever_holds_two_at_once() -> None:
    world = World(default_fleet(seed=11), seed=11, speed=600.0)
    for _ in range(5 * 144):  # 24 sim hours at 5 Hz
        world.advance(0.2)

    stays = world.stays()
    assert sum(s.left_s is not None for s in stays) >= 60
    assert sum(s.arrived_s > 0 for s in stays) >= 60
    for outlet_id in range(1, 16):
        on_outlet = sorted(
            (s for s in stays if s.outlet_id == outlet_id), key=lambda s: s.arrived_s
        )
        for before, after in pairwise(on_outlet):
            assert before.left_s is not None
            assert before.left_s < after.arrived_s
    assert not any(s.outlet_id == 16 for s in stays)


def test_locate_finds_the_outlet_a_laptop_is_plugged_into() -> None:
    world = World(default_fleet(seed=0))

    assert world.locate("laptop-007") == 7
    assert world.locate("laptop-999") is None
