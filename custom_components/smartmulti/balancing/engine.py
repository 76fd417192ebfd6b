"""One strip's balancing cycle: observe, rank by strategy, select within budget and rules.

The rules hold for every strategy and are enforced here, not in the strategies: exceptions are
never switched and their draw comes off the budget first; an outlet the agent may not yet
switch (minimum on/off time) stays as it is; the counted worst-case draw of what is on (the
measured draw once settled, the plan's reserve or else the maximum while switching on; for
``smart``'s empty outlets kept open, the room of the laptops that may plug in before the next
cycle, ``opens.py``) never exceeds the budget. The only exception to the minimum on time is
safety: when the budget falls below what is locked on, the lowest-ranked outlets are shed at
once (reason ``over_budget``).

Over 400 lines because it is one cycle read in order (observe, demand, plan within the budget,
select), with the engine's state and its snapshot for a restart (``persist.py`` encodes it)
beside the code that moves that state; split, a cycle would be read across files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
import math

from . import knapsack
from .candidates import Bid, Candidate, Want, candidate, exception_draw_w
from .estimate import observe, shed
from .looks import after_looks, in_look_room, room_free_now, turn_look
from .memory import OutletMemory
from .model import (
    ChargeState,
    OutletDecision,
    OutletInput,
    Reason,
    Settings,
    Strategy,
    StripInput,
    StripPlan,
)
from .need import Need, need, serving_order
from .occupancy import look_released
from .opens import counted_w, open_group
from .persist import EngineState
from .readings import after_readings, kept_for_reading, make_room
from .strategies import battery_priority, max_outlets, smart, total_cap
from .view import view
from .wear import SwitchLog, switches_since, worn

type Ranker = Callable[[Sequence[Candidate], StripInput, Settings], list[Bid]]

RANKERS: dict[Strategy, Ranker] = {
    Strategy.TOTAL_CAP: total_cap.rank,
    Strategy.MAX_OUTLETS: max_outlets.rank,
    Strategy.BATTERY_PRIORITY: battery_priority.rank,
    Strategy.SMART: smart.rank,
}


@dataclass(frozen=True, slots=True)
class Demand:
    """What a strip asks of its circuit this cycle, for the budget split.

    ``base_w`` must be granted (exceptions and outlets locked on); ``chunks`` are the counted
    draws of the outlets it may have on (on and free to go off, or off and free to go on) and
    wants on, in its strategy's order, tagged with the strategy's ``Want``. ``needs`` holds,
    chunk by chunk, the outlet's ``Need``, comparable across strips and strategies: the split
    ranks every strip's chunks by it (a demand without needs is ranked by its ``Want`` levels
    only). ``max_chunks`` is how many more outlets the strip may switch on at all
    (``max_outlets``), None for no limit.
    """

    strip_id: str
    base_w: float
    chunks: tuple[tuple[Want, float], ...]
    cap_w: float
    needs: tuple[Need, ...] = ()
    max_chunks: int | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One cycle's facts about a strip, folded into the engine's memory and ranked.

    Made by ``Balancer.observe``, once per cycle; ``Balancer.demand`` and
    ``Balancer.plan_within`` read it without observing again. Times are on the laptops' clock
    (``StripInput.time_scale``).
    """

    strip: StripInput  # the input on the laptops' clock, held outlets marked faulted
    candidates: list[Candidate]  # the balanced outlets, in the input's order
    bids: list[Bid]  # the strategy's ranking, best first
    by_id: dict[int, Candidate]  # outlet id -> its candidate
    rank: dict[int, int]  # outlet id -> its place in ``bids``
    exceptions_w: float  # the exception outlets' counted draw
    ranking: Settings  # the strategy's settings this cycle (``smart``'s worn by relay wear)


def _meter_settling(settings: Settings, time_scale: float) -> Settings:
    """``settle_s`` on the clock of ``seconds_since_switch``: a simulated strip's meters read
    its world, so they settle on the laptops' time, ``time_scale`` times faster than the clock
    (a real strip's meters settle on the clock: scale 1)."""
    if time_scale == 1.0:
        return settings
    return replace(settings, settle_s=settings.settle_s / time_scale)


class Balancer:
    """The engine for one strip: keeps what it learned of each outlet between cycles.

    One cycle is ``observe`` (fold the cycle's facts into memory and rank them: call it once
    per cycle, it moves the memory forward), then ``demand`` (what the strip asks of its
    circuit, for ``split_budget``) if the strip shares a circuit, then ``plan_within`` (the
    plan within the budget it was given). ``plan(strip)`` does all of it within the strip's
    own budget.

    Deterministic: the same sequence of inputs gives the same plans; it never reads a clock.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._memory: dict[int, OutletMemory] = {}
        # The laptops' clock: now x scale + offset, continuous when the scale changes.
        self._scale = 1.0
        self._offset = 0.0
        self._cycle_at: float | None = None  # the last cycle's ``now``, on the input's clock
        self._last_at: float | None = None  # ... and on the laptops' clock
        self._switches = SwitchLog(self.settings.wear_window_s)  # for ``wear.worn``
        self._look_room: frozenset[int] = frozenset()  # on in a look's room (``need``)

    def _physical(self, strip: StripInput) -> StripInput:
        """The input on the laptops' clock (``StripInput.time_scale``); as is at scale 1."""
        scale = strip.time_scale
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"time_scale must be positive and finite, got {scale}")
        if scale != self._scale:
            self._offset += strip.now * (self._scale - scale)
            self._scale = scale
        if any(o.held and not o.fault for o in strip.outlets):
            # A held outlet is never switched on and counts at its rating while still on.
            strip = replace(
                strip,
                outlets=tuple(replace(o, fault=True) if o.held else o for o in strip.outlets),
            )
        if scale == 1.0 and self._offset == 0.0:
            return strip
        now = strip.now * scale + self._offset
        outlets = tuple(
            replace(
                o,
                departure_at=None
                if o.departure_at is None
                else now + (o.departure_at - strip.now) * scale,
                battery=None
                if o.battery is None
                else replace(o.battery, age_s=o.battery.age_s * scale),
            )
            for o in strip.outlets
        )
        return replace(strip, now=now, outlets=outlets)

    def _candidates(
        self, strip: StripInput, settings: Settings, ranking: Settings, ahead_s: float
    ) -> list[Candidate]:
        """Each balanced outlet's memory moved forward by this cycle, as a candidate
        (``ahead_s``: see ``candidates.candidate``; ``ranking``: the strategy's settings)."""
        candidates: list[Candidate] = []
        seen: dict[int, OutletMemory] = {}
        unseen_s = ranking.unseen_look_s if strip.strategy is Strategy.SMART else 0.0
        for outlet in strip.outlets:
            if outlet.exception:
                continue
            mem = self._memory.get(outlet.outlet_id, OutletMemory())
            mem = shed(mem, outlet, strip.now, strip.time_scale)
            mem = look_released(mem, outlet, strip, settings)
            mem = observe(mem, outlet, strip.now, settings)
            seen[outlet.outlet_id] = mem
            lap = view(mem, outlet, settings, strip.time_scale, unseen_s)
            candidates.append(candidate(outlet, mem, lap, strip, settings, ahead_s=ahead_s))
        self._memory = seen
        return candidates

    def _ranking(self, strip: StripInput, settings: Settings) -> Settings:
        """The strategy's settings this cycle, once this cycle's switches are counted: relay
        wear is ``smart``'s rule, the others look as configured."""
        balanced = [o for o in strip.outlets if not o.exception]
        switches = sum(
            switches_since(self._memory.get(o.outlet_id, OutletMemory()), o) for o in balanced
        )
        self._switches.add(strip.now, switches)
        if strip.strategy is not Strategy.SMART:
            return settings
        return worn(settings, self._switches.rate(len(balanced)))

    def snapshot(self) -> EngineState | None:
        """What this engine remembers, for ``persist.encode`` (None before its first cycle)."""
        if self._last_at is None:
            return None
        entries = self._switches.entries()
        memory = dict(self._memory)
        return EngineState(self._last_at, self._scale, memory, entries, self._look_room)

    def resume(self, state: EngineState, *, now: float, elapsed_s: float) -> None:
        """Take up ``state`` as if its last cycle were ``elapsed_s`` before ``now`` (both on
        the input's clock): the laptops' clock runs on from the snapshot's."""
        self._memory = dict(state.memory)
        self._scale = state.scale
        self._offset = state.at + (elapsed_s - now) * state.scale
        self._switches = SwitchLog.of(self.settings.wear_window_s, state.switches)
        self._look_room = state.look_room
        self._cycle_at = None  # no cycle on this clock yet: the next looks no further ahead
        self._last_at = state.at

    def memory(self, outlet_id: int) -> OutletMemory | None:
        """What the engine remembers of an outlet after the last cycle (None: not seen)."""
        return self._memory.get(outlet_id)

    def observe(self, strip: StripInput) -> Observation:
        """Fold this cycle's facts into memory and rank them by the strip's strategy.

        Call it once per cycle: it moves the memory forward (what each outlet's laptop
        drained, gained and revealed since the last call).
        """
        physical = self._physical(strip)
        settings = _meter_settling(self.settings, strip.time_scale)
        # The next cycle is expected as far ahead as the last one was behind.
        ahead = 0.0 if self._cycle_at is None else max(0.0, strip.now - self._cycle_at)
        self._cycle_at, self._last_at = strip.now, physical.now
        ranking = self._ranking(physical, settings)
        candidates = self._candidates(physical, settings, ranking, ahead)
        bids = RANKERS[strip.strategy](candidates, physical, ranking)
        return Observation(
            physical,
            candidates,
            bids,
            {c.outlet_id: c for c in candidates},
            {b.outlet_id: i for i, b in enumerate(bids)},
            sum(exception_draw_w(o, settings) for o in physical.outlets if o.exception),
            ranking,
        )

    def demand(self, observation: Observation) -> Demand:
        """What the observed strip asks of its circuit, for ``split_budget``."""
        strip, settings, by_id = observation.strip, self.settings, observation.by_id
        locked = [c for c in observation.candidates if c.on and not c.can_off]
        base = observation.exceptions_w + sum(c.draw_w for c in locked)
        wanted: list[tuple[Bid, Need]] = []
        for b in observation.bids:
            c = by_id[b.outlet_id]
            if not ((c.can_off or not c.on) and (c.on or c.can_on)):
                continue  # held on (counted in the base) or held off
            in_room = b.outlet_id in self._look_room
            if (n := need(c, b, strip, settings, look_room=in_room)) is not None:
                wanted.append((b, n))
        wanted = serving_order(wanted, strip.strategy)
        chunks = tuple((b.want, by_id[b.outlet_id].draw_w) for b, _ in wanted)
        needs = tuple(n for _, n in wanted)
        max_chunks = None
        if strip.strategy is Strategy.MAX_OUTLETS and strip.max_on is not None:
            max_chunks = max(0, strip.max_on - len(locked))
        return Demand(
            strip.strip_id, base, chunks, min(strip.budget_w, strip.hard_limit_w), needs, max_chunks
        )

    def plan(self, strip: StripInput) -> StripPlan:
        """One whole cycle within the strip's own budget: ``observe``, then ``plan_within``."""
        return self.plan_within(self.observe(strip), strip.budget_w)

    def plan_within(self, observation: Observation, budget_w: float) -> StripPlan:
        """Decide which balanced outlets are on within ``budget_w``, their shedding order and
        why (``budget_w``: the strip's own budget, or its share of its circuit)."""
        strip, candidates = observation.strip, observation.candidates
        bids, rank = observation.bids, observation.rank
        exceptions = [o for o in strip.outlets if o.exception]
        exceptions_w = observation.exceptions_w
        room = min(budget_w, strip.hard_limit_w) - exceptions_w
        real = _select(observation, room, respect_locks=True)
        if strip.strategy is Strategy.SMART and not real.group:
            turned = turn_look(
                observation.by_id,
                bids,
                real.chosen,
                room,
                arrivals=observation.ranking.open_arrivals,
                min_on_s=strip.min_on_s,
                min_off_s=strip.min_off_s,
            )
            if turned is not None:
                real = replace(real, chosen=turned[0], used_w=turned[1])
        ideal = _select(observation, room, respect_locks=False)
        on = set(real.chosen)
        decisions = [
            self._decide(c, bids[rank[c.outlet_id]], real, ideal, strip.time_scale)
            for c in candidates
        ]
        looks, after = (
            after_looks(observation.by_id, bids, real.chosen, real.used_w, room, opened=real.group)
            if strip.strategy is Strategy.SMART
            else ((), ())
        )
        self._look_room = in_look_room(self._look_room, observation.by_id, on, looks, after)
        if strip.strategy is Strategy.SMART:
            read = after_readings(
                observation.by_id,
                bids,
                real.chosen,
                real.used_w,
                room,
                settings=observation.ranking,
            )
            after = (*after, *(oid for oid in read if oid not in after))
        if after and not room_free_now(
            candidates,
            on,
            real.used_w,
            room,
            min_on_s=strip.min_on_s,
            min_off_s=strip.min_off_s,
        ):
            # Nothing waits: the looks that were to go on behind the first are not made either
            # (the agent refuses a plan with a look it does not switch on).
            after = ()
            looks = tuple(oid for oid in looks if oid in on)
        # What waits behind a look or a reading goes on as well once there is room: if the
        # agent's guard then cuts it, what it was counted at was wrong all the same (``shed``).
        planned = on.union(after)
        for oid, mem in self._memory.items():
            if mem.last.planned_on != (oid in planned):
                self._memory[oid] = mem._replace(last=mem.last._replace(planned_on=oid in planned))
        # On first, then what waits for the looks' room in the order it is to go on.
        waits = {oid: i for i, oid in enumerate(after)}
        order = sorted(
            candidates,
            key=lambda c: (
                c.outlet_id not in on,
                waits.get(c.outlet_id, len(waits)),
                rank[c.outlet_id],
            ),
        )
        outlets = [*decisions, *(self._exception(o) for o in exceptions)]
        return StripPlan(
            strip_id=strip.strip_id,
            budget_w=budget_w,
            exceptions_w=exceptions_w,
            planned_w=real.used_w,
            on=tuple(c.outlet_id for c in order if c.outlet_id in on),
            priority=tuple(c.outlet_id for c in order),
            exceptions=tuple(o.outlet_id for o in exceptions),
            outlets=tuple(sorted(outlets, key=lambda d: d.outlet_id)),
            reserve_w={
                c.outlet_id: r
                for c in candidates
                if (c.outlet_id in on or c.outlet_id in after) and (r := c.reserve_w) is not None
            },
            looks=looks,
            after_looks=after,
        )

    def _decide(
        self, c: Candidate, bid: Bid, real: _Selection, ideal: _Selection, time_scale: float
    ) -> OutletDecision:
        oid = c.outlet_id
        on = oid in real.chosen
        if oid in real.shed:
            reason = Reason.OVER_BUDGET
        elif on:
            locked = c.on and not c.can_off
            if locked and c.looking:
                reason = Reason.PROBING
            elif locked and oid not in ideal.chosen:
                reason = Reason.MIN_ON_TIME
            elif oid in real.group:
                reason = Reason.OPEN
            else:
                reason = bid.on_reason
        elif bid.want >= Want.CHARGE and not c.on and not c.can_on and oid in ideal.chosen:
            reason = Reason.MIN_OFF_TIME
        elif bid.want >= Want.CHARGE and oid in real.turn_limited:
            reason = Reason.WAITING_TURN
        else:
            reason = bid.off_reason
        if c.outlet.held and not on:
            reason = Reason.LIMIT_REACHED
        lap = c.laptop
        target = min(1.0, c.outlet.target_percent / 100.0)
        present = bool(lap.present)
        ttf = (
            lap.hours_to(min(target, 0.99)) * 3600.0 / time_scale
            if present and lap.soc is not None
            else None
        )
        return OutletDecision(
            outlet_id=oid,
            on=on,
            reason=reason,
            state=lap.state,
            planned_w=c.draw_w if on else 0.0,
            percent=round(100.0 * lap.soc, 1) if present and lap.soc is not None else None,
            estimated=not lap.reported,
            time_to_full_s=ttf,
        )

    def _exception(self, outlet: OutletInput) -> OutletDecision:
        return OutletDecision(
            outlet_id=outlet.outlet_id,
            on=True,
            reason=Reason.EXCEPTION,
            state=ChargeState.UNKNOWN,
            planned_w=exception_draw_w(outlet, self.settings),
            percent=None,
            estimated=False,
            time_to_full_s=None,
        )


@dataclass(slots=True)
class _Selection:
    chosen: list[int]
    used_w: float
    shed: set[int]
    turn_limited: set[int]
    group: frozenset[int] = frozenset()  # empty outlets open in one shared room (opens.py)


def _select(seen: Observation, room: float, *, respect_locks: bool) -> _Selection:
    """Pick the outlets to have on, level by level; locks first when they are respected."""
    strip, candidates, bids, by_id, rank = (
        seen.strip,
        seen.candidates,
        seen.bids,
        seen.by_id,
        seen.rank,
    )
    max_on = strip.max_on if strip.strategy is Strategy.MAX_OUTLETS else None
    arrivals = seen.ranking.open_arrivals if strip.strategy is Strategy.SMART else 0
    sel = _Selection([], 0.0, set(), set())

    def counted() -> float:
        return counted_w([by_id[oid] for oid in sel.chosen], arrivals)

    if respect_locks:
        locked = sorted(
            (c for c in candidates if c.on and not c.can_off), key=lambda c: rank[c.outlet_id]
        )
        sel.chosen = [c.outlet_id for c in locked]
        sel.used_w = counted()
        while sel.chosen and sel.used_w > room + 1e-9:
            sel.shed.add(sel.chosen.pop())
            sel.used_w = counted()

    def free(c: Candidate) -> bool:
        if c.outlet_id in sel.chosen or c.outlet_id in sel.shed or c.outlet.fault:
            return False
        if not respect_locks:
            return True
        return (c.on and c.can_off) or c.can_on

    def greedy(level: Want) -> None:
        for b in bids:
            c = by_id[b.outlet_id]
            if b.want != level or not free(c):
                continue
            if max_on is not None and len(sel.chosen) >= max_on:
                sel.turn_limited.add(b.outlet_id)
                continue
            if sel.used_w + c.draw_w <= room + 1e-9:
                sel.chosen.append(b.outlet_id)
                sel.used_w += c.draw_w

    greedy(Want.URGENT)
    if strip.strategy is Strategy.SMART:
        # Everything else in one knapsack: the set worth most whose counted draws fit.
        pool = [b for b in bids if b.want != Want.URGENT and free(by_id[b.outlet_id])]
        weights = [by_id[b.outlet_id].draw_w for b in pool]
        picks = knapsack.best(weights, [b.value for b in pool], room - sel.used_w)
        # A reading is never urgent: not made while a laptop must be kept alive or a look is
        # due (a laptop without a report may be running flat there), whose room it would take.
        if not any(b.want is Want.URGENT or b.look_due for b in bids):
            kept = [i for i in picks if kept_for_reading(by_id[pool[i].outlet_id])]
            picks = make_room(pool, weights, picks, kept, room - sel.used_w)
        sel.chosen += [pool[i].outlet_id for i in picks]
        sel.used_w = counted()
        sel.group, sel.used_w = open_group(
            candidates, sel.chosen, sel.used_w, room, seen.ranking, shed=sel.shed
        )
        sel.chosen += [
            b.outlet_id for b in bids if b.outlet_id in sel.group and b.outlet_id not in sel.chosen
        ]
        return sel
    greedy(Want.HOLD)
    greedy(Want.CHARGE)
    greedy(Want.SPARE)
    return sel
