"""The simulated room behind the strip: outlets, the laptops and lamps plugged into them, and time.

The agent's sampling loop drives it: ``advance`` by the real time since the last sample, then
``reading`` each outlet. Sim time runs ``speed`` times faster than real time (batteries, arrivals
and departures), while meters keep reporting watts, so an accelerated demo shows the same power
figures as a real strip. Fleet events use their own random stream and happen at exact sim
times, so the day's schedule does not depend on how often the world is advanced or read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
import math
from random import Random

from pi_agent.hardware.base import Reading
from pi_agent.sim.fleet import Arrival, Fleet, Lamp, Laptop, laptop_id, pick_owner
from pi_agent.sim.physics import SECONDS_PER_HOUR, charge_power_w, outlet_draw_w, step

MAINS_V = 230.0
#: Standard deviation of the mains voltage a meter reads (V) and of its power reading (relative).
VOLTAGE_NOISE_V = 0.5
POWER_NOISE = 0.004
#: A meter reports the draw averaged over a short window; only matters in the last second to full.
METER_WINDOW_S = 1.0
#: Longest physics step: keeps the CV taper accurate when a high speed makes each advance long.
MAX_STEP_S = 10.0
#: Finished stays kept for inspection; a demo left running at high speed must not grow forever.
HISTORY_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class BatteryStatus:
    """What the laptop's OS would tell a reporter about its battery."""

    percent: int
    plugged: bool
    laptop_id: str
    owner: str


@dataclass(frozen=True, slots=True)
class Stay:
    """One laptop's visit so far (``left_s`` None while it is still plugged in); ``soc`` is its
    charge now or when it left, ``dead_s`` the sim time it spent with an empty battery."""

    outlet_id: int
    laptop: Laptop
    arrived_s: float
    left_s: float | None
    soc: float
    dead_s: float


@dataclass(slots=True)
class _Visit:
    outlet_id: int
    laptop: Laptop
    arrived_s: float
    soc: float
    dead_s: float = 0.0
    left_s: float | None = None


@dataclass(slots=True)
class _Outlet:
    on: bool = False
    lamp_w: float = 0.0
    visit: _Visit | None = None
    next_event_s: float = math.inf
    energy_wh: float = 0.0


class World:
    """Outlets 1..N of one strip with what is plugged into them, advanced by real time."""

    def __init__(
        self,
        fleet: Fleet,
        *,
        seed: int = 0,
        speed: float = 1.0,
        noise: bool = True,
        max_step_s: float = MAX_STEP_S,
    ) -> None:
        if max_step_s <= 0:
            raise ValueError(f"max_step_s must be positive, got {max_step_s}")
        self._fleet = fleet
        self.speed = speed
        self._noise = noise
        self._max_step_s = max_step_s
        # Separate streams: reading the meters must not change who arrives when.
        self._events_rng = Random(f"smartmulti-world:{seed}")
        self._noise_rng = Random(f"smartmulti-noise:{seed}")
        self._time_s = 0.0
        self._history: deque[_Visit] = deque(maxlen=HISTORY_LIMIT)
        self._fleet_ids = {o.laptop_id for o in fleet.occupants if isinstance(o, Laptop)}
        self._arrivals = len(self._fleet_ids)
        # The fleet's written arrivals, per outlet, soonest first.
        self._written: dict[int, deque[Arrival]] = {}
        for arrival in sorted(fleet.arrivals, key=lambda a: a.at_s):
            self._written.setdefault(arrival.outlet_id, deque()).append(arrival)
        self._outlets: list[_Outlet] = []
        for outlet_id, occupant in enumerate(fleet.occupants, start=1):
            outlet = _Outlet()
            if isinstance(occupant, Lamp):
                outlet.lamp_w = occupant.power_w
            elif isinstance(occupant, Laptop):
                outlet.visit = _Visit(outlet_id, occupant, 0.0, occupant.soc)
                if occupant.stay_s is not None:
                    outlet.next_event_s = occupant.stay_s
            elif fleet.churn is not None:
                outlet.next_event_s = self._events_rng.uniform(*fleet.churn.gap_s)
            else:
                outlet.next_event_s = self._next_written_s(outlet_id)
            self._outlets.append(outlet)
        self._next_event_s = min(o.next_event_s for o in self._outlets)

    # -- time -------------------------------------------------------------------------------

    @property
    def speed(self) -> float:
        """Sim seconds per real second."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"speed must be positive and finite, got {value}")
        self._speed = value

    @property
    def time_s(self) -> float:
        """Sim seconds since the start."""
        return self._time_s

    def advance(self, dt_s: float) -> None:
        """Move the world by ``dt_s`` real seconds with the relays as they are now."""
        if not (dt_s >= 0 and math.isfinite(dt_s)):
            raise ValueError(f"dt_s must be a finite duration, got {dt_s}")
        end = self._time_s + dt_s * self._speed
        while True:
            target = min(end, self._next_event_s, self._time_s + self._max_step_s)
            if target > self._time_s:
                self._step(target - self._time_s)
                self._time_s = target
            if self._time_s >= self._next_event_s:
                self._fire_events()
            elif self._time_s >= end:
                return

    def _step(self, dt: float) -> None:
        for outlet in self._outlets:
            visit = outlet.visit
            if visit is not None:
                before = visit.soc
                soc, draw_w = step(visit.laptop.spec, before, outlet.on, dt)
                visit.soc = soc
                if soc < 0.0 or before < 0.0:
                    visit.dead_s += dt * _share_below_zero(before, soc)
                outlet.energy_wh += draw_w * dt / SECONDS_PER_HOUR
            elif outlet.on and outlet.lamp_w:
                outlet.energy_wh += outlet.lamp_w * dt / SECONDS_PER_HOUR

    def _fire_events(self) -> None:
        churn = self._fleet.churn
        now = self._time_s
        for outlet_id, outlet in enumerate(self._outlets, start=1):
            if outlet.next_event_s > now:
                continue
            visit = outlet.visit
            if visit is not None:
                visit.left_s = now
                self._history.append(visit)
                outlet.visit = None
                outlet.next_event_s = (
                    now + self._events_rng.uniform(*churn.gap_s)
                    if churn
                    else self._next_written_s(outlet_id)
                )
                if outlet.next_event_s > now:
                    continue
            if churn is not None:
                stay_s = self._events_rng.uniform(*churn.stay_s)
                laptop = churn.mix.draw(
                    self._events_rng, self._new_laptop_id(), self._new_owner(), stay_s
                )
                outlet.visit = _Visit(outlet_id, laptop, now, laptop.soc)
                outlet.next_event_s = now + stay_s
            elif (queue := self._written.get(outlet_id)) and queue[0].at_s <= now:
                laptop = queue.popleft().laptop
                outlet.visit = _Visit(outlet_id, laptop, now, laptop.soc)
                outlet.next_event_s = now + (laptop.stay_s or math.inf)
            else:
                outlet.next_event_s = math.inf
        self._next_event_s = min(o.next_event_s for o in self._outlets)

    def _next_written_s(self, outlet_id: int) -> float:
        queue = self._written.get(outlet_id)
        return queue[0].at_s if queue else math.inf

    def _new_laptop_id(self) -> str:
        while True:
            self._arrivals += 1
            new_id = laptop_id(self._arrivals)
            if new_id not in self._fleet_ids:
                return new_id

    def _new_owner(self) -> str:
        present = {o.visit.laptop.owner for o in self._outlets if o.visit is not None}
        return pick_owner(self._events_rng, present)

    # -- relays and meters ------------------------------------------------------------------

    @property
    def fleet(self) -> Fleet:
        return self._fleet

    @property
    def outlets(self) -> int:
        return len(self._outlets)

    def set_relay(self, outlet_id: int, on: bool) -> None:
        """Close or open the outlet's contact (the sim relays call this)."""
        self._outlet(outlet_id).on = on

    def relay(self, outlet_id: int) -> bool:
        """Whether the outlet's contact is closed (not what the agent commanded)."""
        return self._outlet(outlet_id).on

    def draw_w(self, outlet_id: int) -> float:
        """What the outlet delivers right now, exactly (the meter adds noise)."""
        outlet = self._outlet(outlet_id)
        if not outlet.on:
            return 0.0
        visit = outlet.visit
        if visit is None:
            return outlet.lamp_w
        spec = visit.laptop.spec
        return outlet_draw_w(spec, charge_power_w(spec, visit.soc, METER_WINDOW_S))

    def reading(self, outlet_id: int) -> Reading:
        """A meter's view of the outlet: mains voltage and the draw, with small seeded noise."""
        power_w = self.draw_w(outlet_id)
        voltage_v = MAINS_V
        if self._noise:
            gauss = self._noise_rng.gauss
            voltage_v += gauss(0.0, VOLTAGE_NOISE_V)
            if power_w > 0.0:
                power_w = max(0.0, power_w * (1.0 + gauss(0.0, POWER_NOISE)))
        return Reading(voltage_v, power_w / voltage_v, power_w)

    def energy_wh(self, outlet_id: int) -> float:
        """Energy the outlet really delivered since the start, in sim time: the truth the agent's
        counters are checked against (at speed N, readings integrated over real time give 1/N)."""
        return self._outlet(outlet_id).energy_wh

    # -- what is plugged in -----------------------------------------------------------------

    def occupant(self, outlet_id: int) -> Laptop | Lamp | None:
        outlet = self._outlet(outlet_id)
        if outlet.visit is not None:
            return outlet.visit.laptop
        return self._fleet.occupants[outlet_id - 1] if outlet.lamp_w else None

    def soc(self, outlet_id: int) -> float | None:
        """The exact state of charge of the laptop on the outlet (below 0 when dead)."""
        visit = self._outlet(outlet_id).visit
        return None if visit is None else visit.soc

    def battery(self, outlet_id: int) -> BatteryStatus | None:
        """The laptop's own battery report; it says plugged only when its charger has power."""
        outlet = self._outlet(outlet_id)
        visit = outlet.visit
        if visit is None:
            return None
        laptop = visit.laptop
        return BatteryStatus(_os_percent(visit.soc), outlet.on, laptop.laptop_id, laptop.owner)

    def locate(self, laptop_id: str) -> int | None:
        """The outlet a laptop is plugged into, as a reporter running on it would need."""
        for outlet_id, outlet in enumerate(self._outlets, start=1):
            if outlet.visit is not None and outlet.visit.laptop.laptop_id == laptop_id:
                return outlet_id
        return None

    def stays(self) -> tuple[Stay, ...]:
        """Recent finished stays (oldest first, up to ``HISTORY_LIMIT``), then current ones."""
        result = [_stay(v) for v in self._history]
        result += [_stay(o.visit) for o in self._outlets if o.visit is not None]
        return tuple(result)

    def _outlet(self, outlet_id: int) -> _Outlet:
        if not 1 <= outlet_id <= len(self._outlets):
            raise ValueError(f"no outlet {outlet_id} (outlets are 1..{len(self._outlets)})")
        return self._outlets[outlet_id - 1]


def _stay(visit: _Visit) -> Stay:
    return Stay(
        visit.outlet_id, visit.laptop, visit.arrived_s, visit.left_s, visit.soc, visit.dead_s
    )


def _share_below_zero(before: float, after: float) -> float:
    """The part of a step spent with an empty battery; the charge moves linearly within a step."""
    if before < 0.0 and after < 0.0:
        return 1.0
    return -min(before, after) / abs(after - before)


def _os_percent(soc: float) -> int:
    """Whole percent, rounded half up and clamped, as OS battery indicators show it."""
    return min(100, max(0, int(soc * 100.0 + 0.5)))
