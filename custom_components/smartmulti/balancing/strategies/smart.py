"""``smart`` (default): keep every laptop alive, then fill the budget, then meet departures.

On a congested strip every watt-hour that goes into a laptop below its target is worth the
same to the energy delivered, so what decides it is how fully the budget is used; who gets the
power decides who runs flat and who leaves short, and every change of who gets it costs two
relay switches. The strategy therefore scores each outlet in watts and lets the selector pick
the set of outlets worth the most whose counted draws fit the budget (a knapsack, so tapering
and full laptops give their unused allotment back):

1. A laptop within ``critical_s`` of running flat (by its pessimistic charge) is switched on
   first, whatever it costs (``URGENT``, outside the knapsack), nearest to flat first; one
   that is on keeps its room against another less than ``keep_alive_band_s`` nearer, or two
   laptops near flat would swap every cycle (a band of its own, not the turn dwell, which
   relay wear lengthens: ``wear.py``); one never measured (counted at its outlet's rating,
   which may never fit beside the others) goes ahead of those on for the minute its reading
   takes. Then long overdue probes (5).
2. A laptop below its target is worth what it will draw (its measured or last-seen draw),
   times 1 + ``empty_weight`` x how empty it is (the battery percent missing: a watt-hour
   into an emptier laptop is likelier to count at its departure, whatever charge its user
   wanted, and it keeps it further from running flat), plus up to ``priority_w`` for little
   laxity (the slack before its departure, known or
   assumed), plus ``dwell_bonus_w`` while its turn is younger than ``dwell_s`` (so only (1)
   interrupts a turn).
3. Every outlet on is worth ``switch_cost_w`` more, every outlet off ``switch_cost_w`` less: a
   change must gain more than two switches are worth.
4. A laptop that reached its target and fell back less than ``rearm_band`` is worth a share
   (``topup_share``) of its draw: it tops up only with room to spare, and not within a dwell
   of being switched off. One at its target is worth nothing but its switch cost: kept on
   while nothing better needs the room.
5. A never-seen outlet's probe is worth ``first_probe_share`` x its maximum; after that a
   probe is worth ``probe_worth_w`` per probe interval it is overdue, so it takes the room of
   a charging laptop only when well overdue, and at ``probe_force`` intervals overdue it is
   made whatever it costs, right after (1): a laptop without a report plugged into an off
   outlet is invisible, and it may be running flat. The interval backs off
   (``probe_backoff``) while an outlet keeps being found empty, up to
   ``max_probe_interval_s``; both grow on a worn strip and shrink on one switching under
   its soft rate, a forced look's time does not (``wear.py``). Up to ``early_look_share``
   of an interval before it is due, a look is worth a token: it takes only room nothing
   else wants, and it stands in for the due one (the next is due an interval after this
   one was), so it moves looks into spare room without adding any. A look due that does not
   fit beside the laptops charging is made when laptops are switched on: first, in their
   room, while they wait behind it the moment its meter takes (``looks.turn_look``), not
   left to be forced.
6. A laptop without reports whose outlet has been off for ``unseen_look_s`` since anything
   saw it is looked at again like a forced probe, counted at its outlet's rating
   (``view.unseen``): it may have left and another taken its place, perhaps one near flat
   that nothing else would notice. It is switched on as a turn, not named a look the agent
   may release on an empty reading: a laptop is expected there, and one found charges on.
   On a worn strip these looks come rarer by the whole wear factor (``wear.py``).
7. A laptop known to be there but never measured counts at its outlet's rating until its
   meter is read, and on a strip rated far above what laptops draw that room may not come
   while others charge. Its bid also carries a guess (``guess_w``, at most the rating) and
   its worth at that draw; when the set worth most with it at its guess takes it, the
   selector reads it: on at its rating with what fits beside it, and what fits in the room
   its guess leaves is planned behind it, for the agent to admit once it is read
   (``readings.make_room``, ``readings.after_readings``). The others give up a cycle,
   young turns too; not a look, nor a laptop on that would count at its rating again once
   off, nor while a laptop must be kept alive. A laptop read before whose reading no longer
   holds is read the same way, guessed at the draw it was read at.
8. An empty outlet that is on is worth its switch cost, counted at its rating; once the
   selector has chosen, the empty outlets share the room it left, that of two laptops
   plugged in before the next cycle, so on a strip with room to spare they are all open
   (``opens.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..candidates import Bid, Candidate, Want, at_target, turn_age_s
from ..model import Reason, Settings, StripInput
from ..need import flat_s, laxity_s
from ..occupancy import look_interval_s, settled

__all__ = ["expected_w", "rank"]


def expected_w(cand: Candidate, settings: Settings) -> float:
    """What the outlet will draw if on: measured, else last seen, else its counted draw.

    A draw last seen near full is the charger's trickle: a laptop that has drained since
    will draw what the charger model gives at its charge now, or a full laptop left off
    would be worth its trickle all day and never come back on while its battery runs down.
    """
    if settled(cand.outlet, settings) and cand.outlet.power_w >= settings.present_w:
        return cand.outlet.power_w
    lap = cand.laptop
    if lap.on_w is not None:
        seen = lap.on_w
        # Drained by a band (or, without a report to compare with, below the knee): a top-up
        # of a percent or two is still worth its trickle, or a full laptop would churn.
        then = lap.cv_soc if lap.on_soc is None else lap.on_soc - settings.battery_band
        if lap.soc is not None and lap.soc < then:
            seen = max(seen, lap.draw_at_w(lap.soc))
        return min(seen, cand.draw_w)
    return cand.draw_w


def _guess_w(cand: Candidate, settings: Settings) -> float | None:
    """What an off laptop counted at its outlet's rating is guessed to draw (7), or None.

    Never measured this session: ``guess_w``. Read before, but its reading no longer holds
    (its charge may have fallen below where it was read, ``view.reserve_w``): the draw read
    then, what it most likely draws again. Either way the guess only weighs whether to make
    room for the reading and what waits behind it; the agent counts the outlet at its rating
    until its meter reads it.
    """
    if cand.on or not cand.can_on or settings.guess_w <= 0:
        return None
    if cand.draw_w < cand.outlet.max_power_w:
        return None
    read = cand.read_before_w
    return read if read is not None else min(settings.guess_w, cand.draw_w)


def _urgency(lax: float, settings: Settings) -> float:
    """0 for a laptop with ``laxity_scale_s`` of slack or more, 1 for one with none left."""
    return min(1.0, max(0.0, 1.0 - lax / settings.laxity_scale_s))


def rank(cands: Sequence[Candidate], strip: StripInput, settings: Settings) -> list[Bid]:
    """Keep-alive first (by time to flat), then every other outlet by its worth this cycle."""
    urgent: list[tuple[float, Candidate]] = []
    scored: list[Bid] = []
    for c in cands:
        since_s = turn_age_s(c, strip)
        switch = settings.switch_cost_w if c.on else -settings.switch_cost_w
        lap = c.laptop
        if c.outlet.fault:
            scored.append(Bid(c.outlet_id, Want.NONE, Reason.FAULT, Reason.FAULT))
            continue
        if lap.present and not at_target(c, settings):
            flat = flat_s(c, settings)
            if flat < settings.critical_s:
                # The laptop on keeps the room against one less than a band closer to flat,
                # or two laptops near flat would swap every cycle.
                key = flat - settings.keep_alive_band_s if c.on else flat
                if not c.on and lap.on_w is None and c.draw_w >= c.outlet.max_power_w:
                    # Never measured this session: counted at the outlet's rating until its
                    # meter is read, so with laptops already on it may never fit. It goes
                    # first for the one minute its reading takes; then both fit at their
                    # real draws.
                    key -= 2.0 * settings.keep_alive_band_s
                urgent.append((key, c))
                continue
            if lap.unseen:
                scored.append(_unseen_look(c, strip, settings))
                continue
            scored.append(_charge(c, strip, settings))
        elif lap.present and lap.unseen:
            scored.append(_unseen_look(c, strip, settings))
        elif lap.present:
            soc = lap.soc if lap.soc is not None else 1.0
            below = soc < min(1.0, c.outlet.target_percent / 100.0, 0.995)
            share = settings.topup_share if below else 0.0
            value = share * expected_w(c, settings) + switch
            if not c.on and since_s < settings.dwell_s:
                value = 0.0  # just switched off to make room: not back for a top-up so soon
            scored.append(Bid(c.outlet_id, Want.SPARE, Reason.TOPPING_UP, Reason.FULL, value))
        else:
            scored.append(_idle(c, strip, settings, switch))
    urgent.sort(key=lambda item: (item[0], item[1].outlet_id))
    bids = [
        Bid(
            c.outlet_id,
            Want.URGENT,
            Reason.KEEP_ALIVE,
            Reason.WAITING_BUDGET,
            guess_w=_guess_w(c, settings),
        )
        for _, c in urgent
    ]
    # Forced probes come right after the laptops about to run flat, most overdue first.
    scored.sort(key=lambda b: (-b.want, -b.value, b.outlet_id))
    return bids + scored


def _charge(c: Candidate, strip: StripInput, settings: Settings) -> Bid:
    """A laptop below its target (2-3, and 7's guess): worth its draw, more if emptier."""
    lap = c.laptop
    since_s = turn_age_s(c, strip)
    switch = settings.switch_cost_w if c.on else -settings.switch_cost_w
    lax = laxity_s(c, strip, settings)
    if c.on:
        lax -= settings.laxity_band_s
    elif since_s < settings.dwell_s:
        lax += settings.laxity_band_s
    soc = lap.soc if lap.soc is not None else settings.unknown_soc
    if c.on:
        soc -= settings.battery_band
    emptier = 1.0 + settings.empty_weight * min(1.0, max(0.0, 1.0 - soc))
    expected = expected_w(c, settings)
    value = expected * emptier
    value += settings.priority_w * _urgency(lax, settings) + switch
    held = c.on and since_s < settings.dwell_s
    if held:
        value += settings.dwell_bonus_w
    guess_w = _guess_w(c, settings)
    return Bid(
        c.outlet_id,
        Want.HOLD if held else Want.CHARGE,
        _on_reason(c, strip, settings),
        Reason.WAITING_BUDGET,
        value,
        guess_w,
        value if guess_w is None else value + (guess_w - expected) * emptier,
    )


def _unseen_look(cand: Candidate, strip: StripInput, settings: Settings) -> Bid:
    """A look at an off laptop without reports unseen too long (6): made like a forced probe,
    the longest unseen first (``view.unseen`` holds only with a time it was last seen)."""
    seen = cand.laptop.observed_at
    assert seen is not None
    overdue = (strip.now - seen) / settings.unseen_look_s
    return Bid(cand.outlet_id, Want.URGENT, Reason.PROBING, Reason.WAITING_BUDGET, overdue)


def _idle(cand: Candidate, strip: StripInput, settings: Settings, switch: float) -> Bid:
    """An outlet with no laptop known: open (on and empty), or off and probed when due."""
    oid = cand.outlet_id
    unknown = cand.laptop.present is None
    if cand.on:
        reason = Reason.PROBING if unknown else Reason.OPEN
        return Bid(oid, Want.SPARE, reason, reason, switch)
    off_reason = Reason.UNKNOWN if unknown else Reason.EMPTY
    seen = cand.laptop.observed_at
    if seen is None:
        # Whoever is there may be as empty as a laptop never seen can be: weighed alike.
        emptier = 1.0 + settings.empty_weight * (1.0 - settings.unknown_soc)
        value = settings.first_probe_share * cand.draw_w * emptier + switch
        due = True
    else:
        interval = look_interval_s(cand.laptop.empty_looks, settings)
        unseen = (strip.now - seen) / interval
        if unseen >= settings.probe_force:
            # Long unseen: a laptop without a report may be running flat there.
            return Bid(oid, Want.URGENT, Reason.PROBING, off_reason, unseen)
        slot = cand.laptop.look_counts_from
        overdue = (strip.now - (seen if slot is None else max(seen, slot))) / interval
        due = overdue >= 1.0
        if due:
            value = settings.probe_worth_w * overdue + switch
        elif overdue >= 1.0 - settings.early_look_share:
            # Not due yet: worth less than keeping an outlet open, so only spare room.
            value = overdue
        else:
            value = 0.0
    want = Want.SPARE if value > 0 else Want.NONE
    return Bid(oid, want, Reason.PROBING, off_reason, value, look_due=due and value > 0)


def _on_reason(cand: Candidate, strip: StripInput, settings: Settings) -> Reason:
    departure = cand.outlet.departure_at
    if departure is not None and departure - strip.now <= settings.departure_soon_s:
        return Reason.DEPARTURE_SOON
    return Reason.CHARGING
