"""Automatic pairing: a laptop that does not know its outlet finds it by watching its charger.

One pairing at a time per strip, driven by the controller's clock (``tick`` every sample):

- start: the candidate outlets are held as they are; once no relay among them has moved for
  ``ASK_AT_S`` the laptop is asked for its plugged flag (window 0, the baseline: it says on which
  side, on or off, its outlet is).
- window n: some candidates are switched (a binary search, see ``search``), switch-ons
  staggered for inrush; the laptop is asked once every relay has been still for
  ``OBSERVE_AFTER_S`` and the window is ``ASK_AT_S`` old. The laptop's plugged flag lags its
  charger by up to about a second, so asking earlier could read the previous window. The answer
  must arrive within ``WINDOW_S`` of the window's start, or the pairing fails.
- the last window switches the found outlet alone (the confirmation).
- end: every relay the pairing moved goes back as it was (an outlet back off gets its minimum
  on/off clock back too), then normal control resumes. A failed pairing therefore changes nothing.

Windows are the one exception to minimum on/off times; the guard, the budget (admission) and the
inrush stagger still apply, since the controller does the switching as for any other target.
An outlet moved by a pairing, or held by one nobody answered, sits out the next ``COOLDOWN_S``;
exception outlets never take part. While a window switches, normal control switches nothing else
on (the window needs the stagger and the budget); between switching phases it goes on as usual,
so a pairing delays the plan's other switch-ons by less than one window.

Candidates are balanced outlets with a laptop and no reporter, without a manual command or a
relay fault. "A laptop" is known from the meter (it drew more than ``IDLE_W`` when last on and
settled) or unknown (never seen): an outlet seen empty recently is left out, since flipping it
would only cost budget and stagger. "A reporter" is a paired record kept fresh by battery
reports (a reporter given its outlet, one paired before, or Home Assistant relaying a phone app).

The module is longer than most: a pairing's phases, its search and its end share the session and
the held outlets, and splitting them would spread one state machine over several files (the
search's arithmetic lives in ``search``, the credentials in ``credentials``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
import math
import secrets
from typing import Any, Literal

from pi_agent.config import StripConfig
from pi_agent.control.admission import Admission, fit_count, fits
from pi_agent.control.credentials import LaptopCredentials
from pi_agent.control.outlet import IDLE_W, OutletState
from pi_agent.control.pairing.search import (
    INFEASIBLE,
    Answer,
    best_split,
    consistent,
    verdict,
    windows_needed,
)

#: Longest window: from its first switch to the deadline for the laptop's answer.
WINDOW_S = 3.0
#: Relays must have been still this long before the laptop is asked (its flag lags ~1 s).
OBSERVE_AFTER_S = 1.2
#: Least time left to the laptop to read its flag and post it.
REPLY_S = 0.4
#: Switch-ons of a window must be done by then (staggered for inrush), so the answer still fits.
SWITCH_PHASE_S = WINDOW_S - OBSERVE_AFTER_S - REPLY_S
#: The laptop is asked no earlier than this after the window's start either: relays switched at
#: the start (all switch-offs, the first switch-on) then have longer to show, which makes a
#: flag lagging more than designed for much less likely to mislead, at the cost of slower
#: windows; the laptop still has ``WINDOW_S - ASK_AT_S`` to answer when nothing is staggered.
ASK_AT_S = 2.0
#: Flip windows per pairing, the confirmation included: ⌈log2 16⌉ + 1.
MAX_WINDOWS = 5
#: An outlet moved by a pairing takes part in no other for this long.
COOLDOWN_S = 60.0
#: Putting relays back after a pairing gives up after this long (admission may refuse one).
RESTORE_S = 5.0
#: Chance that one reading of the plugged flag is wrong: what the confidence is computed with.
FLAG_ERROR = 0.002
MIN_CONFIDENCE = 0.9
#: A reporter silent this long (four of its 30 s reports) no longer holds its outlet.
REPORTER_STALE_S = 120.0
#: An outlet seen empty is left out of pairings for this long (a laptop may arrive meanwhile).
EMPTY_FOR_S = 600.0
#: Battery reports in a row whose flag contradicts a still relay before the reporter is told to
#: pair again (its laptop moved).
MISMATCHES_TO_REPAIR = 2
HISTORY = 16

Status = Literal["running", "paired", "ambiguous", "failed", "cancelled"]
Phase = Literal["switching", "settling", "awaiting", "thinking", "restoring", "done"]
Method = Literal["pairing", "report"]


class PairingRefusedError(Exception):
    """A pairing cannot start now; ``retry_after_s`` says when it may, if that is known."""

    def __init__(self, code: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


class UnknownPairingError(KeyError):
    """No current or recent pairing has this id."""


class WrongWindowError(Exception):
    """An answer for a window the pairing is not waiting for (late, early or repeated)."""


@dataclass(frozen=True, slots=True)
class Room:
    """What the controller allows a pairing right now."""

    limit_w: float
    closed: bool  # the strip is off (closing hours): nothing may be switched on


@dataclass(frozen=True, slots=True)
class Paired:
    """Who reports for an outlet, and how that became known."""

    user: str | None
    method: Method
    since: float  # wall clock
    seen_at: float  # agent clock: the pairing or the last battery report
    confidence: float | None = None


@dataclass(slots=True)
class _Before:
    relay_on: bool
    last_switch_at: float
    last_switch_wall: float | None


@dataclass(slots=True)
class _Window:
    number: int  # 0: the baseline, nothing switched
    started_at: float
    targets: dict[int, bool]
    confirm: bool = False
    states: dict[int, bool] | None = None  # the relays when the laptop was asked


@dataclass(slots=True)
class Session:
    id: str
    user: str | None
    started_wall: float
    group: tuple[int, ...]
    before: dict[int, _Before]
    window: _Window
    answers: list[Answer] = field(default_factory=list)
    phase: Phase = "switching"
    status: Status = "running"
    reason: str | None = None
    message: str = "pairing: holding the candidate outlets still"
    outlet: int | None = None
    confidence: float | None = None
    flips: int = 0
    finished_wall: float | None = None
    restore_from: float = math.inf
    credential: str | None = None  # issued when paired; shown only to the pairing reporter


class PairingCoordinator:
    """Runs pairings on the controller's outlets; the controller switches what it holds.

    An outlet held by a pairing has ``held`` set to the state the pairing wants; the controller
    uses it as the outlet's target, without minimum on/off times, and switches nothing else on
    while a pairing switches relays (``switching``: its window needs the budget and the stagger).
    """

    def __init__(
        self,
        outlets: Sequence[OutletState],
        strip: StripConfig,
        *,
        room: Callable[[float], Room],
        admission: Admission,
        wall_clock: Callable[[], float],
        stale_after_s: float,
    ) -> None:
        self._outlets = {o.id: o for o in outlets}
        self._strip = strip
        self._room = room
        self._admission = admission
        self._wall = wall_clock
        self._stale_after_s = stale_after_s
        self._session: Session | None = None
        self._history: deque[Session] = deque(maxlen=HISTORY)
        self._paired: dict[int, Paired] = {}
        self.credentials = LaptopCredentials()
        self._cooldown: dict[int, float] = {}
        self._drawing: dict[int, tuple[bool, float]] = {}  # outlet → (drew power, seen at)
        self._pair_again: set[int] = set()
        self._mismatches: dict[int, int] = {}

    # ------------------------------------------------------------------ lookups

    @property
    def active(self) -> bool:
        """A pairing holds relays (running, or putting them back)."""
        return self._session is not None

    @property
    def switching(self) -> bool:
        """A pairing is switching relays now: its switch-ons need the stagger and the budget.

        Only then does normal control wait; a switching phase is shorter than a window, so a
        pairing never delays what the plan switches on by more than one window.
        """
        session = self._session
        return session is not None and session.phase in ("switching", "restoring")

    def latest(self) -> Session | None:
        return self._session or (self._history[-1] if self._history else None)

    def get(self, pairing_id: str) -> Session:
        for session in (self._session, *reversed(self._history)):
            # Bytes: compare_digest refuses a str that is not ASCII, and an id comes from a URL.
            if session is not None and secrets.compare_digest(
                session.id.encode(), pairing_id.encode()
            ):
                return session
        raise UnknownPairingError(pairing_id)

    def paired(self, outlet_id: int) -> Paired | None:
        return self._paired.get(outlet_id)

    def in_pairing(self, outlet_id: int) -> bool:
        return self._session is not None and outlet_id in self._session.group

    # ------------------------------------------------------------------ commands

    def start(self, *, plugged: bool, user: str | None, now: float) -> Session:
        """Begin a pairing for a laptop whose flag is ``plugged``, or say why not."""
        room = self._room(now)
        if room.closed:
            raise PairingRefusedError(
                "strip_closed", "the strip is closed: nothing may be switched on"
            )
        if self._session is not None:
            left = (MAX_WINDOWS + 1 - self._session.flips) * WINDOW_S + RESTORE_S
            raise PairingRefusedError(
                "pairing_busy", "another pairing is running on this strip", round(left, 1)
            )
        self._refuse_on_side(plugged, now, room)
        group = tuple(o.id for o in self._eligible(now))
        before = {
            oid: _Before(o.relay_on, o.last_switch_at, o.last_switch_wall)
            for oid, o in self._outlets.items()
            if oid in group
        }
        targets = {oid: b.relay_on for oid, b in before.items()}
        session = Session(
            id=secrets.token_hex(8),
            user=user,
            started_wall=self._wall(),
            group=group,
            before=before,
            window=_Window(0, now, targets),
        )
        for oid, on in targets.items():
            self._outlets[oid].held = on
        self._session = session
        self.tick(now)
        return session

    def observe(self, pairing_id: str, window: int, plugged: bool, now: float) -> Session:
        """The laptop's answer for ``window``."""
        session = self.get(pairing_id)
        if session.status != "running":
            raise WrongWindowError(f"pairing {pairing_id} is over ({session.status})")
        if not self._within_window(session, now):
            return session
        if session.phase != "awaiting" or window != session.window.number:
            expected = (
                f"window {session.window.number}"
                if session.phase == "awaiting"
                else "no answer now"
            )
            raise WrongWindowError(f"pairing {pairing_id} expects {expected}, not window {window}")
        assert session.window.states is not None
        session.answers.append(Answer(dict(session.window.states), plugged))
        session.phase = "thinking"
        session.message = f"pairing: window {window} answered"
        return session

    def cancel(self, pairing_id: str, now: float) -> Session:
        session = self.get(pairing_id)
        if session.status == "running":
            self._finish(session, now, "cancelled", "cancelled", "pairing cancelled")
        return session

    def unpair(self, outlet_id: int) -> None:
        """Forget who reports for this outlet; its reporter is asked to pair again."""
        self._forget(outlet_id)
        self._pair_again.add(outlet_id)

    def _forget(self, outlet_id: int) -> None:
        """The laptop left the outlet: its record and its credential go."""
        self._paired.pop(outlet_id, None)
        self.credentials.revoke(outlet_id)

    def issue_credential(self, outlet_id: int, user: str | None, now: float) -> str:
        """A manager gives a laptop its outlet by hand: a credential as a pairing would."""
        self._paired[outlet_id] = Paired(user, "report", since=self._wall(), seen_at=now)
        self._pair_again.discard(outlet_id)
        self._mismatches.pop(outlet_id, None)
        return self.credentials.issue(outlet_id)

    def persistent(self) -> dict[str, Any]:
        """Who reports for which outlet, and the digests of their credentials."""
        return {
            "paired": {
                str(oid): {
                    "user": p.user,
                    "method": p.method,
                    "since": p.since,
                    "confidence": p.confidence,
                }
                for oid, p in self._paired.items()
                if self.credentials.has(oid)
            },
            "credentials": self.credentials.persistent(),
        }

    def restore(self, saved: Any, now: float) -> None:
        """After a restart: paired laptops keep their credentials (and their users)."""
        if not isinstance(saved, dict):
            return
        self.credentials.restore(saved.get("credentials"), len(self._outlets))
        for key, record in dict(saved.get("paired") or {}).items():
            oid = int(key) if str(key).isascii() and str(key).isdigit() else 0
            if oid not in self._outlets or not isinstance(record, dict):
                continue
            if not self.credentials.has(oid):
                continue
            user = record.get("user")
            method = record.get("method")
            confidence = record.get("confidence")
            self._paired[oid] = Paired(
                user if isinstance(user, str) else None,
                method if method in ("pairing", "report") else "report",
                since=float(record.get("since") or self._wall()),
                seen_at=now,
                confidence=float(confidence) if isinstance(confidence, int | float) else None,
            )

    def battery_reported(
        self, outlet_id: int, plugged: bool, user: str | None, now: float, *, from_laptop: bool
    ) -> bool:
        """Note a battery report for the outlet; True asks its reporter to pair again.

        Only a laptop's own reporter is checked and asked (Home Assistant relaying a phone app
        may lag by minutes): a flag that contradicts a relay still for long enough means the
        laptop moved. A laptop's reporter (``from_laptop``: it presented the outlet's
        credential) names nobody: its user is the one it paired as; only Home Assistant may
        name the user of an outlet in a report.
        """
        if from_laptop:
            known_user = self._paired.get(outlet_id)
            user = known_user.user if known_user is not None else None
        if from_laptop and outlet_id in self._pair_again:
            self._pair_again.discard(outlet_id)
            return True
        outlet = self._outlets[outlet_id]
        still = outlet.held is None and now - outlet.last_switch_at >= ASK_AT_S
        if from_laptop and still and plugged != outlet.relay_on:
            self._mismatches[outlet_id] = self._mismatches.get(outlet_id, 0) + 1
            if self._mismatches[outlet_id] >= MISMATCHES_TO_REPAIR:
                del self._mismatches[outlet_id]
                self._forget(outlet_id)
                return True
        else:
            self._mismatches.pop(outlet_id, None)
        known = self._paired.get(outlet_id)
        if known is not None and (from_laptop or user in (None, known.user)):
            self._paired[outlet_id] = replace(known, seen_at=now)
        else:
            self._paired[outlet_id] = Paired(user, "report", since=self._wall(), seen_at=now)
        return False

    # ------------------------------------------------------------------ the clock

    def tick(self, now: float) -> None:
        """Called by the controller at every sample, before it reconciles relays."""
        self._watch_draw(now)
        for oid in [oid for oid, p in self._paired.items() if now - p.seen_at > REPORTER_STALE_S]:
            self._forget(oid)
        session = self._session
        if session is None:
            return
        if session.phase not in ("restoring", "done"):
            room = self._room(now)
            if room.closed:
                self._finish(session, now, "failed", "strip_closed", "the strip closed")
            elif any(self._outlets[oid].exception for oid in session.group):
                self._finish(session, now, "failed", "disturbed", "an outlet became an exception")
        if session.phase == "switching":
            self._end_switching(session, now)
        if session.phase == "settling":
            self._end_settling(session, now)
        if session.phase == "awaiting":
            self._within_window(session, now)
        if session.phase == "thinking":
            self._next_window(session, now)
        if session.phase == "restoring":
            back = all(
                self._outlets[oid].relay_on == b.relay_on for oid, b in session.before.items()
            )
            if back or now >= session.restore_from + RESTORE_S:
                self._release(session, now)

    def _end_switching(self, session: Session, now: float) -> None:
        window = session.window
        in_place = all(self._outlets[oid].relay_on == on for oid, on in window.targets.items())
        period = self._strip.sample_period_s
        if in_place or now >= window.started_at + SWITCH_PHASE_S + period / 2:
            for oid in session.group:  # what could not be switched stays as it is
                self._outlets[oid].held = self._outlets[oid].relay_on
            session.phase = "settling"

    def _end_settling(self, session: Session, now: float) -> None:
        window = session.window
        last_move = max(self._outlets[oid].last_switch_at for oid in session.group)
        if window.number == 0:  # nothing switched: only a recent move by normal control counts
            ask_at = last_move + ASK_AT_S
        else:
            ask_at = max(last_move + OBSERVE_AFTER_S, window.started_at + ASK_AT_S)
        if now >= ask_at - 1e-9:
            window.states = {oid: self._outlets[oid].relay_on for oid in session.group}
            session.phase = "awaiting"
            session.message = f"pairing: waiting for the plugged flag of window {window.number}"
        elif now > window.started_at + WINDOW_S + 1e-9:
            self._finish(session, now, "failed", "disturbed", "the relays did not settle in time")

    def _within_window(self, session: Session, now: float) -> bool:
        """End the pairing if the window's relays moved or its deadline passed."""
        window = session.window
        if session.phase == "awaiting" and window.states is not None:
            moved = [oid for oid, on in window.states.items() if self._outlets[oid].relay_on != on]
            if moved:
                self._finish(
                    session,
                    now,
                    "failed",
                    "disturbed",
                    f"outlet {moved[0]} was switched during the window (guard or fault)",
                )
                return False
        if now > window.started_at + WINDOW_S + 1e-9:
            self._finish(
                session,
                now,
                "failed",
                "timeout",
                f"no plugged flag for window {window.number} within {WINDOW_S:g} s",
            )
            return False
        return True

    # ------------------------------------------------------------------ the search

    def _next_window(self, session: Session, now: float) -> None:
        answers = session.answers
        if session.window.confirm:
            self._conclude(session, now)
            return
        if session.window.number == 0 and not self._baseline_ok(session, now):
            return
        left = consistent(answers, session.group)
        if not left:
            self._conclude(session, now)
            return
        on = answers[-1].plugged  # every outlet still possible matches the last answer
        room = self._room(now)
        fit = min(self._switch_on_slots(now), self._fit_count(session.group, left, now, room))
        needed = windows_needed(len(left), on, fit)
        split = 0 if len(left) == 1 else best_split(len(left), on, fit)
        if split is None or needed >= INFEASIBLE or session.flips + needed > MAX_WINDOWS:
            self._conclude(session, now)  # out of windows: says what remains
            return
        targets = self._targets(session, left, count_on=split, on=on, now=now, room=room)
        session.flips += 1
        session.window = _Window(session.flips, now, targets, confirm=len(left) == 1)
        session.phase = "switching"
        session.message = f"pairing: window {session.flips}, {len(left)} outlets possible"
        for oid, target in targets.items():
            self._outlets[oid].held = target

    def _baseline_ok(self, session: Session, now: float) -> bool:
        """After window 0: the same checks as at start, now with the fresh flag."""
        plugged = session.answers[0].plugged
        try:
            self._refuse_on_side(plugged, now, self._room(now), session.group)
        except PairingRefusedError as refusal:
            self._finish(session, now, "failed", refusal.code, refusal.message)
            return False
        return True

    def _refuse_on_side(
        self, plugged: bool, now: float, room: Room, group: Sequence[int] | None = None
    ) -> None:
        """Raise if a laptop whose flag is ``plugged`` cannot be paired now."""
        side = "on" if plugged else "off"
        eligible = [o for o in self._eligible(now, cooling_too=True) if o.relay_on == plugged]
        cooling = [o for o in eligible if self._cooldown.get(o.id, -math.inf) > now]
        if cooling:
            wait = max(self._cooldown[o.id] for o in cooling) - now
            raise PairingRefusedError(
                "pairing_rate_limited",
                f"an outlet your laptop may be on took part in a pairing less than "
                f"{COOLDOWN_S:g} s ago",
                round(wait, 1),
            )
        candidates = [o for o in eligible if group is None or o.id in group]
        if not candidates:
            raise PairingRefusedError(
                "no_candidates",
                f"no balanced outlet with a laptop and no reporter is {side}: the laptop is on "
                "an exception outlet, an outlet that has a reporter, or another strip",
            )
        if not plugged:
            ids = [o.id for o in candidates]
            pool = group if group is not None else [o.id for o in self._eligible(now)]
            fit = min(self._switch_on_slots(now), self._fit_count(pool, ids, now, room))
            if windows_needed(len(candidates), False, fit) > MAX_WINDOWS:
                raise PairingRefusedError(
                    "pairing_deferred",
                    f"the laptop is not charging and {len(candidates)} outlets are off; the "
                    f"budget lets {fit} of them on per window, so finding it would take more "
                    f"than {MAX_WINDOWS} windows: pair when the laptop is charging",
                    COOLDOWN_S,
                )

    def _eligible(self, now: float, *, cooling_too: bool = False) -> list[OutletState]:
        result = []
        for outlet in self._outlets.values():
            if outlet.exception or outlet.relay_fault or outlet.override is not None:
                continue
            if outlet.id in self._paired:
                continue
            drew = self._drawing.get(outlet.id)
            if drew is not None and not drew[0] and now - drew[1] < EMPTY_FOR_S:
                continue  # seen empty recently
            if not cooling_too and self._cooldown.get(outlet.id, -math.inf) > now:
                continue
            result.append(outlet)
        return result

    def _switch_on_slots(self, now: float) -> int:
        """Switch-ons the stagger lets into one window's switching phase."""
        return min(len(self._outlets), self._admission.slots(now, SWITCH_PHASE_S))

    def _reserve(self, outlet: OutletState, now: float) -> float:
        return outlet.reserve_w(now, self._stale_after_s, self._strip.settle_s)

    def _free_w(
        self, group: Collection[int], staying_on: Sequence[int], now: float, room: Room
    ) -> float:
        """Budget left for switch-ons once everything outside ``group`` is counted."""
        outside = sum(self._reserve(o, now) for oid, o in self._outlets.items() if oid not in group)
        held = sum(self._reserve(self._outlets[oid], now) for oid in staying_on)
        return room.limit_w - outside - held

    def _fit_count(self, pool: Sequence[int], left: Sequence[int], now: float, room: Room) -> int:
        """How many of ``left`` could be on at once with every other outlet of ``pool`` off."""
        group = {*pool, *left}
        free = self._free_w(group, [], now, room)
        costs = []
        for outlet in (self._outlets[oid] for oid in left):
            if not outlet.relay_on and outlet.shed_until > now:
                continue
            costs.append(self._reserve(outlet, now) if outlet.relay_on else outlet.max_power_w)
        return fit_count(free, costs)

    def _targets(
        self,
        session: Session,
        left: Sequence[int],
        *,
        count_on: int,
        on: bool,
        now: float,
        room: Room,
    ) -> dict[int, bool]:
        """Relay states for the next window: ``count_on`` of ``left`` on, the rest off.

        Outlets already ruled out keep their state unless their power is needed for the
        switch-ons. With one outlet left this is the confirmation: it alone flips.
        """
        targets = {oid: self._outlets[oid].relay_on for oid in session.group}
        ordered = sorted(left)
        if on:  # all of ``left`` are on: switch some off
            for oid in ordered[count_on:]:
                targets[oid] = False
            return targets
        count_on = max(count_on, 1) if len(left) == 1 else count_on
        chosen = sorted(
            (o for o in (self._outlets[oid] for oid in ordered) if o.shed_until <= now),
            key=lambda o: (o.max_power_w, o.id),
        )[:count_on]
        ruled_out = sorted(
            (self._outlets[oid] for oid in session.group if oid not in left and targets[oid]),
            key=lambda o: (-self._reserve(o, now), o.id),
        )
        staying = [oid for oid, t in targets.items() if t]
        free = self._free_w(session.group, staying, now, room)
        needed = sum(o.max_power_w for o in chosen)
        for outlet in ruled_out:
            if fits(0.0, needed, free):
                break
            targets[outlet.id] = False
            free += self._reserve(outlet, now)
        for outlet in chosen:
            targets[outlet.id] = True
        return targets

    # ------------------------------------------------------------------ the end

    def _conclude(self, session: Session, now: float) -> None:
        result = verdict(session.answers, session.group, FLAG_ERROR, MIN_CONFIDENCE)
        session.outlet = result.outlet
        session.confidence = result.confidence
        self._finish(session, now, result.outcome, result.reason, result.message)
        if result.outcome == "paired" and result.outlet is not None:
            self._paired[result.outlet] = Paired(
                session.user,
                "pairing",
                since=self._wall(),
                seen_at=now,
                confidence=result.confidence,
            )
            self._pair_again.discard(result.outlet)
            self._mismatches.pop(result.outlet, None)
            session.credential = self.credentials.issue(result.outlet)

    def _finish(
        self, session: Session, now: float, status: Status, reason: str | None, message: str
    ) -> None:
        """Record the outcome and start putting every relay back as it was."""
        session.status = status
        session.reason = reason
        session.message = message
        session.finished_wall = self._wall()
        session.phase = "restoring"
        session.restore_from = now
        for oid, before in session.before.items():
            self._outlets[oid].held = before.relay_on

    def _release(self, session: Session, now: float) -> None:
        """Hand the outlets back to normal control, as if the pairing had not switched them.

        An outlet back off gets its old minimum-time clock back, so normal control may switch
        it on at once; one back on keeps the new one, since its charger is settling again.
        """
        # A pairing nobody answered costs what an answered one does: otherwise a reporter
        # that never answers could start one after another and hold the outlets all day.
        unanswered = session.reason == "timeout"
        for oid, before in session.before.items():
            outlet = self._outlets[oid]
            outlet.held = None
            if unanswered or outlet.last_switch_at > before.last_switch_at:
                self._cooldown[oid] = now + COOLDOWN_S
                if not outlet.relay_on:
                    outlet.last_switch_at = before.last_switch_at
                    outlet.last_switch_wall = before.last_switch_wall
        session.phase = "done"
        self._session = None
        self._history.append(session)

    # ------------------------------------------------------------------ what is plugged in

    def _watch_draw(self, now: float) -> None:
        settle = self._strip.settle_s
        for outlet in self._outlets.values():
            if outlet.exception or not outlet.relay_on or now - outlet.last_switch_at < settle:
                continue
            power = outlet.fresh_power(now, self._stale_after_s)
            if power is not None:
                self._drawing[outlet.id] = (power > IDLE_W, now)

    # ------------------------------------------------------------------ views

    def view(self, session: Session, *, for_reporter: bool = False) -> dict[str, Any]:
        """What the laptop and Home Assistant see of a pairing (no other outlet's details).

        The credential a successful pairing issued goes only to the reporter holding the
        pairing's id (``for_reporter``), never into the strip's state.
        """
        running = session.status == "running"
        left = (
            len(consistent(session.answers, session.group))
            if session.answers
            else len(session.group)
        )
        return {
            "id": session.id,
            "user": session.user,
            "status": session.status,
            "reason": session.reason,
            "message": session.message,
            "window": session.window.number if running else None,
            "observe": running and session.phase == "awaiting",
            "windows": session.flips,
            "max_windows": MAX_WINDOWS,
            "candidates": len(session.group),
            "remaining": left,
            "outlet": session.outlet,
            "confidence": session.confidence,
            "started_at": session.started_wall,
            "finished_at": session.finished_wall,
            "releasing": session.phase == "restoring",
            "credential": session.credential if for_reporter else None,
        }

    def paired_view(self, outlet_id: int) -> dict[str, Any] | None:
        paired = self._paired.get(outlet_id)
        if paired is None:
            return None
        return {
            "user": paired.user,
            "method": paired.method,
            "since": paired.since,
            "confidence": paired.confidence,
        }
