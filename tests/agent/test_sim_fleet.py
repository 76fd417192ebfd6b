"""The default fleet: a coworking day of varied laptops, described as data from a seed."""

from __future__ import annotations

from itertools import pairwise
import math

import pytest

from pi_agent.sim.fleet import (
    Churn,
    Fleet,
    Lamp,
    Laptop,
    LaptopClass,
    LaptopMix,
    default_fleet,
    outlet_max_power_w,
)
from pi_agent.sim.physics import LaptopSpec
from pi_agent.sim.world import World

SEEDS = range(20)
SPEC = LaptopSpec(capacity_wh=50.0, charge_w=55.0, use_w=10.0, cv_soc=0.8, efficiency=0.9)


def laptops(fleet: Fleet) -> list[Laptop]:
    return [o for o in fleet.occupants if isinstance(o, Laptop)]


def test_the_default_fleet_has_sixteen_outlets_fifteen_laptops_and_a_lamp_on_the_last() -> None:
    fleet = default_fleet(seed=0)

    assert fleet.outlets == 16
    assert all(isinstance(o, Laptop) for o in fleet.occupants[:15])
    assert fleet.occupants[15] == Lamp(40.0)
    assert fleet.lamp_outlets == frozenset({16})
    assert fleet.churn is not None


@pytest.mark.parametrize("seed", SEEDS)
def test_default_laptops_have_realistic_specs(seed: int) -> None:
    for laptop in laptops(default_fleet(seed)):
        spec = laptop.spec
        assert 40.0 <= spec.capacity_wh <= 100.0
        assert 6.0 <= spec.use_w <= 30.0
        assert spec.use_w < spec.charge_w <= 140.0  # the charger covers the use, at most 140 W
        assert spec.max_draw_w >= 40.0
        assert 0.78 <= spec.cv_soc <= 0.82
        assert 0.85 <= spec.efficiency <= 0.93
        assert 0.10 <= laptop.soc <= 0.90
        assert laptop.stay_s is not None
        assert 3600.0 <= laptop.stay_s <= 4 * 3600.0


def test_default_laptops_vary_in_size_charger_and_use() -> None:
    specs = [laptop.spec for seed in SEEDS for laptop in laptops(default_fleet(seed))]

    capacities = [s.capacity_wh for s in specs]
    max_draws = [s.max_draw_w for s in specs]
    assert min(capacities) < 50.0
    assert max(capacities) > 80.0
    assert min(max_draws) < 55.0
    assert max(max_draws) > 120.0
    assert len({s.use_w for s in specs}) > 100


def test_default_laptops_have_distinct_ids_and_owners() -> None:
    fleet_laptops = laptops(default_fleet(seed=4))

    assert [laptop.laptop_id for laptop in fleet_laptops] == [
        f"laptop-{i:03d}" for i in range(1, 16)
    ]
    assert len({laptop.owner for laptop in fleet_laptops}) == 15


def test_the_same_seed_gives_the_same_fleet_and_another_seed_a_different_one() -> None:
    assert default_fleet(seed=3) == default_fleet(seed=3)
    assert default_fleet(seed=3) != default_fleet(seed=4)


@pytest.mark.parametrize(("outlets", "laptop_count"), [(1, 0), (4, 3), (32, 31)])
def test_the_default_fleet_fits_any_outlet_count_with_the_lamp_last(
    outlets: int, laptop_count: int
) -> None:
    fleet = default_fleet(seed=1, outlets=outlets)

    assert fleet.outlets == outlets
    assert len(laptops(fleet)) == laptop_count
    assert fleet.lamp_outlets == frozenset({outlets})


def test_a_fleet_without_outlets_is_refused() -> None:
    with pytest.raises(ValueError, match="outlets"):
        default_fleet(outlets=0)
    with pytest.raises(ValueError, match="at least one outlet"):
        Fleet(())


def test_over_a_day_laptops_stay_one_to_four_hours_with_five_to_sixty_minute_gaps() -> None:
    world = World(default_fleet(seed=9), seed=9)
    world.advance(24 * 3600.0)

    stays = world.stays()
    finished = [s for s in stays if s.left_s is not None]
    assert len(finished) >= 60
    for stay in finished:
        assert stay.left_s is not None
        assert 3600.0 <= stay.left_s - stay.arrived_s <= 4 * 3600.0
    for outlet_id in range(1, 16):
        on_outlet = sorted(
            (s for s in stays if s.outlet_id == outlet_id), key=lambda s: s.arrived_s
        )
        for before, after in pairwise(on_outlet):
            assert before.left_s is not None
            assert 5 * 60.0 <= after.arrived_s - before.left_s <= 60 * 60.0


def test_arriving_laptops_get_new_ids_and_owners_not_already_at_the_strip() -> None:
    world = World(default_fleet(seed=9), seed=9)
    world.advance(24 * 3600.0)

    stays = world.stays()
    assert len({s.laptop.laptop_id for s in stays}) == len(stays)
    for a, b in pairwise(sorted(stays, key=lambda s: s.arrived_s)):
        overlapping = a.left_s is None or a.left_s > b.arrived_s
        if overlapping:
            assert a.laptop.owner != b.laptop.owner


def test_arriving_laptops_come_from_the_same_mix_as_the_first_ones() -> None:
    world = World(default_fleet(seed=9), seed=9)
    world.advance(24 * 3600.0)

    newcomers = [s.laptop for s in world.stays() if s.arrived_s > 0]
    assert newcomers
    for laptop in newcomers:
        assert 40.0 <= laptop.spec.capacity_wh <= 100.0
        assert laptop.spec.charge_w <= 140.0
        assert 0.10 <= laptop.soc <= 0.90


def test_outlet_max_power_covers_the_largest_charger_that_may_arrive_rounded_up() -> None:
    limits = outlet_max_power_w(default_fleet(seed=0))

    assert limits == (math.ceil(140.0 / 0.85),) * 15 + (40,)


def test_outlet_max_power_without_churn_is_each_laptops_own_max_draw_rounded_up() -> None:
    lean = LaptopSpec(capacity_wh=50.0, charge_w=58.5, use_w=10.0, efficiency=0.9)  # 65.0 W
    fleet = Fleet((Laptop("a", "A", SPEC, 0.5), Laptop("b", "B", lean, 0.5), None, Lamp(12.5)))

    assert outlet_max_power_w(fleet) == (62, 65, 0, 13)


def test_no_laptop_of_the_day_ever_draws_more_than_its_outlets_configured_max() -> None:
    fleet = default_fleet(seed=6)
    limits = outlet_max_power_w(fleet)
    world = World(fleet, seed=6, noise=False)
    for outlet_id in range(1, 17):
        world.set_relay(outlet_id, True)

    peaks = [0.0] * 16
    for _ in range(24 * 60):
        world.advance(60.0)
        for outlet_id in range(1, 17):
            peaks[outlet_id - 1] = max(peaks[outlet_id - 1], world.draw_w(outlet_id))

    assert all(peak <= limit for peak, limit in zip(peaks, limits, strict=True))
    assert max(peaks[:15]) > 100.0


def test_a_fleet_can_describe_its_own_room() -> None:
    quiet = Churn(stay_s=(600.0, 600.0), gap_s=(60.0, 60.0))
    fleet = Fleet((Laptop("mine", "Me", SPEC, 0.5), None, Lamp(25.0)), quiet)
    world = World(fleet, noise=False)
    world.set_relay(3, True)

    world.advance(120.0)

    assert world.locate("mine") == 1
    assert isinstance(world.occupant(2), Laptop)
    assert world.reading(3).power_w == 25.0


def test_laptop_ids_in_a_fleet_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Fleet((Laptop("a", "A", SPEC, 0.5), Laptop("a", "B", SPEC, 0.5)))


@pytest.mark.parametrize(
    ("stay_s", "gap_s"),
    [((0.0, 10.0), (60.0, 60.0)), ((60.0, 60.0), (0.0, 10.0)), ((20.0, 10.0), (60.0, 60.0))],
)
def test_churn_with_empty_or_zero_length_stays_or_gaps_is_refused(
    stay_s: tuple[float, float], gap_s: tuple[float, float]
) -> None:
    with pytest.raises(ValueError, match="positive ranges"):
        Churn(stay_s=stay_s, gap_s=gap_s)


def test_a_laptop_mix_whose_charger_cannot_cover_the_laptops_use_is_refused() -> None:
    weak = LaptopClass("weak", 1.0, capacity_wh=(40.0, 50.0), charger_w=(20.0,), use_w=(10.0, 25.0))

    with pytest.raises(ValueError, match="cover"):
        LaptopMix(classes=(weak,))
