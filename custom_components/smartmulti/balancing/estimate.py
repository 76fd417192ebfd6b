"""Charge estimation: what a laptop is doing, from its battery report or its power profile.

A relay outlet sees a laptop only through the watts it draws while on: constant power while the
battery charges, then a taper as the charger nears full, then a flat idle draw (the laptop's own
use). A battery report, when there is one, wins. Through a relay the laptop's use, capacity and
efficiency cannot be separated, so the defaults in ``Settings`` stand in until reports let us
learn capacity and use.

Without a report the charge is an interval, not a number. Its low end starts at
``unknown_soc`` and drains at ``unknown_use_w`` while off (pessimistic: it decides when a
laptop must be kept alive); the expected value is the middle of what the evidence allows: a
laptop seen at constant power is below the knee, and one that took E watt-hours at constant
power started at most ``cv - E/capacity``. Both move with the energy delivered and drained, a
taper pins both, an idle draw means full.

The memory also keeps what the plan's ``reserve_w`` rests on (``reserve_w`` below): the
laptop's constant-power draw once evidenced, and its last draw with the charge it was read at.
Memory is immutable and replaced each cycle, so a run replays exactly.

Over 400 lines on purpose: the memory, the rules folding each cycle into it and the reserves
all read and write the same fields of one tuple; split, each part would reach into the others'.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import NamedTuple

from .model import ChargeState, OutletInput, Settings

SECONDS_PER_HOUR = 3600.0
_CHARGING_SHARE = 0.92  # a draw this close to the session's peak is still constant power
_FULL_SHARE = 0.03  # a taper below this share of the charge power is full
_FLAT_W = 0.6  # a draw moving less than this is flat
_FLAT_S = 300.0  # flat and low for this long: full (idle draw only)
_LEARN_DSOC = 0.05  # reports must move this much before capacity or use are learned
_PLATEAU = 0.02  # a draw within this share of the plateau still belongs to it
_PLATEAU_S = 540.0  # a plateau this long is constant power: even a slow taper falls 2 % in it
_CC_REPORT_SOC = 0.7  # a reported charge below this is surely before the taper
_CC_MAX_SHARE = 0.5  # a plateau above this share of the outlet maximum is a charger's, not idle
_RISE_SOC = 0.03  # a reported charge rising this much under a flat draw: constant power
_RISE_FLAT = 0.01  # ... flat meaning within this share


class OutletMemory(NamedTuple):
    """What the engine remembers about one outlet between cycles.

    A named tuple, not a dataclass: it is replaced several times per outlet per cycle, and a
    tuple's ``_replace`` is several times cheaper than ``dataclasses.replace``.
    """

    last_now: float | None = None
    present: bool | None = None  # None: not known (off, no report)
    observed_at: float | None = None  # last time presence was observed (meter or report)
    session_start: float | None = None  # first seen present: first-come order
    peak_w: float = 0.0  # highest settled draw this session (constant-power draw)
    last_w: float = 0.0
    last_on: bool = False
    soc: float | None = None  # expected charge
    soc_low: float | None = None  # pessimistic charge (equal to ``soc`` when reported)
    gain: float = 0.0  # estimated net charge change since the session started (no report)
    cc_gain: float = 0.0  # the largest ``gain`` seen while still at constant power
    anchored: bool = False  # the charge was pinned by a report, a taper or an idle draw
    reached: bool = False  # the laptop reached its target this session
    on_w: float = 0.0  # its last settled draw while on: what it will likely draw when back on
    on_soc: float | None = None  # the reported charge when ``on_w`` was read
    looked: bool = False  # the meter has been read since the relay last switched on
    empty_looks: int = 0  # looks in a row that found the outlet empty (not counting departures)
    look_slot: float | None = None  # the next look's interval counts from here (see _observe)
    reported: bool = False
    state: ChargeState = ChargeState.UNKNOWN
    flat_since: float | None = None
    capacity_wh: float | None = None  # learned from reports
    use_w: float | None = None  # learned from the idle draw or from reports
    anchor_t: float | None = None
    anchor_soc: float | None = None
    anchor_wh: float = 0.0  # outlet energy since the anchor
    anchor_on: bool = False
    cc_w: float = 0.0  # constant-power draw of this session's laptop, once evidenced (0: not yet)
    plateau_w: float = 0.0  # the draw holding steady since ``plateau_since``
    plateau_since: float | None = None
    plateau_soc: float | None = None  # the reported charge when the plateau began
    asked_on: bool = False  # the last plan had it on
    # Without a report: the least energy the battery can hold above its level when the
    # session's peak draw was read (on at the lowest efficiency against the highest use, off
    # draining at the highest use). While it is not negative the charge is no lower than then,
    # so the laptop draws no more than that peak: a taper only falls as the charge rises.
    above_peak_wh: float = 0.0


@dataclass(frozen=True, slots=True)
class LaptopView:
    """The engine's best picture of the laptop on an outlet this cycle."""

    present: bool | None
    state: ChargeState
    soc: float | None
    reported: bool
    capacity_wh: float
    use_w: float
    charge_w: float  # into the battery at constant power
    draw_w: float  # at the outlet at constant power
    cv_soc: float
    session_start: float | None
    observed_at: float | None
    soc_low: float | None = None  # pessimistic charge, for keeping it alive
    reserve_w: float | None = None  # what the agent may count it at when switched on
    reached: bool = False  # it reached its target this session (re-armed only below a band)
    on_w: float | None = None  # what it drew when last on (this session), if known
    empty_looks: int = 0  # looks in a row that found the outlet empty
    look_slot: float | None = None  # the next look is due one look interval after this

    def hours_to(self, soc_goal: float) -> float:
        """Hours of continuous charging from the current charge to ``soc_goal``."""
        soc = self.soc if self.soc is not None else 0.0
        if soc >= soc_goal or self.charge_w <= 0:
            return 0.0
        hours = 0.0
        knee = self.cv_soc
        if soc < knee:
            hours += (min(soc_goal, knee) - soc) * self.capacity_wh / self.charge_w
            soc = knee
        if soc_goal > knee:
            # Linear taper: d(soc)/dt = charge/cap * (1 - soc) / (1 - knee), exponential in time.
            tau_h = self.capacity_wh * (1.0 - knee) / self.charge_w
            goal = min(soc_goal, 0.99)
            if goal > soc:
                hours += tau_h * math.log((1.0 - soc) / (1.0 - goal))
        return hours

    def hours_flat(self) -> float:
        """Hours until the battery is empty if the outlet stays off (pessimistic charge)."""
        soc = self.soc_low if self.soc_low is not None else self.soc
        if soc is None or self.use_w <= 0:
            return math.inf
        return max(0.0, soc) * self.capacity_wh / self.use_w


def _forget(mem: OutletMemory) -> OutletMemory:
    """Drop what belongs to one laptop, not to the outlet, when the laptop may have changed."""
    return mem._replace(
        peak_w=0.0,
        cc_w=0.0,
        on_w=0.0,
        on_soc=None,
        plateau_since=None,
        plateau_soc=None,
        capacity_wh=None,
        use_w=None,
        anchor_t=None,
        anchor_soc=None,
        anchor_wh=0.0,
        gain=0.0,
        cc_gain=0.0,
        anchored=False,
        flat_since=None,
        above_peak_wh=0.0,
    )


def shed(memory: OutletMemory, outlet: OutletInput, now: float, time_scale: float) -> OutletMemory:
    """Forget the laptop's draw when the agent's guard shed its outlet since the last cycle.

    The last plan had it on, and it is off with a switch since the last cycle (its
    ``seconds_since_switch`` is on the agent's clock, ``now`` on the laptops'): it was switched
    on and cut again, so it drew more than it was counted at, and whatever its reserve rested
    on is wrong.
    """
    since = outlet.seconds_since_switch
    if not memory.asked_on or outlet.relay_on or since is None or memory.last_now is None:
        return memory
    if since * time_scale < now - memory.last_now:
        return _forget(memory)
    return memory


def settled(outlet: OutletInput, settings: Settings) -> bool:
    """True when the meter of an on outlet can be believed."""
    since = outlet.seconds_since_switch
    return (
        outlet.relay_on
        and not outlet.stale
        and not outlet.fault
        and (since is None or since >= settings.settle_s)
    )


def observe(
    memory: OutletMemory, outlet: OutletInput, now: float, settings: Settings
) -> OutletMemory:
    """Fold this cycle's facts about one outlet into its memory."""
    mem = _observe(memory, outlet, now, settings)
    if not mem.present:
        return mem._replace(reached=False) if mem.reached else mem
    target = min(1.0, outlet.target_percent / 100.0)
    if mem.soc is not None and mem.soc >= min(target, 0.995) and not mem.reached:
        return mem._replace(reached=True)
    return mem


def _observe(
    memory: OutletMemory, outlet: OutletInput, now: float, settings: Settings
) -> OutletMemory:
    dt = 0.0 if memory.last_now is None else max(0.0, now - memory.last_now)
    cap = memory.capacity_wh or settings.default_capacity_wh
    use = memory.use_w if memory.use_w is not None else settings.default_use_w
    was_on = memory.last_on
    outlet_wh = memory.last_w * dt / SECONDS_PER_HOUR if was_on else 0.0
    worst_use_wh = settings.max_use_w * dt / SECONDS_PER_HOUR
    above = memory.above_peak_wh - worst_use_wh
    if was_on:
        above += outlet_wh * settings.min_efficiency
    mem = memory._replace(
        last_now=now, last_on=outlet.relay_on, last_w=outlet.power_w, above_peak_wh=above
    )
    if outlet.relay_on != was_on:
        mem = mem._replace(anchor_t=None, anchor_soc=None, anchor_wh=0.0)
    else:
        mem = mem._replace(anchor_wh=mem.anchor_wh + outlet_wh)
    trusted = settled(outlet, settings)
    if not trusted:
        mem = mem._replace(plateau_since=None, plateau_soc=None)

    report = outlet.battery
    if report is not None and report.age_s <= settings.report_max_age_s:
        return _observe_report(mem, outlet, now, report.percent / 100.0, settings)

    if not outlet.relay_on:
        mem = mem._replace(looked=False)
    if trusted:
        fresh = not mem.looked
        mem = mem._replace(looked=True)
        if outlet.power_w < settings.present_w:
            slot = now
            if mem.present:
                looks = 0  # a laptop just left: the next may come soon
            elif fresh:
                looks = mem.empty_looks + 1
                # A look made before it was due stands in for the due one: the next counts
                # from when this one was due, so looks moved early do not add looks.
                if mem.look_slot is not None:
                    slot = max(now, mem.look_slot + look_interval_s(mem.empty_looks, settings))
            else:
                looks = mem.empty_looks
                slot = max(now, mem.look_slot if mem.look_slot is not None else now)
            return _forget(mem)._replace(
                empty_looks=looks,
                look_slot=slot,
                present=False,
                observed_at=now,
                session_start=None,
                soc=None,
                soc_low=None,
                reported=False,
                state=ChargeState.EMPTY,
            )
        mem = mem._replace(empty_looks=0, look_slot=None)
        return _observe_draw(mem, outlet, now, dt=dt, cap=cap, use=use, settings=settings)

    if mem.reported and not outlet.relay_on:
        # The report stopped while off: the laptop may have left.
        return _forget(mem)._replace(
            present=None,
            reported=False,
            state=ChargeState.UNKNOWN,
            soc=None,
            soc_low=None,
        )
    if mem.present and mem.soc is not None and not outlet.relay_on:
        drain = use * dt / SECONDS_PER_HOUR / cap
        # Without a report the use is a guess: the pessimistic charge drains at the larger one.
        worst = drain
        if not mem.reported:
            worst = max(use, settings.unknown_use_w) * dt / SECONDS_PER_HOUR
            worst /= min(cap, settings.unknown_capacity_wh)
        low = None if mem.soc_low is None else mem.soc_low - worst
        return mem._replace(
            soc=mem.soc - drain,
            soc_low=low,
            gain=mem.gain - drain,
            state=ChargeState.DISCHARGING,
        )
    return mem


def _plateau(mem: OutletMemory, power: float, now: float, max_w: float) -> OutletMemory:
    """Follow a steady draw without a report; a long one at the session's peak is constant power.

    A taper falls by more than the tolerance within ``_PLATEAU_S``, even a slow one where the
    laptop's own use dominates. An idle draw (full) is steady forever, so the plateau must
    also be the session's peak (a laptop seen charging and then full idles far below it) and
    above the idle range (half the outlet's maximum).
    """
    if mem.plateau_since is None or abs(power - mem.plateau_w) > _PLATEAU * mem.plateau_w:
        return mem._replace(plateau_w=power, plateau_since=now)
    plateau = max(mem.plateau_w, power)
    steady = now - mem.plateau_since >= _PLATEAU_S
    at_peak = plateau >= _CHARGING_SHARE * mem.peak_w
    if steady and at_peak and plateau >= _CC_MAX_SHARE * max_w:
        return mem._replace(plateau_w=plateau, cc_w=max(mem.cc_w, plateau))
    return mem._replace(plateau_w=plateau)


def _rising(mem: OutletMemory, power: float, soc: float) -> OutletMemory:
    """A reported charge that rises while the draw stays flat: the draw is constant power.

    In the taper the charger's part of the draw falls with (1 - charge), several percent per
    point of charge; only a draw that is nearly all the laptop's own use could stay within
    ``_RISE_FLAT`` over ``_RISE_SOC``, and laptop chargers are far above their laptop's use.
    """
    start = mem.plateau_soc
    if start is None or abs(power - mem.plateau_w) > _RISE_FLAT * mem.plateau_w:
        return mem._replace(plateau_w=power, plateau_soc=soc)
    if soc - start >= _RISE_SOC and soc < 0.95:
        return mem._replace(cc_w=max(mem.cc_w, mem.plateau_w, power))
    return mem


def _observe_report(
    mem: OutletMemory, outlet: OutletInput, now: float, soc: float, settings: Settings
) -> OutletMemory:
    new = not mem.present or not mem.reported
    start = mem.session_start if mem.present and mem.session_start is not None else now
    if new:
        # A report appearing may be a new laptop even where one was seen drawing before:
        # nothing learned about that one's draw is kept.
        mem = _forget(mem)
    mem = mem._replace(
        present=True,
        observed_at=now,
        session_start=start,
        soc=soc,
        soc_low=soc,
        reported=True,
        anchored=True,
        # When it leaves, its outlet is looked at as one a laptop just left, not at the
        # backed-off interval of the empty looks before it came.
        empty_looks=0,
        look_slot=None,
    )
    mem = _learn(mem, outlet, now, soc, settings)
    if not outlet.relay_on:
        return mem._replace(state=ChargeState.DISCHARGING, flat_since=None)
    if not settled(outlet, settings):
        return mem._replace(state=ChargeState.CHARGING)
    power = outlet.power_w
    peak = max(mem.peak_w, power)
    cv = settings.default_cv_soc
    if power >= settings.present_w:
        mem = _rising(mem._replace(on_w=power, on_soc=soc), power, soc)
        if soc < _CC_REPORT_SOC:
            mem = mem._replace(cc_w=max(mem.cc_w, power))
    if soc >= 0.995:
        state = ChargeState.FULL
        if power < 0.5 * peak:
            mem = mem._replace(use_w=power * settings.default_efficiency)
    elif soc > cv and power < _CHARGING_SHARE * peak:
        state = ChargeState.TAPERING
    else:
        state = ChargeState.CHARGING
    return mem._replace(peak_w=peak, state=state)


def _learn(
    mem: OutletMemory, outlet: OutletInput, now: float, soc: float, settings: Settings
) -> OutletMemory:
    """Learn capacity (while charging) and use (while off) from report deltas."""
    if mem.anchor_t is None or mem.anchor_soc is None:
        return mem._replace(anchor_t=now, anchor_soc=soc, anchor_wh=0.0, anchor_on=outlet.relay_on)
    dsoc = soc - mem.anchor_soc
    hours = (now - mem.anchor_t) / SECONDS_PER_HOUR
    eff = settings.default_efficiency
    use = mem.use_w if mem.use_w is not None else settings.default_use_w
    cap = mem.capacity_wh or settings.default_capacity_wh
    if mem.anchor_on and dsoc >= _LEARN_DSOC and mem.anchor_soc < settings.default_cv_soc:
        battery_wh = mem.anchor_wh * eff - use * hours
        if battery_wh > 0:
            learned = min(200.0, max(10.0, battery_wh / dsoc))
            return mem._replace(capacity_wh=learned, anchor_t=now, anchor_soc=soc, anchor_wh=0.0)
    if not mem.anchor_on and -dsoc >= _LEARN_DSOC and hours > 0:
        learned = min(150.0, max(1.0, -dsoc * cap / hours))
        return mem._replace(use_w=learned, anchor_t=now, anchor_soc=soc, anchor_wh=0.0)
    return mem


def _observe_draw(
    mem: OutletMemory,
    outlet: OutletInput,
    now: float,
    *,
    dt: float,
    cap: float,
    use: float,
    settings: Settings,
) -> OutletMemory:
    """A settled draw without a report: follow the session's charge through its profile."""
    power = outlet.power_w
    eff = settings.default_efficiency
    new_session = not mem.present
    if new_session:
        mem = _forget(mem)._replace(soc=None, soc_low=None, session_start=now)
    if power >= mem.peak_w:
        mem = mem._replace(above_peak_wh=0.0)
    peak = max(mem.peak_w, power)
    start = mem.session_start if mem.session_start is not None else now
    cv = settings.default_cv_soc
    flat_since = mem.flat_since
    if abs(power - mem.last_w) <= _FLAT_W and power < 0.5 * peak and not new_session:
        flat_since = flat_since if flat_since is not None else now
    else:
        flat_since = None
    mem = _plateau(mem._replace(peak_w=peak), power, now, outlet.max_power_w)
    seen = mem._replace(
        present=True,
        observed_at=now,
        session_start=start,
        peak_w=peak,
        reported=False,
        flat_since=flat_since,
        on_w=power,
        on_soc=None,
    )
    if flat_since is not None and now - flat_since >= _FLAT_S:
        return seen._replace(
            state=ChargeState.FULL, soc=1.0, soc_low=1.0, use_w=power * eff, anchored=True
        )
    charge = max(1.0, peak * eff - use)
    share = (power * eff - use) / charge
    if power >= _CHARGING_SHARE * peak:
        # Constant power: below the knee. What it has taken so far bounds where it started.
        delta = 0.0 if new_session else (power * eff - use) * dt / SECONDS_PER_HOUR / cap
        gain = seen.gain + delta
        cc_gain = max(seen.cc_gain, gain)
        if mem.anchored and mem.soc is not None:
            soc = min(cv, mem.soc + delta)
            low = min(soc, (mem.soc_low if mem.soc_low is not None else mem.soc) + delta)
        else:
            floor = settings.unknown_soc
            ceiling = max(floor, min(settings.prior_soc_high, cv - cc_gain))
            soc = min(cv, 0.5 * (floor + ceiling) + gain)
            # The low end keeps its own history: it gains as a large battery would.
            slow = delta * cap / max(cap, settings.prior_capacity_high_wh)
            low = floor if new_session or mem.soc_low is None else mem.soc_low + slow
            low = min(soc, low)
        return seen._replace(
            state=ChargeState.CHARGING, soc=soc, soc_low=low, gain=gain, cc_gain=cc_gain
        )
    if share <= _FULL_SHARE:
        return seen._replace(state=ChargeState.FULL, soc=1.0, soc_low=1.0, anchored=True)
    soc = min(1.0, max(cv, 1.0 - share * (1.0 - cv)))
    return seen._replace(state=ChargeState.TAPERING, soc=soc, soc_low=soc, anchored=True)


def look_interval_s(empty_looks: int, settings: Settings) -> float:
    """How often an empty outlet is looked at: less often each time it is found empty again.

    An outlet a laptop just left is looked at after ``probe_interval_s``; one nobody has used
    for a while backs off (x ``probe_backoff`` per empty look) to ``max_probe_interval_s``.
    """
    interval = settings.probe_interval_s * settings.probe_backoff ** max(0, empty_looks - 1)
    return min(interval, max(settings.probe_interval_s, settings.max_probe_interval_s))


def reserve_w(
    memory: OutletMemory, outlet: OutletInput, settings: Settings, time_scale: float = 1.0
) -> float | None:
    """What the agent may count this outlet at while it switches on, or None (its maximum).

    With a report: in the taper the draw is an idle part plus a part proportional to
    (1 - charge), and below the knee it is constant, so from the draw at the last report on
    it can grow at most by the ratio of (1 - charge) now to then (reports are whole percents:
    half a percent either way is allowed for); capped by the constant-power draw once one is
    evidenced (a draw read below 70 %, or one that held while the charge rose). Without a
    report: the constant-power draw once a long plateau at the session's peak proved it, or the
    peak itself while the charge cannot have fallen below where it was read
    (``above_peak_wh``); but the laptop may have been swapped while its outlet was off, so
    that lapses after ``reserve_hold_s`` off. A margin is added either way.
    """
    if not memory.present or outlet.max_power_w <= 0:
        return None
    draw: float | None = memory.cc_w if memory.cc_w > 0 else None
    if draw is None and not memory.reported and memory.peak_w > 0 and memory.above_peak_wh >= 0:
        draw = memory.peak_w
    then, now = memory.on_soc, memory.soc
    if memory.reported:
        if then is not None and now is not None and memory.on_w > 0:
            room_then = 1.0 - min(1.0, then + 0.005)
            if room_then >= 0.02:
                bound = memory.on_w * (1.0 - max(0.0, now - 0.005)) / room_then
                draw = bound if draw is None else min(draw, bound)
    elif not outlet.relay_on:
        since = outlet.seconds_since_switch
        if since is None or since * time_scale > settings.reserve_hold_s:
            return None
    if draw is None:
        return None
    watts = draw * (1.0 + settings.reserve_margin) + settings.reserve_margin_w
    # Tenths of a watt, rounded up: the plan carries exactly what the engine counted.
    return min(outlet.max_power_w, math.ceil(watts * 10.0) / 10.0)


def view(
    memory: OutletMemory, outlet: OutletInput, settings: Settings, time_scale: float = 1.0
) -> LaptopView:
    """The laptop picture the strategies rank on (``time_scale``: see ``StripInput``)."""
    cap = memory.capacity_wh or settings.default_capacity_wh
    use = memory.use_w if memory.use_w is not None else settings.default_use_w
    eff = settings.default_efficiency
    draw = memory.peak_w if memory.peak_w > 0 else outlet.max_power_w
    draw = min(draw, outlet.max_power_w) if outlet.max_power_w > 0 else draw
    charge = max(1.0, draw * eff - use)
    return LaptopView(
        present=memory.present,
        state=memory.state,
        soc=memory.soc,
        reported=memory.reported,
        capacity_wh=cap,
        use_w=use,
        charge_w=charge,
        draw_w=draw,
        cv_soc=settings.default_cv_soc,
        session_start=memory.session_start,
        observed_at=memory.observed_at,
        soc_low=memory.soc_low,
        reserve_w=reserve_w(memory, outlet, settings, time_scale),
        reached=memory.reached,
        on_w=memory.on_w if memory.present and memory.on_w > 0 else None,
        empty_looks=memory.empty_looks,
        look_slot=memory.look_slot,
    )
