"""Who is on an outlet: what sessions, battery reports and the meter say about presence.

The agent keeps a laptop's last report after it leaves, a user's session says a laptop is
plugged in without a look, and a meter reading nothing on a settled outlet says nobody is:
these rules decide which report belongs to the laptop there now, when a laptop arrived or
left, and when an empty outlet is looked at again. ``estimate`` folds the result into the
charge estimate.
"""

from __future__ import annotations

from .memory import LookSchedule, OutletMemory, forget_laptop
from .model import (
    REPORT_SILENT_S,
    SECONDS_PER_HOUR,
    SMALLEST_BATTERY_WH,
    BatteryReport,
    ChargeState,
    OutletInput,
    Settings,
    StripInput,
)

_REPORT_ROUNDING = 0.015  # two whole-percent reports of one charge differ by less than this


def settled(outlet: OutletInput, settings: Settings) -> bool:
    """True when the meter of an on outlet can be believed."""
    since = outlet.seconds_since_switch
    return (
        outlet.relay_on
        and not outlet.stale
        and not outlet.fault
        and (since is None or since >= settings.settle_s)
    )


def occupant_report(
    mem: OutletMemory,
    outlet: OutletInput,
    now: float,
    settings: Settings,
    *,
    opened: bool,
    dt: float,
    was_on: bool,
) -> tuple[OutletMemory, BatteryReport | None]:
    """The memory, and the outlet's battery report unless it is another laptop's.

    A session opening (``opened``) on an off outlet where a laptop was known may be another
    laptop, swapped in while the relay was off: nothing learned of the one before (its draw,
    the reserve resting on it) holds, and a report still held from before is not this one's.
    A percent the laptop reported before could not have reached in ``dt`` is a newcomer's:
    the occupant is no longer counted as reported, so the report is taken as a new laptop's.
    """
    if opened and not outlet.relay_on and mem.occupant.present:
        forgotten = forget_laptop(mem)
        return forgotten._replace(
            occupant=mem.occupant._replace(present=None, reported=False),
            charge=forgotten.charge._replace(expected=None, low=None),
        ), None
    report = _report_of_occupant(mem, outlet, now, settings)
    off = not was_on and not outlet.relay_on
    if report is not None and _another_laptop(mem, report, dt, settings, off=off):
        mem = mem._replace(occupant=mem.occupant._replace(reported=False))
    return mem, report


def _another_laptop(
    mem: OutletMemory, report: BatteryReport, dt: float, settings: Settings, *, off: bool
) -> bool:
    """Whether a reporter's percent is another laptop's than the one reported before.

    A laptop's charge falls at most at ``max_use_w`` from a small battery (on, its charger
    feeds its use first, so no faster), and rises only while its outlet is on: a percent
    falling faster, or rising on an outlet ``off`` since the last cycle, is another laptop
    swapped in (whatever was learned of the one before must go). Allowed: the two reports'
    rounding and a post up to a report interval older than the cycle. A Home Assistant
    sensor may lag and then catch up at once, so it proves nothing here.
    """
    before = mem.charge.expected
    if report.may_lag or not mem.occupant.reported or before is None:
        return False
    soc = report.percent / 100.0
    fall = settings.max_use_w * (dt + REPORT_SILENT_S) / SECONDS_PER_HOUR / SMALLEST_BATTERY_WH
    return (off and soc > before + _REPORT_ROUNDING) or soc < before - _REPORT_ROUNDING - fall


def _report_of_occupant(
    mem: OutletMemory, outlet: OutletInput, now: float, settings: Settings
) -> BatteryReport | None:
    """The outlet's battery report, unless it is the last word of a laptop that has left.

    The agent keeps a laptop's last report after it leaves, aging. A report over an on outlet
    whose settled meter reads nothing is that, however recent: a laptop plugged in draws at
    least its own use, so it left (or moved to another outlet, its reporter still posting).
    A report posted before a look found the outlet empty, or before the laptop now there
    without a report arrived (seen by the meter or announced by its session), belongs to the
    laptop that was there before: its percent would be taken for the newcomer's.
    """
    report = outlet.battery
    if report is None:
        return None
    occupant, posted = mem.occupant, now - report.age_s
    if occupant.present is False and occupant.seen_at is not None and posted <= occupant.seen_at:
        return None
    came = occupant.arrived_at
    if occupant.present and not occupant.reported and came is not None and posted < came:
        return None
    if settled(outlet, settings) and outlet.power_w < settings.present_w:
        return None
    return report


def look_released(
    mem: OutletMemory, outlet: OutletInput, strip: StripInput, settings: Settings
) -> OutletMemory:
    """An outlet the agent switched off because it read nothing: nobody was there then.

    The agent switches a look off as soon as its meter has settled and reads nothing, and an
    outlet whose laptop was unplugged when its rating does not fit (``OutletInput.found_empty``),
    often before a cycle can see it; that was its last switch, ``seconds_since_switch`` ago on
    the agent's clock. One already known of (the outlet seen since) changes nothing. Its time
    is read anew each cycle, off by however late the agent's state is, so a release within
    half a minimum off time of the last one seen is that one: the agent cannot look at the
    outlet again sooner. An outlet the last cycle saw on was released since, however soon
    after: its laptop left after that cycle saw it.
    """
    since = outlet.seconds_since_switch
    if not outlet.found_empty or outlet.relay_on or since is None:
        return mem
    at = strip.now - since * strip.time_scale
    seen = mem.occupant.seen_at
    if mem.last.relay_on and mem.last.at is not None:
        at = max(at, mem.last.at)
    elif seen is not None and seen >= at - 0.5 * strip.min_off_s * strip.time_scale:
        return mem
    return found_empty(mem, at, fresh=True, settings=settings)


def session_opened(
    mem: OutletMemory, now: float, settings: Settings, *, opened: bool
) -> OutletMemory:
    """A user's session is open on this off outlet: their laptop is plugged in there.

    A session opening is a laptop arriving, seen without a look: its charge is unknown, so
    its pessimistic charge is the lowest a laptop is assumed to come with, draining, which
    switches it on soon to read its meter. While the session stays open, a laptop whose
    report stopped is still there (kept, its charge draining unreported); once a look found
    the outlet empty under the same session, the meter is believed, not the session.
    """
    occupant = mem.occupant
    if occupant.present:
        return mem._replace(occupant=occupant._replace(reported=False))
    if not opened and occupant.present is False:
        return mem
    fresh = forget_laptop(mem)
    return fresh._replace(
        occupant=occupant._replace(
            present=True, seen_at=now, arrived_at=now, reported=False, state=ChargeState.UNKNOWN
        ),
        charge=fresh.charge._replace(expected=None, low=settings.unknown_soc),
        looks=fresh.looks._replace(empty_looks=0, counts_from=None),
    )


def found_empty(mem: OutletMemory, now: float, *, fresh: bool, settings: Settings) -> OutletMemory:
    """The meter read nothing on an on outlet: no laptop there; when to look again.

    ``fresh``: this is the first reading since the relay switched on (a look, not a laptop
    that just left while the outlet was on).
    """
    looks = mem.looks
    slot = now
    if mem.occupant.present:
        empty = 0  # a laptop just left: the next may come soon
    elif fresh:
        empty = looks.empty_looks + 1
        # A look made before it was due stands in for the due one: the next counts
        # from when this one was due, so looks moved early do not add looks.
        if looks.counts_from is not None:
            slot = max(now, looks.counts_from + look_interval_s(looks.empty_looks, settings))
    else:
        empty = looks.empty_looks
        slot = max(now, looks.counts_from if looks.counts_from is not None else now)
    forgotten = forget_laptop(mem)
    return forgotten._replace(
        looks=LookSchedule(meter_read=True, empty_looks=empty, counts_from=slot),
        occupant=forgotten.occupant._replace(
            present=False,
            seen_at=now,
            arrived_at=None,
            reported=False,
            state=ChargeState.EMPTY,
        ),
        charge=forgotten.charge._replace(expected=None, low=None),
    )


def look_interval_s(empty_looks: int, settings: Settings) -> float:
    """How often an empty outlet is looked at: less often each time it is found empty again.

    An outlet a laptop just left is looked at after ``probe_interval_s``; one nobody has used
    for a while backs off (x ``probe_backoff`` per empty look) to ``max_probe_interval_s``.
    """
    interval = settings.probe_interval_s * settings.probe_backoff ** max(0, empty_looks - 1)
    return min(interval, max(settings.probe_interval_s, settings.max_probe_interval_s))
