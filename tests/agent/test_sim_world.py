"""The simulated world: what the meters see and the batteries do as relays switch and time passes.

Who is in the room, and when laptops come and go, is the schedule's (``test_sim_schedule.py``).
"""

from __future__ import annotations

import pytest

from pi_agent.sim.fleet import Fleet, Lamp, Laptop
from pi_agent.sim.world import MAINS_V, World

from .sim_world_support import SPEC, run

# SPEC's figures: 45 W of charge and 10 W of use, through a 90 % efficient charger.
FULL_DRAW_W = (10.0 + 45.0) / 0.9
IDLE_DRAW_W = 10.0 / 0.9


def one_laptop(soc: float = 0.5, *, noise: bool = False, speed: float = 1.0) -> World:
    laptop = Laptop("laptop-001", "Ada Test", SPEC, soc)
    return World(Fleet((laptop,)), noise=noise, speed=speed)


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
