"""The simulated world: what the meters see and the batteries do as relays switch and time passes."""

from __future__ import annotations

from itertools import pairwise

import pytest

from pi_agent.sim.fleet import Arrival, Churn, Fleet, Lamp, Laptop, LaptopMix, default_fleet
from pi_agent.sim.physics import LaptopSpec
from pi_agent.sim.world import MAINS_V, World

# Battery 50 Wh charging at 45 W while the laptop uses 10 W, through a 90 % efficient charger.
SPEC = LaptopSpec(capacity_wh=50.0, charge_w=55.0, use_w=10.0, cv_soc=0.8, efficiency=0.9)
FULL_DRAW_W = (10.0 + 45.0) / 0.9
IDLE_DRAW_W = 10.0 / 0.9


def one_laptop(soc: float = 0.5, *, noise: bool = False, speed: float = 1.0) -> World:
    laptop = Laptop("laptop-001", "Ada Test", SPEC, soc)
    return World(Fleet((laptop,)), noise=noise, speed=speed)


def run(world: World, real_s: float, tick_s: float = 0.2) -> None:
    """Advance like the agent's sampling loop does."""
    for _ in range(round(real_s / tick_s)):
        world.advance(tick_s)


def test_a_laptop_on_a_relay_that_is_on_charges_and_the_meter_shows_its_draw() -> None:
    world = one_laptop(0.5)
    world.set_relay(1, True)

    run(world, 60.0)

    assert world.soc(1) == pytest.approx(0.5 + 45.0 * 60 / 3600 / 50.0)
    reading = world.reading(1)
    assert reading.power_w == pytest.approx(FULL_DRAW_W)
    assert reading.voltage_v == MAINS_V
    assert reading.current_a == pytest.approx(FULL_DRAW_W / MAINS_V)


def test_a_laptop_on_a_relay_that_is_off_reads_zero_and_drains_at_its_use_power() -> None:
    world = one_laptop(0.5)

    world.advance(3600.0)

    assert world.soc(1) == pytest.approx(0.5 - 10.0 / 50.0)
    reading = world.reading(1)
    assert reading.power_w == 0.0
    assert reading.current_a == 0.0


def test_above_cv_soc_the_taper_lowers_the_draw() -> None:
    draws = []
    for soc in (0.7, 0.8, 0.85, 0.9, 0.95):
        world = one_laptop(soc)
        world.set_relay(1, True)
        draws.append(world.reading(1).power_w)

    assert draws[0] == draws[1] == pytest.approx(FULL_DRAW_W)
    assert draws[1] > draws[2] > draws[3] > draws[4] > IDLE_DRAW_W
    # Halfway up the taper the battery takes half the charge power.
    assert draws[3] == pytest.approx((10.0 + 45.0 / 2) / 0.9)


def test_a_full_laptop_draws_only_its_idle_power() -> None:
    world = one_laptop(1.0)
    world.set_relay(1, True)

    run(world, 60.0)

    assert world.soc(1) == 1.0
    assert world.reading(1).power_w == pytest.approx(IDLE_DRAW_W)


def test_a_charging_laptop_ends_up_at_100_percent_drawing_its_idle_power() -> None:
    world = one_laptop(0.2)
    world.set_relay(1, True)

    world.advance(8 * 3600.0)

    battery = world.battery(1)
    assert battery is not None
    assert battery.percent == 100
    assert world.reading(1).power_w == pytest.approx(IDLE_DRAW_W, abs=0.05)


def test_the_plugged_flag_follows_the_relay_at_once() -> None:
    world = one_laptop()

    def plugged() -> bool:
        battery = world.battery(1)
        assert battery is not None
        return battery.plugged

    assert not plugged()
    world.set_relay(1, True)
    assert plugged()
    world.set_relay(1, False)
    assert not plugged()


def test_the_battery_report_names_the_laptop_and_its_owner() -> None:
    battery = one_laptop(0.42).battery(1)

    assert battery is not None
    assert (battery.percent, battery.laptop_id, battery.owner) == (42, "laptop-001", "Ada Test")


@pytest.mark.parametrize(
    ("soc", "percent"), [(0.0, 0), (0.444, 44), (0.446, 45), (0.994, 99), (0.996, 100), (1.0, 100)]
)
def test_the_reported_percent_is_a_whole_number_rounded_like_an_os_shows_it(
    soc: float, percent: int
) -> None:
    battery = one_laptop(soc).battery(1)

    assert battery is not None
    assert battery.percent == percent


def test_a_laptop_left_off_goes_dead_reports_zero_percent_and_counts_dead_time() -> None:
    world = one_laptop(0.1)  # 5 Wh at 10 W of use: dead after 30 min

    run(world, 3600.0, tick_s=7.0)

    soc = world.soc(1)
    battery = world.battery(1)
    assert soc is not None
    assert soc < 0
    assert battery is not None
    assert battery.percent == 0
    [stay] = world.stays()
    assert stay.dead_s == pytest.approx(world.time_s - 1800.0)


def test_a_dead_laptop_stops_counting_dead_time_once_charged_back() -> None:
    world = one_laptop(0.0)
    world.advance(600.0)
    world.set_relay(1, True)

    world.advance(3600.0)

    [stay] = world.stays()
    soc = world.soc(1)
    assert soc is not None
    assert soc > 0
    # Dead 600 s unplugged, then the debt is paid back at 45 W: 10 W × 600 s / 45 W.
    assert stay.dead_s == pytest.approx(600.0 + 600.0 * 10.0 / 45.0)


def test_an_empty_outlet_reads_zero_and_reports_no_battery() -> None:
    world = World(Fleet((None,)), noise=False)
    world.set_relay(1, True)

    world.advance(60.0)

    assert world.reading(1).power_w == 0.0
    assert world.battery(1) is None
    assert world.occupant(1) is None


def test_a_lamp_draws_its_constant_power_while_on_and_nothing_while_off() -> None:
    world = World(Fleet((Lamp(40.0),)), noise=False)
    assert world.reading(1).power_w == 0.0

    world.set_relay(1, True)
    powers = []
    for _ in range(10):
        world.advance(360.0)
        powers.append(world.reading(1).power_w)

    assert powers == [40.0] * 10
    assert world.energy_wh(1) == pytest.approx(40.0)
    assert world.battery(1) is None
    assert world.occupant(1) == Lamp(40.0)


def test_readings_show_mains_voltage_with_a_little_noise_and_current_is_power_over_voltage() -> (
    None
):
    world = World(Fleet((Lamp(40.0),)), seed=3)
    world.set_relay(1, True)

    readings = [world.reading(1) for _ in range(500)]

    assert all(abs(r.voltage_v - MAINS_V) < 3.0 for r in readings)
    assert all(abs(r.power_w - 40.0) < 1.0 for r in readings)
    assert len({r.voltage_v for r in readings}) > 400
    assert all(r.current_a == pytest.approx(r.power_w / r.voltage_v) for r in readings)
    assert sum(r.power_w for r in readings) / len(readings) == pytest.approx(40.0, rel=1e-3)


def test_speed_n_moves_the_battery_n_times_faster_for_the_same_real_time_and_power_stays() -> None:
    worlds = {speed: one_laptop(0.2, speed=speed) for speed in (1.0, 10.0)}
    for world in worlds.values():
        world.set_relay(1, True)
        run(world, 60.0)

    slow_soc, fast_soc = worlds[1.0].soc(1), worlds[10.0].soc(1)
    assert slow_soc is not None
    assert fast_soc is not None
    assert fast_soc - 0.2 == pytest.approx(10 * (slow_soc - 0.2))
    assert worlds[10.0].time_s == pytest.approx(600.0)
    assert worlds[10.0].reading(1) == worlds[1.0].reading(1)


def test_speed_makes_arrivals_and_departures_come_faster_too() -> None:
    fleet = default_fleet(seed=5)
    slow, fast = World(fleet, seed=5), World(fleet, seed=5, speed=60.0)

    slow.advance(6 * 3600.0)
    fast.advance(6 * 60.0)

    assert [(s.laptop.laptop_id, s.left_s) for s in fast.stays()] == [
        (s.laptop.laptop_id, s.left_s) for s in slow.stays()
    ]


def test_the_energy_an_outlet_delivers_becomes_battery_charge_and_use() -> None:
    world = one_laptop(0.3, speed=60.0)
    # Charge through the taper with the relay switching every 10 sim minutes.
    for minute in range(0, 8 * 60, 10):
        world.set_relay(1, minute % 20 == 0)
        run(world, 10.0)

    soc = world.soc(1)
    assert soc is not None
    assert soc > 0.9
    gained_wh = (soc - 0.3) * SPEC.capacity_wh
    used_wh = SPEC.use_w * world.time_s / 3600
    assert world.energy_wh(1) * SPEC.efficiency == pytest.approx(gained_wh + used_wh, rel=1e-9)


def test_meter_readings_sampled_at_5_hz_add_up_to_the_energy_delivered() -> None:
    world = World(Fleet((Laptop("laptop-001", "Ada Test", SPEC, 0.7),)), seed=1)
    world.set_relay(1, True)
    metered_wh = 0.0
    for _ in range(5 * 3600):  # one hour of samples, through the taper
        reading = world.reading(1)
        world.advance(0.2)
        metered_wh += reading.power_w * 0.2 / 3600

    assert metered_wh == pytest.approx(world.energy_wh(1), rel=2e-3)


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


def test_an_unknown_outlet_is_refused() -> None:
    world = one_laptop()

    with pytest.raises(ValueError, match="no outlet 2"):
        world.reading(2)
    with pytest.raises(ValueError, match="no outlet 0"):
        world.set_relay(0, True)


@pytest.mark.parametrize("dt_s", [-0.1, float("nan"), float("inf")])
def test_advancing_by_a_negative_or_non_finite_time_is_refused(dt_s: float) -> None:
    with pytest.raises(ValueError, match="dt_s"):
        one_laptop().advance(dt_s)


@pytest.mark.parametrize("speed", [0.0, -1.0, float("nan")])
def test_a_speed_that_is_not_positive_is_refused(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        one_laptop(speed=speed)
