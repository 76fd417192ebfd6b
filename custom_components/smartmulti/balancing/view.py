"""The engine's picture of the laptop on an outlet this cycle, and the reserve it may be
counted at while its outlet switches on: read from the outlet's memory, never written."""

from __future__ import annotations

from dataclasses import dataclass
import math

from . import taper
from .memory import OutletMemory
from .model import REPORT_SILENT_S, ChargeState, OutletInput, Settings


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
    on_soc: float | None = None  # its charge when ``on_w`` was read, if known
    empty_looks: int = 0  # looks in a row that found its outlet empty
    look_counts_from: float | None = None  # its outlet's next look is due an interval after this
    unseen: bool = False  # off and without reports too long: looked at again (``unseen_look_s``)

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

    def draw_at_w(self, soc: float) -> float:
        """The draw the charger model gives at ``soc``: constant below the knee, then falling
        with the room left in the battery (the laptop's own use stays on top)."""
        if soc <= self.cv_soc:
            return self.draw_w
        share = max(0.0, 1.0 - soc) / max(1e-6, 1.0 - self.cv_soc)
        idle = min(self.draw_w, self.use_w)
        return idle + (self.draw_w - idle) * min(1.0, share)

    def hours_flat(self) -> float:
        """Hours until the battery is empty if the outlet stays off (pessimistic charge)."""
        soc = self.soc_low if self.soc_low is not None else self.soc
        if soc is None or self.use_w <= 0:
            return math.inf
        return max(0.0, soc) * self.capacity_wh / self.use_w


def unseen(memory: OutletMemory, outlet: OutletInput, unseen_look_s: float) -> bool:
    """An off laptop without reports that nothing has seen for ``unseen_look_s`` (0: never).

    Off, such a laptop is invisible: it may have left and another, perhaps near flat, taken
    its place. ``smart`` looks at it again, and the look counts at the outlet's rating: what
    was learned of the laptop before may be another's.
    """
    occupant, at = memory.occupant, memory.last.at
    return (
        unseen_look_s > 0
        and bool(occupant.present)
        and not occupant.reported
        and not outlet.relay_on
        and occupant.seen_at is not None
        and at is not None
        and at - occupant.seen_at >= unseen_look_s
    )


def reserve_w(
    memory: OutletMemory,
    outlet: OutletInput,
    settings: Settings,
    time_scale: float = 1.0,
    *,
    doubted: bool = False,
) -> float | None:
    """What the agent may count this outlet at while it switches on, or None (its maximum).

    With a report: in the taper the draw is an idle part plus a part proportional to
    (1 - charge), and below the knee it is constant, so from the draw at the last report on
    it can grow at most by the ratio of (1 - charge) now to then (reports are whole percents:
    half a percent either way is allowed for), and it is no more than a draw read at a charge
    surely below this one (``taper.bound_w``); capped by the constant-power draw once one is
    evidenced (a draw read below 70 %, or one that held while the charge rose); none once the
    reporter has gone quiet over an off outlet (the laptop may have been swapped). Without a
    report, or with one that may lag (see ``BatteryReport.may_lag``): the constant-power draw
    once a long plateau at the session's peak proved it, or the peak itself while the charge
    cannot have fallen below where it was read (``above_peak_wh``); but the laptop may have
    been swapped while its outlet was off, so that lapses after ``reserve_hold_s`` off, or
    once it is ``doubted`` (``unseen``: looked at again). A margin is added either way.
    """
    occupant, charger = memory.occupant, memory.charger
    if not occupant.present or outlet.max_power_w <= 0:
        return None
    if doubted:
        return None
    # A draw above the evidenced constant power this session disproves it (another laptop):
    # the higher one stands.
    draw: float | None = max(charger.constant_w, charger.peak_w) if charger.constant_w > 0 else None
    # A percent that may lag cannot be paired with the draw read with it: such a laptop is
    # bounded as one without reports, by its draws alone.
    report = outlet.battery
    by_reports = occupant.reported and not (report is not None and report.may_lag)
    if by_reports and not outlet.relay_on and (report is None or report.age_s >= REPORT_SILENT_S):
        # A reporter that went quiet while its outlet was off: the laptop may have left and
        # another taken its place, one nothing learned here bounds.
        return None
    if draw is None and not by_reports and charger.peak_w > 0 and charger.above_peak_wh >= 0:
        draw = charger.peak_w
    then, now = charger.last_on_charge, memory.charge.expected
    if by_reports:
        if then is not None and now is not None and charger.last_on_w > 0:
            room_then = 1.0 - min(1.0, then + 0.005)
            if room_then >= 0.02:
                # A charge that rose since cannot draw more than then: the idle part stays.
                grow = max(1.0, (1.0 - max(0.0, now - 0.005)) / room_then)
                bound = charger.last_on_w * grow
                draw = bound if draw is None else min(draw, bound)
        if now is not None and (read := taper.bound_w(charger.taper, now)) is not None:
            draw = read if draw is None else min(draw, read)
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
    memory: OutletMemory,
    outlet: OutletInput,
    settings: Settings,
    time_scale: float = 1.0,
    unseen_look_s: float = 0.0,
) -> LaptopView:
    """The laptop picture the strategies rank on (``time_scale``: see ``StripInput``;
    ``unseen_look_s``: see ``unseen``)."""
    occupant, estimate, charger = memory.occupant, memory.charge, memory.charger
    doubted = unseen(memory, outlet, unseen_look_s)
    cap = memory.battery.capacity_wh or settings.default_capacity_wh
    use = memory.battery.use_w if memory.battery.use_w is not None else settings.default_use_w
    eff = settings.default_efficiency
    draw = charger.peak_w if charger.peak_w > 0 else outlet.max_power_w
    draw = min(draw, outlet.max_power_w) if outlet.max_power_w > 0 else draw
    charge = max(1.0, draw * eff - use)
    return LaptopView(
        present=occupant.present,
        state=occupant.state,
        soc=estimate.expected,
        reported=occupant.reported,
        capacity_wh=cap,
        use_w=use,
        charge_w=charge,
        draw_w=draw,
        cv_soc=settings.default_cv_soc,
        session_start=occupant.arrived_at,
        observed_at=occupant.seen_at,
        soc_low=estimate.low,
        reserve_w=reserve_w(memory, outlet, settings, time_scale, doubted=doubted),
        reached=occupant.reached_target,
        on_w=charger.last_on_w if occupant.present and charger.last_on_w > 0 else None,
        on_soc=charger.last_on_charge,
        empty_looks=memory.looks.empty_looks,
        look_counts_from=memory.looks.counts_from,
        unseen=doubted,
    )
