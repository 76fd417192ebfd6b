"""How much an outlet needs power, in terms every strategy shares: what the circuit split ranks.

Strips on one circuit may run different strategies, and a strategy's own ranking means nothing
on another strip (``smart`` marks laptops about to run flat and young turns, ``battery_priority``
never does, ``total_cap`` ranks by arrival). So the split does not compare strategies' levels:
it ranks every strip's outlets by a common ``Need`` computed from the same facts for all, and a
strip's share is what its outlets won. The strategy still decides, within the strip's share,
which of its outlets are on; it also decides which outlets want power at all (its bid) and which
looks at unknown outlets it cannot put off.

Most needy first:

1. ``ALIVE``: a present laptop below its target within ``critical_s`` of running flat (by its
   pessimistic charge), nearest to flat first;
2. ``LOOK``: a look at an off outlet whose occupant is unknown that the strip's strategy will
   make before charging (never looked at, or long overdue): a laptop without reports may be
   plugged in there, running flat; so is ``smart``'s look at a laptop without reports unseen
   too long (``view.unseen``: another may have taken its place), longest unseen first;
3. ``TURN``: a laptop below its target whose outlet was switched on less than ``dwell_s`` ago,
   whatever its strip's strategy: keyed as ``CHARGE``. The split decides anew each cycle, and
   without this a needier laptop on another strip takes a turn's room a cycle after it was
   given, and a cycle or two later the room moves back: each move switches one laptop off and
   another on (over 6 switches per outlet-hour on ``bench/sites/two_strips_one_circuit.json``,
   up to 11 on random sites). So the circuit, like ``smart`` within a strip, interrupts a
   young turn only for a laptop about to run flat or a look that cannot wait. Not for a turn
   begun in the room of a look (``look_room``: the room the circuit granted a look, passed on
   within the strip when the look read nothing): the circuit gave it to the look, not to it;
4. ``CHARGE``: a present laptop below its target: fewest minutes to empty first (its expected
   charge over its use: the laptop that would die first if nobody charged it), then lowest
   battery percent, then least laxity (slack before its departure, known or assumed);
5. ``SPARE``: the rest a strategy would use room for (top-ups, outlets kept open, looks that
   can wait), laptops below their target first, emptiest first.

An outlet that is on ranks as if its laptop were ``battery_band`` emptier
(``keep_alive_band_s`` nearer to flat for ``ALIVE``), the same hysteresis ``battery_priority``
and ``smart`` use inside a strip: without it two laptops on two strips whose charges cross
would swap the circuit's room every cycle. Keys are whole minutes and percents, so equal needs
are equal, and the split serves equal needs one strip after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
import math

from .candidates import Bid, Candidate, Want, at_target, turn_age_s
from .model import SECONDS_PER_HOUR, Settings, Strategy, StripInput
from .view import LaptopView


class NeedLevel(IntEnum):
    """The classes of ``Need``; higher comes first."""

    SPARE = 1
    CHARGE = 2
    TURN = 3
    LOOK = 4
    ALIVE = 5


@dataclass(frozen=True, slots=True)
class Need:
    """One outlet's need, comparable across strips and strategies: ``order`` sorts neediest
    first (``level`` descending, then ``key`` ascending)."""

    level: NeedLevel
    key: tuple[float, ...] = ()

    @property
    def order(self) -> tuple[float, ...]:
        return (-int(self.level), *self.key)

    @classmethod
    def from_want(cls, want: Want) -> Need:
        """The need of a split chunk that carries only a strategy level (a ``Demand`` built
        without ``needs``)."""
        if want >= Want.URGENT:
            return cls(NeedLevel.ALIVE)
        if want >= Want.HOLD:
            return cls(NeedLevel.TURN)
        if want >= Want.CHARGE:
            return cls(NeedLevel.CHARGE)
        return cls(NeedLevel.SPARE)


def departure_s(cand: Candidate, strip: StripInput, settings: Settings) -> float:
    """When the laptop leaves: known, or ``assumed_stay_s`` after it arrived."""
    departure = cand.outlet.departure_at
    if departure is not None:
        return departure
    start = cand.laptop.session_start if cand.laptop.session_start is not None else strip.now
    return max(start + settings.assumed_stay_s, strip.now + settings.critical_s)


def laxity_s(cand: Candidate, strip: StripInput, settings: Settings) -> float:
    """Seconds a laptop can still wait and reach its target at departure."""
    lap = cand.laptop
    target = min(1.0, cand.outlet.target_percent / 100.0)
    left_h = max(0.0, departure_s(cand, strip, settings) - strip.now) / SECONDS_PER_HOUR
    charge, use = lap.charge_w, lap.use_w
    # On-time x over the stay: charge*x - use*(left - x) = energy still needed.
    need_h = (lap.hours_to(target) * charge + use * left_h) / (charge + use)
    return (left_h - need_h) * SECONDS_PER_HOUR


def flat_s(cand: Candidate, settings: Settings) -> float:
    """Seconds until the laptop runs flat if its outlet stays off (pessimistic charge)."""
    lap = cand.laptop
    if lap.soc is None and lap.soc_low is None:
        return _empty_s(lap, settings.unknown_soc)
    return lap.hours_flat() * SECONDS_PER_HOUR


def _empty_s(lap: LaptopView, soc: float) -> float:
    """Seconds the laptop's use takes to drain ``soc`` of its battery."""
    return soc * lap.capacity_wh / max(lap.use_w, 1e-9) * SECONDS_PER_HOUR


def _minutes(seconds: float) -> float:
    """Whole minutes, so that needs a few seconds apart compare equal (and finite)."""
    if math.isinf(seconds):
        return math.copysign(1e9, seconds)
    return float(round(seconds / 60.0))


def need(
    cand: Candidate, bid: Bid, strip: StripInput, settings: Settings, *, look_room: bool = False
) -> Need | None:
    """The outlet's need for room this cycle, or None when its strategy wants it off
    (``look_room``: the outlet was switched on in the room of a look)."""
    if bid.want is Want.NONE or cand.outlet.fault:
        return None
    lap = cand.laptop
    below = lap.present and not at_target(cand, settings)
    flat = flat_s(cand, settings) if below else math.inf
    if flat < settings.critical_s:
        credit = settings.keep_alive_band_s if cand.on else 0.0
        return Need(NeedLevel.ALIVE, (_minutes(flat - credit),))
    if lap.unseen and not cand.on and bid.want is Want.URGENT and lap.observed_at is not None:
        # Looked at again because it may have been swapped: whoever is there now is unknown.
        return Need(NeedLevel.LOOK, (1.0, -_minutes(strip.now - lap.observed_at)))
    if below:
        soc = lap.soc if lap.soc is not None else settings.unknown_soc
        if cand.on:
            soc -= settings.battery_band
        empty_s = _empty_s(lap, soc)
        lax = laxity_s(cand, strip, settings)
        key = (_minutes(empty_s), float(round(100.0 * soc)), _minutes(lax))
        young = cand.on and turn_age_s(cand, strip) < settings.dwell_s
        return Need(NeedLevel.TURN if young and not look_room else NeedLevel.CHARGE, key)
    if (
        not cand.on
        and lap.present is not True
        and (bid.want is Want.URGENT or lap.observed_at is None)
    ):
        seen = lap.observed_at
        return Need(NeedLevel.LOOK, (0.0,) if seen is None else (1.0, -_minutes(strip.now - seen)))
    soc = lap.soc if lap.present and lap.soc is not None else 1.0
    target = min(1.0, cand.outlet.target_percent / 100.0, 0.995)
    return Need(
        NeedLevel.SPARE,
        (0.0 if soc < target else 1.0, float(round(100.0 * soc)), 0.0 if cand.on else 1.0),
    )


def serving_order(wanted: list[tuple[Bid, Need]], strategy: Strategy) -> list[tuple[Bid, Need]]:
    """The strip's outlets in the order its selection serves them, for the circuit split.

    The greedy strategies serve level by level in their ranking's order (``_select``);
    ``smart`` serves keep-alive and forced looks first, then young turns, and picks the rest
    by a knapsack, which has no order: those go by need.
    """
    if strategy is Strategy.SMART:
        first = {Want.URGENT: 0, Want.HOLD: 1}
        return sorted(
            wanted,
            key=lambda item: (
                first.get(item[0].want, 2),
                item[1].order if item[0].want < Want.HOLD else (),
            ),
        )
    return sorted(wanted, key=lambda item: -int(item[0].want))
