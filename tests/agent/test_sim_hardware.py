"""Simulated relays and meters: the hardware interfaces on the world, and their injectable faults."""

from __future__ import annotations

import pytest

from pi_agent.hardware.base import MeterError, RelayError
from pi_agent.sim.fleet import Fleet, Lamp, Laptop, default_fleet
from pi_agent.sim.hardware import MeterFault, SimMeter, SimRelay, build_sim_hardware
from pi_agent.sim.physics import LaptopSpec
from pi_agent.sim.world import World

SPEC = LaptopSpec(capacity_wh=50.0, charge_w=55.0, use_w=10.0, cv_soc=0.8, efficiency=0.9)
FULL_DRAW_W = (10.0 + 45.0) / 0.9


def strip() -> tuple[SimRelay, SimMeter, World]:
    """One laptop on outlet 1, a lamp on outlet 2, no noise."""
    fleet = Fleet((Laptop("laptop-001", "Ada Test", SPEC, 0.3), Lamp(40.0)))
    relays, meters, world = build_sim_hardware(fleet=fleet, noise=False)
    return relays[0], meters[0], world


def test_a_relay_switches_its_outlet_in_the_world() -> None:
    relay, meter, world = strip()

    relay.set(True)
    assert (relay.is_on, world.relay(1)) == (True, True)
    assert meter.read().power_w == pytest.approx(FULL_DRAW_W)

    relay.set(False)
    assert (relay.is_on, world.relay(1)) == (False, False)
    assert meter.read().power_w == 0.0


def test_a_meter_reads_its_outlet_from_the_world() -> None:
    relays, meters, world = build_sim_hardware(seed=3)
    for relay in relays:
        relay.set(True)
    world.advance(1.0)

    twin = World(default_fleet(3), seed=3)
    for outlet_id in range(1, 17):
        twin.set_relay(outlet_id, True)
    twin.advance(1.0)
    assert [m.read() for m in meters] == [twin.reading(i) for i in range(1, 17)]


def test_a_meter_with_a_bus_error_raises_meter_error() -> None:
    _, meter, _ = strip()

    meter.inject(MeterFault.BUS_ERROR)

    with pytest.raises(MeterError, match="bus error"):
        meter.read()
    with pytest.raises(MeterError, match="bus error"):
        meter.read()


def test_a_meter_that_overflows_raises_meter_error() -> None:
    _, meter, _ = strip()

    meter.inject(MeterFault.OVERFLOW)

    with pytest.raises(MeterError, match="overflow"):
        meter.read()


def test_a_frozen_meter_keeps_returning_its_last_reading_while_the_outlet_changes() -> None:
    relay, meter, _ = strip()
    relay.set(True)
    last = meter.read()

    meter.inject(MeterFault.FROZEN)
    relay.set(False)

    assert [meter.read() for _ in range(3)] == [last] * 3
    assert last.power_w == pytest.approx(FULL_DRAW_W)


def test_a_meter_frozen_before_its_first_read_sticks_at_the_value_of_that_moment() -> None:
    relay, meter, _ = strip()

    meter.inject(MeterFault.FROZEN)
    relay.set(True)

    assert meter.read().power_w == 0.0


def test_a_repaired_meter_reads_live_again() -> None:
    relay, meter, _ = strip()
    meter.inject(MeterFault.FROZEN)
    relay.set(True)

    meter.inject(None)

    assert meter.fault is None
    assert meter.read().power_w == pytest.approx(FULL_DRAW_W)


def test_a_transient_fault_clears_by_itself_after_the_given_number_of_reads() -> None:
    relay, meter, _ = strip()
    relay.set(True)

    meter.inject(MeterFault.BUS_ERROR, reads=2)

    for _ in range(2):
        with pytest.raises(MeterError):
            meter.read()
    assert meter.fault is None
    assert meter.read().power_w == pytest.approx(FULL_DRAW_W)


def test_a_welded_relay_ignores_set_but_still_reports_the_command() -> None:
    relay, meter, world = strip()
    relay.set(True)

    relay.stick(True)
    relay.set(False)

    assert not relay.is_on  # no contact feedback: the agent believes it is off...
    assert world.relay(1)
    assert meter.read().power_w == pytest.approx(FULL_DRAW_W)  # ...only the meter tells


def test_a_relay_stuck_off_never_powers_its_outlet() -> None:
    relay, meter, world = strip()

    relay.stick(False)
    relay.set(True)

    assert relay.is_on
    assert not world.relay(1)
    assert meter.read().power_w == 0.0
    battery = world.battery(1)
    assert battery is not None
    assert not battery.plugged


def test_a_stuck_relay_that_raises_refuses_to_switch_and_keeps_its_state() -> None:
    relay, _, world = strip()
    relay.set(True)
    relay.stick(True, raises=True)

    with pytest.raises(RelayError, match="failed to switch"):
        relay.set(False)

    assert relay.is_on
    assert world.relay(1)
    assert relay.stuck is True


def test_a_stuck_relay_that_raises_accepts_the_state_it_is_stuck_in() -> None:
    relay, _, world = strip()
    relay.stick(False, raises=True)

    relay.set(False)

    assert not relay.is_on
    assert not world.relay(1)


def test_a_repaired_relay_follows_the_last_command() -> None:
    relay, _, world = strip()
    relay.stick(True)
    relay.set(False)

    relay.unstick()

    assert relay.stuck is None
    assert not world.relay(1)
    relay.set(True)
    assert world.relay(1)


def test_a_closed_relay_or_meter_refuses_to_work() -> None:
    relay, meter, _ = strip()

    relay.close()
    meter.close()

    with pytest.raises(RelayError, match="closed"):
        relay.set(True)
    with pytest.raises(MeterError, match="closed"):
        meter.read()


def test_a_relay_or_meter_on_an_unknown_outlet_is_refused() -> None:
    _, _, world = strip()

    with pytest.raises(ValueError, match="no outlet 3"):
        SimRelay(world, 3)
    with pytest.raises(ValueError, match="no outlet 0"):
        SimMeter(world, 0)


def test_the_factory_builds_the_default_strip_of_sixteen_outlets_all_off() -> None:
    relays, meters, world = build_sim_hardware()

    assert world.outlets == len(relays) == len(meters) == 16
    assert [r.outlet_id for r in relays] == [m.outlet_id for m in meters] == list(range(1, 17))
    assert not any(r.is_on or world.relay(r.outlet_id) for r in relays)
    assert world.fleet == default_fleet(seed=0)
    assert world.occupant(16) == Lamp(40.0)


def test_the_factory_passes_seed_speed_and_outlet_count_on() -> None:
    hardware = build_sim_hardware(6, seed=4, speed=30.0)

    assert hardware.world.fleet == default_fleet(seed=4, outlets=6)
    assert hardware.world.speed == 30.0
    assert len(hardware.relays) == 6


def test_the_factory_refuses_an_outlet_count_that_contradicts_the_fleet() -> None:
    fleet = Fleet((Lamp(40.0),))

    assert build_sim_hardware(1, fleet=fleet).world.outlets == 1
    with pytest.raises(ValueError, match="outlets=16"):
        build_sim_hardware(16, fleet=fleet)
