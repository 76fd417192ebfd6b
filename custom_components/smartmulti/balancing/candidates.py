"""The shared facts every strategy ranks on: what each balanced outlet would cost if on.

An outlet's worst-case draw is what the agent's admission check counts: the measured draw once
the relay has settled; while it switches on or settles, the reserve the plan gives it (the
laptop's evidenced constant-power draw plus a margin) or else its ``max_power_w``; its maximum
when stale or faulted. An idle outlet that is on is also counted at its maximum, because a
laptop may be plugged into it at any moment: keeping it open reserves that headroom (``smart``
lets the empty outlets it keeps open share it, ``opens.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
import math

from .memory import OutletMemory
from .model import OutletInput, Reason, Settings, StripInput
from .occupancy import settled
from .view import LaptopView


class Want(IntEnum):
    """How much a balanced outlet wants to be on; higher levels are served first."""

    NONE = 0  # off is right (fault, nothing to do)
    SPARE = 1  # on only with room to spare: top-up, keep open, probe
    CHARGE = 2  # a laptop below its target
    HOLD = 3  # charging and not to be interrupted (dwell, departure soon)
    URGENT = 4  # about to run flat


@dataclass(frozen=True, slots=True)
class Candidate:
    """A balanced outlet this cycle, with the switching rights the agent will enforce."""

    outlet: OutletInput
    laptop: LaptopView
    draw_w: float
    can_on: bool
    can_off: bool
    looking: bool = False  # on to look for a laptop, and its meter not read yet: held on
    open: bool = False  # on, its meter settled and reading nothing: a laptop may plug in

    @property
    def outlet_id(self) -> int:
        return self.outlet.outlet_id

    @property
    def on(self) -> bool:
        return self.outlet.relay_on

    @property
    def read_before_w(self) -> float | None:
        """The draw this laptop was read at this session (its peak, at most what it counts at
        now), or None if it was never read: what a reading of it again is guessed to find."""
        if self.laptop.on_w is None:
            return None
        return min(self.laptop.draw_w, self.draw_w)

    @property
    def reserve_w(self) -> float | None:
        """The reserve to send with the plan if this outlet is on and not yet settled."""
        if self.laptop.reserve_w is None or self.draw_w != self.laptop.reserve_w:
            return None
        return self.laptop.reserve_w


@dataclass(frozen=True, slots=True)
class Bid:
    """A strategy's wish for one outlet; the list of bids is its ranking, best first."""

    outlet_id: int
    want: Want
    on_reason: Reason  # shown when the outlet is on
    off_reason: Reason  # shown when it is off and the budget is not the reason
    value: float = 0.0  # smart: worth of having it on this cycle, in watts (see smart.py)
    # smart: a laptop counted at its outlet's rating because its draw is not known (never
    # measured, or a reading that no longer holds): what it is guessed to draw, and its worth
    # at that draw; the selector may switch it on for a reading (``engine._measure``).
    guess_w: float | None = None
    guess_value: float = 0.0
    look_due: bool = False  # smart: a look at an off outlet, due (or never made)


def exception_draw_w(outlet: OutletInput, settings: Settings) -> float:
    """An exception outlet's draw, at its maximum whenever the meter cannot be believed."""
    if settled(outlet, settings):
        return max(0.0, outlet.power_w)
    return outlet.max_power_w


def candidate(
    outlet: OutletInput,
    memory: OutletMemory,
    laptop: LaptopView,
    strip: StripInput,
    settings: Settings,
    *,
    ahead_s: float = 0.0,
) -> Candidate:
    """Build a candidate: its counted draw and whether the minimum times let it switch.

    A minimum time that runs out before the next cycle (``ahead_s`` away, on the clock of
    ``seconds_since_switch``; at most half the minimum) does not hold the outlet: the agent
    makes the switch the moment it may, and admits no switch-on the outlet still leaves no
    room for. Held to the cycle, every turn would last a cycle longer than its minimum
    whenever the cycle comes a moment before the minimum runs out. Not an open outlet's
    minimum on time: the agent counts an outlet that has read nothing since it went on at
    nothing, so it would admit the plan's switch-ons into the room of its rating at once, and a
    laptop plugged in there meanwhile would draw over the budget.

    An outlet switched on to look for a laptop (nothing known there, no report) is held on
    until its meter has settled and been read, even past the minimum on time: switched off
    before, the look would see nothing and be due again at once, and with room for one outlet
    two unknown outlets would take turns being looked at forever (an agent's minimum on time
    can be shorter than the engine's ``settle_s``).
    """
    is_settled = settled(outlet, settings)
    is_open = is_settled and outlet.power_w < settings.present_w
    if is_settled:
        # Settled and reading nothing, it is open whatever its laptop's report still says:
        # one may be plugged in at any moment.
        draw = outlet.max_power_w if is_open else outlet.power_w
    elif laptop.reserve_w is not None and not outlet.stale and not outlet.fault:
        draw = laptop.reserve_w
    else:
        draw = outlet.max_power_w
    since = outlet.seconds_since_switch
    looking = (
        outlet.relay_on
        and not memory.looks.meter_read
        and laptop.present is not True
        and not outlet.stale
        and not outlet.fault
        and since is not None
        and since < settings.settle_s
    )
    on_ahead = 0.0 if is_open else min(ahead_s, strip.min_on_s / 2)
    on_by = since is None or since + on_ahead >= strip.min_on_s
    elapsed_on = on_by and not looking
    elapsed_off = since is None or since + min(ahead_s, strip.min_off_s / 2) >= strip.min_off_s
    return Candidate(
        outlet=outlet,
        laptop=laptop,
        draw_w=draw,
        can_on=not outlet.relay_on and elapsed_off and not outlet.fault,
        can_off=outlet.relay_on and elapsed_on,
        looking=looking,
        open=is_open,
    )


def turn_age_s(cand: Candidate, strip: StripInput) -> float:
    """Seconds of the laptops' time since the outlet's relay last switched (infinite when
    never): the age of a turn, on the agent's clock scaled to the laptops'."""
    since = cand.outlet.seconds_since_switch
    return math.inf if since is None else since * strip.time_scale


def probe_due(cand: Candidate, now: float, settings: Settings) -> bool:
    """An off outlet whose occupant is unknown and that has not been looked at for a while."""
    if cand.laptop.present:
        return False
    seen = cand.laptop.observed_at
    return seen is None or now - seen >= settings.probe_interval_s


def idle_bid(cand: Candidate, now: float, settings: Settings) -> Bid:
    """The bid of an outlet with no laptop known to want charge: fault, empty or unknown."""
    oid = cand.outlet_id
    if cand.outlet.fault:
        return Bid(oid, Want.NONE, Reason.FAULT, Reason.FAULT)
    # An idle outlet that is on stays open while there is room; one that is off is not
    # switched on for nothing (a due probe is bid for separately): that would flap.
    if cand.laptop.present is False:
        return Bid(oid, Want.SPARE if cand.on else Want.NONE, Reason.OPEN, Reason.EMPTY)
    if cand.laptop.present is None:
        return Bid(oid, Want.SPARE if cand.on else Want.NONE, Reason.PROBING, Reason.UNKNOWN)
    return Bid(oid, Want.SPARE, Reason.TOPPING_UP, Reason.FULL)


def at_target(cand: Candidate, settings: Settings | None = None) -> bool:
    """A laptop at or above its target (or full by its power profile) only tops up.

    Once it has reached its target, an outlet that is off wants charge again only when the
    laptop falls ``rearm_band`` below it: otherwise every percent it drains would switch it on
    and every percent it gains would switch it off.
    """
    soc = cand.laptop.soc
    if soc is None:
        return False
    target = min(1.0, cand.outlet.target_percent / 100.0)
    band = settings.rearm_band if settings is not None else 0.0
    if cand.laptop.reached and not cand.on:
        target -= band
    return soc >= target or soc >= 0.995
