"""ACN-Sim's own algorithms (acnportal 0.3.3) behind an adapter: their code, our world.

Peers, not products: like ACN-Sim's own simulator they are told each laptop's true remaining
demand, departure and draw. Each outlet with a laptop is an EVSE whose largest pilot is that
laptop's true draw this step, so a pilot never asks for power the charger would not take.
Two forms: continuous pilots in [0, draw] (a charger that can be modulated, which a relay strip
cannot do: the world caps the outlet's draw at the pilot), and relay pilots {0, draw}. The one
constraint is the budget left after exceptions. Watts stand for amps at 1 V, so ACN-Sim's
energy arithmetic (kWh -> A*periods) works unchanged.

The demand is the wall energy still needed to reach the target: the battery's gap over the
efficiency, scaled up by the share of the charger's output the laptop's own use takes. ACN-Sim
caps a pilot at what the remaining demand needs within one period, which with relay pilots
rounds the last period of every charge down to 0, so a charge never completes; relay sessions
are asked one period's draw more, and the world's physics stops at the target's taper anyway.
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

from pi_agent.sim.physics import charge_power_w, outlet_draw_w

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
    continuous: bool = True
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
        balanced = [o.outlet_id for o in strip.outlets if not o.exception]
        draw = dict.fromkeys(balanced, 0.0)
        for p in present:
            spec = p.device.spec
            draw[p.device.outlet] = outlet_draw_w(
                spec, charge_power_w(spec, max(0.0, p.soc), scenario.step_s)
            )
        ids = [str(o) for o in balanced]
        pilots = np.array([draw[o] for o in balanced])
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
            # Continuous: the range [0, draw]; relay: the two values 0 and draw.
            allowable_pilots=[np.array([0.0, p]) for p in pilots],
            is_continuous=np.full(len(balanced), self.continuous, dtype=bool),
        )
        self._iface.update(now, period_min, info)
        sessions = []
        for p in present:
            d = p.device
            gap_wh = max(0.0, d.target_soc - p.soc) * d.capacity_wh
            if gap_wh <= 0.0:
                continue
            net = max(1e-6, d.charge_w - d.use_w)
            need_wh = gap_wh / d.efficiency * d.charge_w / net
            if not self.continuous:
                need_wh += draw[d.outlet] * period_min / 60.0
            arrival = int(d.arrival_s // scenario.step_s)
            # Nothing after the day's end counts, and ACN-Sim holds an array per session as
            # long as its stay: a stay leaving past the end is told the end.
            departure = max(now + 1, min(scenario.steps, int(-(-d.departure_s // scenario.step_s))))
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
        rates = {int(k): float(v[0]) for k, v in schedule.items() if v and v[0] > 1e-6}
        rest = [o for o in balanced if o not in order]
        if self.continuous:
            return Decision(frozenset(rates), tuple(order + rest), pilot_w=rates)
        reserve = {o: draw[o] + 1.0 for o in rates}
        return Decision(frozenset(rates), tuple(order + rest), reserve_w=reserve)


def algorithms() -> list[AcnPolicy]:
    """ACN-Sim's algorithms, constructed as ACN-Sim's examples do, with continuous pilots;
    then the two that lead with relay pilots (round robin on relays is first come first
    served: every slot is a whole charger)."""
    return [
        AcnPolicy("acnsim:edf", lambda: SortedSchedulingAlgo(earliest_deadline_first)),
        AcnPolicy("acnsim:llf", lambda: SortedSchedulingAlgo(least_laxity_first)),
        AcnPolicy("acnsim:fcfs", lambda: SortedSchedulingAlgo(first_come_first_served)),
        AcnPolicy("acnsim:round_robin", lambda: RoundRobin(first_come_first_served)),
        AcnPolicy("acnsim:edf_relay", lambda: SortedSchedulingAlgo(earliest_deadline_first), False),
        AcnPolicy("acnsim:llf_relay", lambda: SortedSchedulingAlgo(least_laxity_first), False),
    ]
