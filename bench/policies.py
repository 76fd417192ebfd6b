"""The algorithms compared: SmartMulti's strategies (the real engine), simple baselines.

The engine sees only what the product sees (``StripInput``). The baselines are given the truth
about who is present (a plain rule cannot probe, so it is not charged for it); ACN-Sim's
algorithms are in ``acn.py``. ``RelayOracle`` is a reference told everything, to measure what
is lost to information rather than to the algorithm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
import math

from balancing import Balancer, Settings, Strategy, StripInput, knapsack

from pi_agent.sim.physics import SECONDS_PER_HOUR, charge_power_w, outlet_draw_w

from .scenario import Scenario
from .world import Decision, Present


@dataclass(slots=True)
class EnginePolicy:
    """One SmartMulti strategy, driven exactly as the coordinator drives it."""

    strategy: Strategy
    settings: Settings = field(default_factory=Settings)
    max_on: int | None = None
    name: str = ""
    _engine: Balancer | None = None

    def __post_init__(self) -> None:
        self.name = self.name or f"smartmulti:{self.strategy.value}"

    @property
    def engine(self) -> Balancer | None:
        """The engine of the day being run (None before ``reset``)."""
        return self._engine

    def reset(self, scenario: Scenario) -> None:
        self._engine = Balancer(self.settings)
        if self.strategy is Strategy.MAX_OUTLETS and self.max_on is None:
            self.max_on = count_for_budget(scenario)

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        assert self._engine is not None
        plan = self._engine.plan(replace(strip, strategy=self.strategy, max_on=self.max_on))
        return Decision.of(plan)


def count_for_budget(scenario: Scenario) -> int:
    """The "N of M outlets" rule (``max_outlets``) with N chargers at full power fitting the
    budget."""
    room = min(w for _, w in scenario.budget_w) - scenario.exceptions_w()
    largest = max((d.spec.max_draw_w for d in scenario.devices), default=0.0)
    if largest <= 0.0:  # a day without laptops: nothing to count
        return 1
    return max(1, math.floor(room / largest))


def _greedy(order: Sequence[Present], room: float, max_w: dict[int, float]) -> list[int]:
    on, used = [], 0.0
    for p in order:
        if used + max_w[p.device.outlet] <= room:
            on.append(p.device.outlet)
            used += max_w[p.device.outlet]
    return on


def _balanced(scenario: Scenario) -> list[int]:
    lamps = {e.outlet for e in scenario.exceptions}
    return [o for o in scenario.outlet_ids if o not in lamps]


@dataclass(slots=True)
class AllOn:
    """Balancing disabled: every outlet on, the agent's admission check and guard only."""

    name: str = "baseline:all_on"

    def reset(self, scenario: Scenario) -> None:
        del scenario

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        outlets = _balanced(scenario)
        return Decision(frozenset(outlets), tuple(outlets))


@dataclass(slots=True)
class FirstCome:
    """First come first served at full charger power, optionally at most N outlets on."""

    count: bool = False
    name: str = "baseline:fcfs"
    _max_on: int = 0

    def __post_init__(self) -> None:
        if self.count:
            self.name = "baseline:at_most_n"

    def reset(self, scenario: Scenario) -> None:
        self._max_on = count_for_budget(scenario) if self.count else 10**6

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        room = strip.budget_w - scenario.exceptions_w()
        max_w = {o.outlet_id: o.max_power_w for o in strip.outlets}
        order = sorted(present, key=lambda p: (p.device.arrival_s, p.device.outlet))
        on = _greedy(order, room, max_w)[: self._max_on]
        return Decision(
            frozenset(on), tuple(on) + tuple(o for o in _balanced(scenario) if o not in on)
        )


@dataclass(slots=True)
class RoundRobinSlices:
    """Time slicing: whoever fits takes a slice of ``slice_s``, then the next ones do."""

    slice_s: float = 900.0
    name: str = "baseline:round_robin"
    _turn: int = 0
    _next_at: float = 0.0
    _on: tuple[int, ...] = ()

    def reset(self, scenario: Scenario) -> None:
        self._turn, self._next_at, self._on = 0, 0.0, ()

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        room = strip.budget_w - scenario.exceptions_w()
        max_w = {o.outlet_id: o.max_power_w for o in strip.outlets}
        here = {p.device.outlet for p in present}
        if t >= self._next_at or any(o not in here for o in self._on):
            ring = sorted(present, key=lambda p: p.device.outlet)
            if ring:
                start = self._turn % len(ring)
                order = ring[start:] + ring[:start]
                self._on = tuple(_greedy(order, room, max_w))
                self._turn += max(1, len(self._on))
            self._next_at = t + self.slice_s
        on = self._on
        return Decision(frozenset(on), on + tuple(o for o in _balanced(scenario) if o not in on))


@dataclass(frozen=True, slots=True)
class _Told:
    """One present laptop as the references are told it."""

    outlet: int
    draw_w: float  # its exact draw now, +1 W
    flat_min: float  # minutes until it runs flat on battery
    below_target: bool


def _told(present: Sequence[Present], scenario: Scenario) -> list[_Told]:
    told = []
    for p in present:
        d = p.device
        draw = outlet_draw_w(d.spec, charge_power_w(d.spec, p.soc, scenario.step_s)) + 1.0
        flat_min = max(0.0, p.soc) * d.capacity_wh / max(d.use_w, 1e-9) * 60.0
        told.append(_Told(d.outlet, draw, flat_min, p.soc < d.target_soc))
    return told


def _nearest_flat(x: _Told) -> tuple[float, float, int]:
    return (x.flat_min, x.draw_w, x.outlet)


def _fill(chosen: list[int], used_w: float, rest: Sequence[_Told], room_w: float) -> list[int]:
    """``chosen``, then the subset of ``rest`` whose exact draws fill the room best."""
    picks = knapsack.fill([x.draw_w for x in rest], room_w - used_w)
    return chosen + [rest[i].outlet for i in picks]


def _oracle_decision(on: list[int], told: Sequence[_Told], scenario: Scenario) -> Decision:
    order = tuple(on) + tuple(o for o in _balanced(scenario) if o not in on)
    return Decision(frozenset(on), order, {x.outlet: x.draw_w for x in told})


@dataclass(slots=True)
class RelayOracle:
    """A reference, not a product: what relays reach with perfect information and no limits.

    Told every laptop's true charge, draw and target, each step it switches on the laptops
    within ``alive_min`` minutes of running flat, then the subset of the other laptops below
    their target whose exact draws fill the budget best (the engine's knapsack), each counted
    at its exact draw (+1 W) through ``reserve_w``. No dwell, no hysteresis, no look-ahead: its
    switching rate is whatever that takes. The gap between it and the LP bound is what relay
    granularity, charger efficiency and the lack of look-ahead cost together;
    ``LimitedRelayOracle`` separates the switching limit from the information.
    """

    alive_min: float = 20.0
    name: str = "reference:relay_oracle"

    def reset(self, scenario: Scenario) -> None:
        del scenario

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        room = strip.budget_w - scenario.exceptions_w()
        told = sorted((x for x in _told(present, scenario) if x.below_target), key=_nearest_flat)
        on: list[int] = []
        used = 0.0
        for x in told:
            if x.flat_min < self.alive_min and used + x.draw_w <= room:
                on.append(x.outlet)
                used += x.draw_w
        return _oracle_decision(
            _fill(on, used, [x for x in told if x.outlet not in on], room), told, scenario
        )


@dataclass(slots=True)
class LimitedRelayOracle:
    """A reference: the relay oracle held to a switching discipline within the product's limit.

    Told everything, as ``RelayOracle``, but an outlet keeps its state for ``dwell_s`` after
    its relay moved and moves at most ``per_hour`` times in any hour; only a laptop within
    ``alive_min`` minutes of running flat overrides that (it goes on, and laptops held on
    that are not near flat go off, the largest first, to make it room). Its switching stays
    about as low as ``smart``'s, so the gap between the two is what the strip's partial
    information costs, not the switching limit. The discipline was set on tuning days
    (``bench.tune``'s ranges), not on published ones.
    """

    dwell_s: float = 300.0
    per_hour: int = 6
    alive_min: float = 20.0
    name: str = "reference:relay_oracle_limited"
    _relay: dict[int, bool] = field(default_factory=dict)
    _moves: dict[int, list[float]] = field(default_factory=dict)

    def reset(self, scenario: Scenario) -> None:
        del scenario
        self._relay, self._moves = {}, {}

    def _held(self, outlet: int, t: float) -> bool:
        moves = self._moves.get(outlet, [])
        return len(moves) >= self.per_hour or bool(moves and t - moves[-1] < self.dwell_s)

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        # The relays as the agent reports them: a move the agent refused is no move. Only the
        # last hour's moves count.
        for outlet in strip.outlets:
            oid = outlet.outlet_id
            moves = [m for m in self._moves.get(oid, ()) if m > t - SECONDS_PER_HOUR]
            if self._relay.get(oid, False) != outlet.relay_on:
                moves.append(t)
            self._moves[oid] = moves
            self._relay[oid] = outlet.relay_on
        room = strip.budget_w - scenario.exceptions_w()
        told = sorted(_told(present, scenario), key=_nearest_flat)
        urgent = [x for x in told if x.below_target and x.flat_min < self.alive_min]
        pressing = {x.outlet for x in urgent}
        kept: list[_Told] = []
        free: list[_Told] = []
        for x in told:
            if x.outlet in pressing:
                continue
            relay_on = self._relay.get(x.outlet, False)
            if self._held(x.outlet, t):
                if relay_on:
                    kept.append(x)
            elif x.below_target:
                free.append(x)
        kept.sort(key=lambda x: x.draw_w)
        used = sum(x.draw_w for x in kept)
        on: list[int] = []
        for x in urgent:
            while kept and used + x.draw_w > room:
                used -= kept.pop().draw_w
            if used + x.draw_w <= room:
                on.append(x.outlet)
                used += x.draw_w
        on += [x.outlet for x in kept]
        return _oracle_decision(_fill(on, used, free, room), told, scenario)


@dataclass(slots=True)
class LowestBatteryFirst:
    """A peer, not a product: the plain rule "lowest battery first", told every laptop's true
    charge and draw. Each step the laptops below their target, emptiest first, are switched on
    while their exact draws (+1 W, as their reserve) fit the budget; no dwell, no look-ahead.
    """

    name: str = "reference:lowest_battery_first"

    def reset(self, scenario: Scenario) -> None:
        del scenario

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        room = strip.budget_w - scenario.exceptions_w()
        on: list[int] = []
        reserve: dict[int, float] = {}
        used = 0.0
        for p in sorted(present, key=lambda p: (p.soc, p.device.outlet)):
            d = p.device
            if p.soc >= d.target_soc:
                continue
            draw = outlet_draw_w(d.spec, charge_power_w(d.spec, p.soc, scenario.step_s)) + 1.0
            if used + draw <= room:
                on.append(d.outlet)
                reserve[d.outlet] = draw
                used += draw
        order = tuple(on) + tuple(o for o in _balanced(scenario) if o not in on)
        return Decision(frozenset(on), order, reserve)
