"""Simulated relays and meters: the agent's hardware interfaces backed by a ``World``.

They fail the way the real parts do, on demand, so reliability tests can check that the agent
keeps the strip safe: a meter whose bus errors, whose chip flags an overflow, or whose data
freezes; a relay whose contact is stuck, either silently (welded: only the meter can tell) or
with a driver error.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from pi_agent.hardware.base import MeterError, Reading, RelayError
from pi_agent.sim.fleet import Fleet, default_fleet
from pi_agent.sim.world import World


class MeterFault(Enum):
    """How a simulated meter misbehaves."""

    BUS_ERROR = "bus_error"  # the I2C transfer fails (OSError on a real bus)
    OVERFLOW = "overflow"  # the chip flags its data as meaningless (INA219 OVF bit)
    FROZEN = "frozen"  # the chip stops converting: the last reading comes back unchanged


class SimMeter:
    """Meters one outlet of the world; implements ``pi_agent.hardware.base.Meter``."""

    def __init__(self, world: World, outlet_id: int) -> None:
        world.relay(outlet_id)  # fail now on an unknown outlet, not at the first sample
        self._world = world
        self._outlet_id = outlet_id
        self._fault: MeterFault | None = None
        self._fault_reads: int | None = None
        self._last: Reading | None = None
        self._closed = False

    @property
    def outlet_id(self) -> int:
        return self._outlet_id

    @property
    def fault(self) -> MeterFault | None:
        return self._fault

    def inject(self, fault: MeterFault | None, *, reads: int | None = None) -> None:
        """Make the meter misbehave (None repairs it); with ``reads``, only for that many reads,
        like a transient glitch that clears by itself."""
        if reads is not None and reads < 1:
            raise ValueError(f"reads must be at least 1, got {reads}")
        self._fault = fault
        self._fault_reads = reads if fault is not None else None
        if fault is MeterFault.FROZEN and self._last is None:
            self._last = self._world.reading(self._outlet_id)

    def read(self) -> Reading:
        if self._closed:
            raise MeterError(f"outlet {self._outlet_id}: meter is closed")
        fault = self._fault
        if fault is None:
            self._last = self._world.reading(self._outlet_id)
            return self._last
        if self._fault_reads is not None:
            self._fault_reads -= 1
            if self._fault_reads == 0:
                self._fault = self._fault_reads = None
        if fault is MeterFault.BUS_ERROR:
            raise MeterError(f"outlet {self._outlet_id}: bus error (simulated)")
        if fault is MeterFault.OVERFLOW:
            raise MeterError(f"outlet {self._outlet_id}: overflow, data meaningless (simulated)")
        assert self._last is not None  # set when FROZEN was injected
        return self._last

    def close(self) -> None:
        self._closed = True


class SimRelay:
    """Switches one outlet of the world; implements ``pi_agent.hardware.base.Relay``.

    ``is_on`` is the commanded state, as on a real board without contact feedback, so a stuck
    contact shows only in the meter readings.
    """

    def __init__(self, world: World, outlet_id: int, *, initial: bool = False) -> None:
        world.set_relay(outlet_id, initial)
        self._world = world
        self._outlet_id = outlet_id
        self._commanded = initial
        self._stuck: bool | None = None
        self._raises = False
        self._closed = False

    @property
    def outlet_id(self) -> int:
        return self._outlet_id

    @property
    def is_on(self) -> bool:
        return self._commanded

    @property
    def stuck(self) -> bool | None:
        """The state the contact is stuck in, or None when it works."""
        return self._stuck

    def set(self, on: bool) -> None:
        if self._closed:
            raise RelayError(f"outlet {self._outlet_id}: relay is closed")
        if self._stuck is None:
            self._world.set_relay(self._outlet_id, on)
        elif self._raises and on != self._stuck:
            raise RelayError(f"outlet {self._outlet_id}: relay failed to switch (simulated)")
        self._commanded = on

    def stick(self, on: bool, *, raises: bool = False) -> None:
        """Jam the contact in state ``on`` from now on. Silently (``set`` changes only the
        commanded state, like a welded contact) or, with ``raises``, with ``RelayError`` from
        every ``set`` that asks for the other state (a driver that notices)."""
        self._stuck = on
        self._raises = raises
        self._world.set_relay(self._outlet_id, on)

    def unstick(self) -> None:
        """Repair the relay: the contact follows the last command again."""
        self._stuck = None
        self._raises = False
        self._world.set_relay(self._outlet_id, self._commanded)

    def close(self) -> None:
        self._closed = True


class SimHardware(NamedTuple):
    """Relays and meters for outlets 1..N (index 0 is outlet 1) and the world behind them."""

    relays: tuple[SimRelay, ...]
    meters: tuple[SimMeter, ...]
    world: World


def build_sim_hardware(
    outlets: int | None = None,
    *,
    seed: int = 0,
    speed: float = 1.0,
    fleet: Fleet | None = None,
    noise: bool = True,
) -> SimHardware:
    """A simulated strip with every relay off: ``fleet`` or the default fleet for ``seed``."""
    if fleet is None:
        fleet = default_fleet(seed, 16 if outlets is None else outlets)
    elif outlets is not None and outlets != fleet.outlets:
        raise ValueError(f"outlets={outlets} but the fleet describes {fleet.outlets} outlets")
    world = World(fleet, seed=seed, speed=speed, noise=noise)
    ids = range(1, world.outlets + 1)
    return SimHardware(
        tuple(SimRelay(world, i) for i in ids), tuple(SimMeter(world, i) for i in ids), world
    )
