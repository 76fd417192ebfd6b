"""One bench day replayed on the simulated agent, and the bench's figures read off its world.

The bench's world (``bench.world``) and the agent's (``pi_agent.sim.world``) share their battery
physics (``pi_agent.sim.physics``), so a scenario's laptops can be seated on the agent's
simulated strip as they are in the bench: same outlets, arrivals, stays, batteries, chargers,
lamps and configured outlet ratings. The figures are then computed from the agent's world as
``bench.world`` computes them (``Outcome``), so the two can be compared for the same day.
"""

from __future__ import annotations

from dataclasses import dataclass

from pi_agent.sim.fleet import OWNERS, Arrival, Fleet, Lamp, Laptop, Occupant
from pi_agent.sim.world import World

from .knowledge import REPORT_EVERY_S, Knowledge
from .scenario import Scenario


def fleet(scenario: Scenario) -> Fleet:
    """The scenario's lamps and laptops as the agent's simulated fleet: a laptop there at the
    start is an occupant, any later one a written arrival. Laptop ids are the devices' ids."""
    occupants: list[Occupant] = [None] * scenario.outlets
    for lamp in scenario.exceptions:
        occupants[lamp.outlet - 1] = Lamp(lamp.power_w)
    arrivals: list[Arrival] = []
    for number, device in enumerate(sorted(scenario.devices, key=lambda d: d.arrival_s)):
        laptop = Laptop(
            laptop_id=device.id,
            owner=OWNERS[number % len(OWNERS)],
            spec=device.spec,
            soc=device.soc0,
            stay_s=float(device.departure_s - device.arrival_s),
        )
        if device.arrival_s <= 0 and occupants[device.outlet - 1] is None:
            occupants[device.outlet - 1] = laptop
        else:
            arrivals.append(Arrival(device.outlet, float(device.arrival_s), laptop))
    return Fleet(tuple(occupants), arrivals=tuple(arrivals))


def max_power_w(scenario: Scenario) -> tuple[float, ...]:
    """Each outlet's configured maximum as the bench's agent has it: the installer's rating,
    a lamp's outlet its lamp's draw."""
    ratings = scenario.outlet_ratings()
    ratings.update({lamp.outlet: lamp.power_w for lamp in scenario.exceptions})
    return tuple(ratings[o] for o in scenario.outlet_ids)


class Reports:
    """When the bench's laptops post their battery (``bench.knowledge``): the reporting ones,
    every ``REPORT_EVERY_S`` from their pairing on, never while flat."""

    def __init__(self, scenario: Scenario) -> None:
        self._paired_at = Knowledge(scenario).paired_at
        self._reporting = {d.id: d for d in scenario.devices if d.reports_battery}
        self._next: dict[str, float] = {}

    def due(self, world: World) -> list[int]:
        """The outlets whose laptop posts now (sim time): each laptop once per interval."""
        t = world.time_s
        outlets = []
        for outlet_id in range(1, world.outlets + 1):
            status = world.battery(outlet_id)
            soc = world.soc(outlet_id)
            if status is None or soc is None or soc < 0 or status.laptop_id not in self._reporting:
                continue
            first = self._paired_at[status.laptop_id]
            if t >= max(first, self._next.get(status.laptop_id, first)):
                outlets.append(outlet_id)
                self._next[status.laptop_id] = first + REPORT_EVERY_S * (
                    (t - first) // REPORT_EVERY_S + 1
                )
        return outlets


@dataclass(frozen=True, slots=True)
class Figures:
    """A day's figures, named as in ``bench.world.Outcome``."""

    delivered_wh: float
    initial_wh: float
    dead_minutes: float

    @property
    def added_wh(self) -> float:
        return self.delivered_wh - self.initial_wh


def figures(scenario: Scenario, world: World) -> Figures:
    """The day's figures from the agent's world at its end: each laptop's charge when it left
    (or now, for one still there), counted up to its target as the bench counts it, and the
    time laptops spent flat while plugged in."""
    stays = {stay.laptop.laptop_id: stay for stay in world.stays()}
    delivered = initial = dead_s = 0.0
    for device in scenario.devices:
        stay = stays.get(device.id)
        final = device.soc0 if stay is None else stay.soc
        delivered += device.counted_wh(final)
        initial += device.counted_wh(device.soc0)
        dead_s += 0.0 if stay is None else stay.dead_s
    return Figures(delivered_wh=delivered, initial_wh=initial, dead_minutes=dead_s / 60.0)
