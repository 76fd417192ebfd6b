"""ACN-Sim's own algorithms (acnportal 0.3.3) behind an adapter: their code, our world.

Each balanced outlet is an EVSE whose pilot is either 0 or the outlet's maximum draw (a
relay); the one constraint is the budget left after exceptions. Watts stand for amps at 1 V,
so ACN-Sim's energy arithmetic (kWh -> A*periods) works unchanged. Like ACN-Sim's own
simulator, the algorithms are told each laptop's true remaining demand and departure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from acnportal.acnsim.interface import InfrastructureInfo, Interface, SessionInfo
from acnportal.algorithms import (
    RoundRobin,
    SortedSchedulingAlgo,
    earliest_deadline_first,
    first_come_first_served,
    least_laxity_first,
)
from balancing import StripInput
import numpy as np

from .scenario import Scenario
from .world import Decision, Present


class BenchInterface(Interface):
    """The slice of ACN-Sim's Interface the sorted algorithms use, fed from our world."""

    def __init__(self) -> None:  # no ACN-Sim simulator behind it
        self._t = 0
        self._period = 1.0
        self._info: InfrastructureInfo | None = None

    def update(self, t: int, period_min: float, info: InfrastructureInfo) -> None:
        self._t, self._period, self._info = t, period_min, info

    @property
    def current_time(self) -> int:
        return self._t

    @property
    def period(self) -> float:
        return self._period

    def infrastructure_info(self) -> InfrastructureInfo:
        assert self._info is not None
        return self._info

    def max_pilot_signal(self, station_id: str) -> float:
        info = self.infrastructure_info()
        return float(info.max_pilot[info.get_station_index(station_id)])

    def evse_voltage(self, station_id: str) -> float:
        del station_id
        return 1.0


@dataclass(slots=True)
class AcnPolicy:
    name: str
    make: Callable[[], SortedSchedulingAlgo]
    _algo: Any = None
    _iface: BenchInterface | None = None

    def reset(self, scenario: Scenario) -> None:
        self._algo = self.make()
        self._iface = BenchInterface()
        self._algo.register_interface(self._iface)

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        assert self._iface is not None
        period_min = scenario.step_s / 60.0
        now = round(t / scenario.step_s)
        balanced = [o for o in strip.outlets if not o.exception]
        ids = [str(o.outlet_id) for o in balanced]
        pilots = np.array([o.max_power_w for o in balanced])
        room = strip.budget_w - scenario.exceptions_w()
        info = InfrastructureInfo(
            constraint_matrix=np.ones((1, len(balanced))),
            constraint_limits=np.array([max(0.0, room)]),
            phases=np.zeros(len(balanced)),
            voltages=np.ones(len(balanced)),
            constraint_ids=["budget"],
            station_ids=ids,
            max_pilot=pilots,
            min_pilot=np.zeros(len(balanced)),
            allowable_pilots=[np.array([0.0, p]) for p in pilots],
            is_continuous=np.zeros(len(balanced), dtype=bool),
        )
        self._iface.update(now, period_min, info)
        sessions = []
        for p in present:
            d = p.device
            need_wh = max(0.0, d.target_soc - p.soc) * d.capacity_wh / d.efficiency
            arrival = int(d.arrival_s // scenario.step_s)
            departure = max(now + 1, int(-(-d.departure_s // scenario.step_s)))
            sessions.append(
                SessionInfo(
                    station_id=str(d.outlet),
                    session_id=d.id,
                    requested_energy=need_wh / 1000.0,
                    energy_delivered=0.0,
                    arrival=min(arrival, now),
                    departure=departure,
                    estimated_departure=departure,
                    current_time=now,
                )
            )
        order = [int(s.station_id) for s in self._algo._sort_fn(list(sessions), self._iface)]
        schedule = self._algo.schedule(sessions) if sessions else {}
        on = frozenset(int(k) for k, v in schedule.items() if v and v[0] > 0)
        rest = [o.outlet_id for o in balanced if o.outlet_id not in order]
        return Decision(on, tuple(order + rest))


def algorithms() -> list[AcnPolicy]:
    """ACN-Sim's sorted algorithms, constructed as ACN-Sim's examples do."""
    return [
        AcnPolicy("acnsim:edf", lambda: SortedSchedulingAlgo(earliest_deadline_first)),
        AcnPolicy("acnsim:llf", lambda: SortedSchedulingAlgo(least_laxity_first)),
        AcnPolicy("acnsim:fcfs", lambda: SortedSchedulingAlgo(first_come_first_served)),
        AcnPolicy("acnsim:round_robin", lambda: RoundRobin(first_come_first_served)),
    ]
