"""What the engine remembers about each outlet between cycles, in small records.

``OutletMemory`` gathers six records: the previous cycle as seen (``LastCycle``), who is on the
outlet (``Occupant``), its charge (``ChargeEstimate``), what was learned of the laptop's battery
(``LearnedBattery``) and of its charger (``LearnedCharger``), and when the outlet is next looked
at (``LookSchedule``). The rules that fold each cycle into them are in ``estimate.py``.

Named tuples, not dataclasses: each is replaced several times per outlet per cycle, and a
tuple's ``_replace`` is several times cheaper than ``dataclasses.replace``. Memory is immutable
and replaced each cycle, so a run replays exactly.
"""

from __future__ import annotations

from typing import NamedTuple

from .model import ChargeState

# Draws read under a reporter's percent: (the highest whole percent the charge can have been
# at, the highest draw read there), by percent (``taper.py``).
TaperPoints = tuple[tuple[int, float], ...]


class LastCycle(NamedTuple):
    """The outlet as the previous cycle saw it: the energy since then is reckoned from it."""

    at: float | None = None  # that cycle's time (laptops' clock); None before the first cycle
    relay_on: bool = False
    since: float | None = None  # its ``seconds_since_switch`` (the input's clock)
    power_w: float = 0.0  # its measured draw
    planned_on: bool = False  # the plan made that cycle had it on, or waiting to go on
    session: bool = False  # a user's session was open on the outlet


class Occupant(NamedTuple):
    """Whether a laptop is on the outlet, since when, and what its charger is doing."""

    present: bool | None = None  # None: not known (off, no report)
    seen_at: float | None = None  # last time presence was observed (meter or report)
    arrived_at: float | None = None  # first seen present this session: first-come order
    reported: bool = False  # its charge comes from a battery report, not the power profile
    state: ChargeState = ChargeState.UNKNOWN
    reached_target: bool = False  # the laptop reached its target this session


class ChargeEstimate(NamedTuple):
    """The laptop's charge as fractions 0..1: reported, or inferred from its power profile."""

    expected: float | None = None  # the expected charge
    low: float | None = None  # the pessimistic charge (equal to ``expected`` when reported)
    # Without a report: the estimated net charge change since the session started, and the
    # largest it was while the draw was still at constant power (how much it took below the
    # knee bounds where it started).
    gained: float = 0.0
    gained_at_constant_power: float = 0.0
    pinned: bool = False  # a report, a taper or an idle draw fixed the charge
    flat_since: float | None = None  # the draw has been flat and low since then (idle: full)
    flat_w: float | None = None  # ... measured against this draw, read then (``profile.flat``)
    flat_at: float | None = None


class LearnedBattery(NamedTuple):
    """What reports (and idle draws) taught of the laptop's battery.

    Capacity is learned from the outlet energy over a rise of the reported charge, the laptop's
    own use from a fall while off; each such span starts at a report (``span_*``) and runs while
    the relay stays as it was.
    """

    capacity_wh: float | None = None  # None: not learned, ``Settings.default_capacity_wh``
    use_w: float | None = None  # None: not learned, ``Settings.default_use_w``
    span_start: float | None = None  # when the span began (None: no span open)
    span_start_charge: float | None = None  # the reported charge then
    span_wh: float = 0.0  # outlet energy since the span began
    span_on: bool = False  # the relay was on when the span began


class LearnedCharger(NamedTuple):
    """What the outlet's draw taught of the laptop's charger this session."""

    peak_w: float = 0.0  # highest settled draw this session
    constant_w: float = 0.0  # its constant-power draw, once evidenced (0: not yet)
    last_on_w: float = 0.0  # its last settled draw while on: what it will likely draw when back on
    last_on_charge: float | None = None  # the reported charge when ``last_on_w`` was read
    taper: TaperPoints = ()  # draws read at reported charges: they bound higher ones
    # A steady draw: its watts, since when (no report) or from which reported charge (report).
    plateau_w: float = 0.0
    plateau_since: float | None = None
    plateau_charge: float | None = None
    # Without a report: the least energy the battery can hold above its level when the
    # session's peak draw was read (on at the lowest efficiency against the highest use, off
    # draining at the highest use). While it is not negative the charge is no lower than then,
    # so the laptop draws no more than that peak: a taper only falls as the charge rises.
    above_peak_wh: float = 0.0


class LookSchedule(NamedTuple):
    """Looks at an outlet with no laptop known: switched on briefly to see whether one is there."""

    meter_read: bool = False  # the meter has been read since the relay last switched on
    empty_looks: int = 0  # looks in a row that found the outlet empty (not departures)
    counts_from: float | None = None  # the next look is due one look interval after this


class OutletMemory(NamedTuple):
    """What the engine remembers about one outlet between cycles."""

    last: LastCycle = LastCycle()
    occupant: Occupant = Occupant()
    charge: ChargeEstimate = ChargeEstimate()
    battery: LearnedBattery = LearnedBattery()
    charger: LearnedCharger = LearnedCharger()
    looks: LookSchedule = LookSchedule()


def forget_laptop(mem: OutletMemory) -> OutletMemory:
    """Drop what belongs to one laptop, not to the outlet, when the laptop may have changed.

    Kept: presence, the charge itself (the caller sets it), the last cycle and the looks;
    a plateau's watts and a span's relay state are only read once a new one has begun.
    """
    charge = mem.charge
    return mem._replace(
        charge=ChargeEstimate(expected=charge.expected, low=charge.low),
        battery=LearnedBattery(span_on=mem.battery.span_on),
        charger=LearnedCharger(plateau_w=mem.charger.plateau_w),
    )
