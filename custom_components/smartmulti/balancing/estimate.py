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

The memory also keeps what the plan's reserve rests on (``view.reserve_w``): the laptop's
constant-power draw once evidenced (``profile.py``), and its draws with the charges they were
read at (``taper.py``). The records are in ``memory.py``; who is on the outlet (which report is
theirs, arrivals and departures) is decided in ``occupancy.py``; the picture the strategies
rank on is built in ``view.py``.
"""

from __future__ import annotations

from . import profile, taper
from .memory import LearnedBattery, LookSchedule, OutletMemory, forget_laptop
from .model import SECONDS_PER_HOUR, BatteryReport, ChargeState, OutletInput, Settings
from .occupancy import found_empty, occupant_report, session_opened, settled
from .profile import CHARGING_SHARE

_FULL_SHARE = 0.03  # a taper below this share of the charge power is full
_NEW_PEAK_SHARE = 1.15  # a draw this far above the laptop's peak may be another laptop's
_FELL_SHARE = 0.85  # a turn's first draw this far below the last constant-power one: another
_FLAT_S = 300.0  # flat and low for this long: full (idle draw only)
_LEARN_MIN_CHANGE = 0.05  # reports must move this much before capacity or use are learned


def shed(memory: OutletMemory, outlet: OutletInput, now: float, time_scale: float) -> OutletMemory:
    """Forget the laptop's draw when the agent's guard shed its outlet since the last cycle.

    The last plan had it on, and it is off with a switch since the last cycle (its
    ``seconds_since_switch`` is on the agent's clock, ``now`` on the laptops'): it was switched
    on and cut again, so it drew more than it was counted at, and whatever its reserve rested
    on is wrong.
    """
    since = outlet.seconds_since_switch
    last = memory.last
    if not last.planned_on or outlet.relay_on or since is None or last.at is None:
        return memory
    if since * time_scale < now - last.at:
        return forget_laptop(memory)
    return memory


def observe(
    memory: OutletMemory, outlet: OutletInput, now: float, settings: Settings
) -> OutletMemory:
    """Fold this cycle's facts about one outlet into its memory."""
    mem = _observe(memory, outlet, now, settings)
    occupant = mem.occupant
    if not occupant.present:
        if occupant.reached_target:
            return mem._replace(occupant=occupant._replace(reached_target=False))
        return mem
    target = min(1.0, outlet.target_percent / 100.0)
    soc = mem.charge.expected
    if soc is not None and soc >= min(target, 0.995) and not occupant.reached_target:
        return mem._replace(occupant=occupant._replace(reached_target=True))
    return mem


def _observe(
    memory: OutletMemory, outlet: OutletInput, now: float, settings: Settings
) -> OutletMemory:
    last, battery = memory.last, memory.battery
    dt = 0.0 if last.at is None else max(0.0, now - last.at)
    cap = battery.capacity_wh or settings.default_capacity_wh
    use = battery.use_w if battery.use_w is not None else settings.default_use_w
    was_on = last.relay_on
    outlet_wh = last.power_w * dt / SECONDS_PER_HOUR if was_on else 0.0
    worst_use_wh = settings.max_use_w * dt / SECONDS_PER_HOUR
    above = memory.charger.above_peak_wh - worst_use_wh
    if was_on:
        above += outlet_wh * settings.min_efficiency
    if outlet.relay_on != was_on:
        battery = battery._replace(span_start=None, span_start_charge=None, span_wh=0.0)
    else:
        battery = battery._replace(span_wh=battery.span_wh + outlet_wh)
    charger = memory.charger._replace(above_peak_wh=above)
    trusted = settled(outlet, settings)
    if not trusted:
        charger = charger._replace(plateau_since=None, plateau_charge=None)
    session = outlet.departure_at is not None
    mem = memory._replace(
        last=last._replace(
            at=now,
            relay_on=outlet.relay_on,
            since=outlet.seconds_since_switch,
            power_w=outlet.power_w,
            session=session,
        ),
        battery=battery,
        charger=charger,
    )

    mem, report = occupant_report(
        mem, outlet, now, settings, opened=session and not last.session, dt=dt, was_on=was_on
    )
    if report is not None and report.age_s <= settings.report_max_age_s:
        return _observe_report(mem, outlet, now, report, settings)

    looks = mem.looks
    if not outlet.relay_on:
        looks = looks._replace(meter_read=False)
    if trusted:
        fresh = not looks.meter_read
        looks = looks._replace(meter_read=True)
        if outlet.power_w < settings.present_w:
            return found_empty(mem, now, fresh=fresh, settings=settings)
        mem = mem._replace(looks=LookSchedule(meter_read=True))
        # The previous cycle's draw, if the outlet was on then: ``mem.last`` already holds
        # this cycle's.
        previous = last.power_w if was_on else None
        return _observe_draw(
            mem, outlet, now, previous_w=previous, dt=dt, cap=cap, use=use, settings=settings
        )
    if looks is not mem.looks:
        mem = mem._replace(looks=looks)

    occupant = mem.occupant
    if session and not outlet.relay_on and (occupant.reported or not occupant.present):
        mem = session_opened(mem, now, settings, opened=not last.session)
        occupant = mem.occupant
    if occupant.reported and not outlet.relay_on:
        # The report stopped while off: the laptop may have left.
        forgotten = forget_laptop(mem)
        return forgotten._replace(
            occupant=occupant._replace(present=None, reported=False, state=ChargeState.UNKNOWN),
            charge=forgotten.charge._replace(expected=None, low=None),
        )
    charge = mem.charge
    known = charge.expected is not None or charge.low is not None
    if occupant.present and known and not outlet.relay_on:
        drain = use * dt / SECONDS_PER_HOUR / cap
        # Without a report the use is a guess: the pessimistic charge drains at the larger one.
        worst = drain
        if not occupant.reported:
            worst = max(use, settings.unknown_use_w) * dt / SECONDS_PER_HOUR
            worst /= min(cap, settings.unknown_capacity_wh)
        low = None if charge.low is None else charge.low - worst
        expected = None if charge.expected is None else charge.expected - drain
        return mem._replace(
            charge=charge._replace(expected=expected, low=low, gained=charge.gained - drain),
            occupant=occupant._replace(state=ChargeState.DISCHARGING),
        )
    return mem


def _observe_report(
    mem: OutletMemory, outlet: OutletInput, now: float, report: BatteryReport, settings: Settings
) -> OutletMemory:
    soc = report.percent / 100.0
    occupant = mem.occupant
    new = not occupant.present or not occupant.reported
    start = occupant.arrived_at if occupant.present and occupant.arrived_at is not None else now
    if new:
        # A report appearing may be a new laptop even where one was seen drawing before:
        # nothing learned about that one's draw is kept.
        mem = forget_laptop(mem)
    occupant = occupant._replace(present=True, seen_at=now, arrived_at=start, reported=True)
    mem = mem._replace(
        occupant=occupant,
        charge=mem.charge._replace(expected=soc, low=soc, pinned=True),
        # When it leaves, its outlet is looked at as one a laptop just left, not at the
        # backed-off interval of the empty looks before it came.
        looks=mem.looks._replace(empty_looks=0, counts_from=None),
        battery=_learn(mem.battery, outlet, now, soc, settings),
    )
    if not outlet.relay_on:
        return mem._replace(
            occupant=occupant._replace(state=ChargeState.DISCHARGING),
            charge=mem.charge._replace(flat_since=None, flat_w=None, flat_at=None),
        )
    if not settled(outlet, settings):
        return mem._replace(occupant=occupant._replace(state=ChargeState.CHARGING))
    power = outlet.power_w
    charger = profile.read_at_peak(mem.charger, power)
    peak = charger.peak_w
    cv = settings.default_cv_soc
    if power >= settings.present_w:
        charger = taper.reported_draw(charger, report, power)
    if soc >= 0.995:
        state = ChargeState.FULL
        if power < 0.5 * peak:
            mem = mem._replace(
                battery=mem.battery._replace(use_w=power * settings.default_efficiency)
            )
    elif soc > cv and power < CHARGING_SHARE * peak:
        state = ChargeState.TAPERING
    else:
        state = ChargeState.CHARGING
    return mem._replace(charger=charger, occupant=occupant._replace(state=state))


def _learn(
    battery: LearnedBattery, outlet: OutletInput, now: float, soc: float, settings: Settings
) -> LearnedBattery:
    """Learn capacity (while charging) and use (while off) from report deltas."""
    if battery.span_start is None or battery.span_start_charge is None:
        return battery._replace(
            span_start=now, span_start_charge=soc, span_wh=0.0, span_on=outlet.relay_on
        )
    change = soc - battery.span_start_charge
    hours = (now - battery.span_start) / SECONDS_PER_HOUR
    eff = settings.default_efficiency
    use = battery.use_w if battery.use_w is not None else settings.default_use_w
    cap = battery.capacity_wh or settings.default_capacity_wh
    if (
        battery.span_on
        and change >= _LEARN_MIN_CHANGE
        and battery.span_start_charge < settings.default_cv_soc
    ):
        battery_wh = battery.span_wh * eff - use * hours
        if battery_wh > 0:
            learned = min(200.0, max(10.0, battery_wh / change))
            return battery._replace(
                capacity_wh=learned, span_start=now, span_start_charge=soc, span_wh=0.0
            )
    if not battery.span_on and -change >= _LEARN_MIN_CHANGE and hours > 0:
        learned = min(150.0, max(1.0, -change * cap / hours))
        return battery._replace(use_w=learned, span_start=now, span_start_charge=soc, span_wh=0.0)
    return battery


def _after_time_off(mem: OutletMemory, power: float, previous_w: float | None) -> tuple[bool, bool]:
    """(another laptop, charge no longer vouched for) from a draw read after a time off.

    Drawing well above any draw this laptop was read at: a laptop that has not drained since
    that peak cannot, so another took its place; one that has may be either, so its charge is
    no longer vouched for from below. Drawing well below the constant-power draw it was last
    read at: off since, it is still below the knee, where its charger draws the same whatever
    the laptop uses; another laptop (not one tapering near full) took its place.
    """
    if not mem.occupant.present:
        return True, False
    charger = mem.charger
    if previous_w is not None:
        return False, False
    constant_last = charger.peak_w > 0 and charger.last_on_w >= CHARGING_SHARE * charger.peak_w
    if constant_last and power < _FELL_SHARE * charger.last_on_w:
        return True, False
    rose = charger.peak_w > 0 and power > _NEW_PEAK_SHARE * charger.peak_w
    if rose and charger.above_peak_wh >= 0:
        return True, False
    return False, rose


def _observe_draw(
    mem: OutletMemory,
    outlet: OutletInput,
    now: float,
    *,
    previous_w: float | None,
    dt: float,
    cap: float,
    use: float,
    settings: Settings,
) -> OutletMemory:
    """A settled draw without a report: follow the session's charge through its profile.

    ``previous_w``: the draw the previous cycle read (None if the outlet was off then). A
    low draw that stays flat (``profile.flat``) for ``_FLAT_S`` is an idle one: the laptop is
    full. Unless it is above ``idle_w``, the most any laptop's own use draws from the wall:
    then it is a smaller charger's constant power, not an idle draw, and the peak it is low
    against was another laptop's (one that left while the outlet was off, its place taken
    before the outlet was on again): the laptop is read afresh, as one just arrived.
    """
    power = outlet.power_w
    eff = settings.default_efficiency
    new_session, rose = _after_time_off(mem, power, previous_w)
    if new_session:
        mem = forget_laptop(mem)
        mem = mem._replace(
            charge=mem.charge._replace(expected=None, low=None),
            occupant=mem.occupant._replace(arrived_at=now),
        )
    charger = profile.read_at_peak(mem.charger, power)
    peak = charger.peak_w
    start = mem.occupant.arrived_at if mem.occupant.arrived_at is not None else now
    cv = settings.default_cv_soc
    low_draw = previous_w is not None and power < 0.5 * peak and not new_session
    idle_w = settings.max_use_w / settings.min_efficiency
    charger = profile.plateau(charger, power, now, idle_w)
    charger = charger._replace(last_on_w=power, last_on_charge=None)
    occupant = mem.occupant._replace(present=True, seen_at=now, arrived_at=start, reported=False)
    prior = mem.charge  # the charge as it stood before this cycle's draw
    charge = profile.flat(prior, power, now, low=low_draw)
    if charge.flat_since is not None and now - charge.flat_since >= _FLAT_S:
        if power > idle_w:
            # Read as a laptop just arrived: ``_after_time_off`` takes an outlet whose occupant
            # is not present for a new session, and ``forget_laptop`` drops the old peak.
            another = mem._replace(occupant=mem.occupant._replace(present=False))
            return _observe_draw(
                another,
                outlet,
                now,
                previous_w=previous_w,
                dt=dt,
                cap=cap,
                use=use,
                settings=settings,
            )
        return mem._replace(
            occupant=occupant._replace(state=ChargeState.FULL),
            charge=charge._replace(expected=1.0, low=1.0, pinned=True),
            charger=charger,
            battery=mem.battery._replace(use_w=power * eff),
        )
    seen = mem._replace(charger=charger)
    delivered = max(1.0, peak * eff - use)
    share = (power * eff - use) / delivered
    if power >= CHARGING_SHARE * peak:
        # Constant power: below the knee. What it has taken so far bounds where it started.
        delta = 0.0 if new_session else (power * eff - use) * dt / SECONDS_PER_HOUR / cap
        gain = charge.gained + delta
        constant_gain = max(charge.gained_at_constant_power, gain)
        if prior.pinned and prior.expected is not None:
            soc = min(cv, prior.expected + delta)
            low = min(soc, (prior.low if prior.low is not None else prior.expected) + delta)
            if rose:
                low = min(low, settings.unknown_soc)
        else:
            floor = settings.unknown_soc
            ceiling = max(floor, min(settings.prior_soc_high, cv - constant_gain))
            soc = min(cv, 0.5 * (floor + ceiling) + gain)
            # The low end keeps its own history: it gains as a large battery would.
            slow = delta * cap / max(cap, settings.prior_capacity_high_wh)
            low = floor if new_session or prior.low is None else prior.low + slow
            low = min(soc, low)
        return seen._replace(
            occupant=occupant._replace(state=ChargeState.CHARGING),
            charge=charge._replace(
                expected=soc, low=low, gained=gain, gained_at_constant_power=constant_gain
            ),
        )
    if share <= _FULL_SHARE:
        return seen._replace(
            occupant=occupant._replace(state=ChargeState.FULL),
            charge=charge._replace(expected=1.0, low=1.0, pinned=True),
        )
    soc = min(1.0, max(cv, 1.0 - share * (1.0 - cv)))
    return seen._replace(
        occupant=occupant._replace(state=ChargeState.TAPERING),
        charge=charge._replace(expected=soc, low=soc, pinned=True),
    )
