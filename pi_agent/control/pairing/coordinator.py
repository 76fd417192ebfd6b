"""Pairing runs on the strip's outlets, one at a time, driven by the controller's clock.

Every sample the controller calls ``tick``; a run goes through its phases:

- start: the candidate outlets are held as they are; once no relay among them has moved for
  ``ASK_AT_S`` the laptop is asked for its plugged flag (window 0, the baseline: it says on which
  side, on or off, its outlet is).
- window n: some candidates are switched (a binary search, see ``search``), switch-ons
  staggered for inrush; the laptop is asked once every relay has been still for
  ``OBSERVE_AFTER_S`` and the window is ``ASK_AT_S`` old. The laptop's plugged flag lags its
  charger by up to about a second, so asking earlier could read the previous window. The answer
  must arrive within ``WINDOW_S`` of the window's start, or the run fails.
- the last window switches the found outlet alone (the confirmation).
- end: every relay the run moved goes back as it was (an outlet back off gets its minimum
  on/off clock back too), then normal control resumes. A failed run therefore changes no relay;
  its candidates still sit out the next ``COOLDOWN_S`` of pairings (``candidates``).

Windows are the one exception to minimum on/off times; the guard, the budget (admission) and the
inrush stagger still apply, since the controller does the switching as for any other target.
Exception outlets never take part. While a window switches, normal control switches nothing
else on (the window needs the stagger and the budget); between switching phases it goes on as
usual, so a run delays the plan's other switch-ons by less than one window.

Which outlets take part and what a window may switch live in ``candidates``; who reports for
which outlet in ``registry``; the search's arithmetic in ``search``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
import secrets
from typing import Any

from pi_agent.config import StripConfig
from pi_agent.control.admission import Admission
from pi_agent.control.outlet import OutletState
from pi_agent.control.pairing.candidates import Candidates
from pi_agent.control.pairing.registry import Paired, PairedLaptops
from pi_agent.control.pairing.run import (
    ASK_AT_S,
    FLAG_ERROR,
    HISTORY,
    MAX_WINDOWS,
    MIN_CONFIDENCE,
    OBSERVE_AFTER_S,
    RESTORE_S,
    SWITCH_PHASE_S,
    WINDOW_S,
    PairingRefusedError,
    PairingRun,
    RelayBefore,
    Room,
    Status,
    UnknownPairingError,
    Window,
    WrongWindowError,
)
from pi_agent.control.pairing.search import (
    INFEASIBLE,
    Answer,
    best_split,
    consistent,
    verdict,
    windows_needed,
)


class PairingCoordinator:
    """Runs pairings on the controller's outlets; the controller switches what it holds.

    An outlet held by a run has ``held`` set to the state the run wants; the controller uses it
    as the outlet's target, without minimum on/off times, and switches nothing else on while a
    run switches relays (``switching``: its window needs the budget and the stagger).
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
        self._wall = wall_clock
        self._run: PairingRun | None = None
        self._history: deque[PairingRun] = deque(maxlen=HISTORY)
        self.laptops = PairedLaptops(list(self._outlets), wall_clock=wall_clock)
        self.credentials = self.laptops.credentials
        self._candidates = Candidates(
            self._outlets,
            strip,
            admission=admission,
            laptops=self.laptops,
            stale_after_s=stale_after_s,
        )

    # ------------------------------------------------------------------ lookups

    @property
    def active(self) -> bool:
        """A run holds relays (running, or putting them back)."""
        return self._run is not None

    @property
    def switching(self) -> bool:
        """A run is switching relays now: its switch-ons need the stagger and the budget.

        Only then does normal control wait; a switching phase is shorter than a window, so a
        run never delays what the plan switches on by more than one window.
        """
        run = self._run
        return run is not None and run.phase in ("switching", "restoring")

    def latest(self) -> PairingRun | None:
        return self._run or (self._history[-1] if self._history else None)

    def get(self, pairing_id: str) -> PairingRun:
        for run in (self._run, *reversed(self._history)):
            # Bytes: compare_digest refuses a str that is not ASCII, and an id comes from a URL.
            if run is not None and secrets.compare_digest(run.id.encode(), pairing_id.encode()):
                return run
        raise UnknownPairingError(pairing_id)

    def paired(self, outlet_id: int) -> Paired | None:
        return self.laptops.get(outlet_id)

    def in_pairing(self, outlet_id: int) -> bool:
        return self._run is not None and outlet_id in self._run.group

    # ------------------------------------------------------------------ commands

    def start(
        self, *, plugged: bool, user: str | None, now: float, user_proof: str | None = None
    ) -> PairingRun:
        """Begin a run for a laptop whose flag is ``plugged``, or say why not (``user_proof``:
        the reporter's proof of ``user``, kept with the pairing for Home Assistant to check)."""
        room = self._room(now)
        if room.closed:
            raise PairingRefusedError(
                "strip_closed", "the strip is closed: nothing may be switched on"
            )
        if self._run is not None:
            left = (MAX_WINDOWS + 1 - self._run.flips) * WINDOW_S + RESTORE_S
            raise PairingRefusedError(
                "pairing_busy", "another pairing is running on this strip", round(left, 1)
            )
        self._candidates.refuse_on_side(plugged, now, room)
        group = tuple(o.id for o in self._candidates.eligible(now))
        before = {
            oid: RelayBefore(o.relay_on, o.last_switch_at, o.last_switch_wall)
            for oid, o in self._outlets.items()
            if oid in group
        }
        targets = {oid: b.relay_on for oid, b in before.items()}
        run = PairingRun(
            id=secrets.token_hex(8),
            user=user,
            user_proof=user_proof,
            started_wall=self._wall(),
            group=group,
            before=before,
            window=Window(0, now, targets),
        )
        for oid, on in targets.items():
            self._outlets[oid].held = on
        self._run = run
        self.tick(now)
        return run

    def observe(self, pairing_id: str, window: int, plugged: bool, now: float) -> PairingRun:
        """The laptop's answer for ``window``."""
        run = self.get(pairing_id)
        if run.status != "running":
            raise WrongWindowError(f"pairing {pairing_id} is over ({run.status})")
        if not self._within_window(run, now):
            return run
        if run.phase != "awaiting" or window != run.window.number:
            expected = f"window {run.window.number}" if run.phase == "awaiting" else "no answer now"
            raise WrongWindowError(f"pairing {pairing_id} expects {expected}, not window {window}")
        assert run.window.states is not None
        run.answers.append(Answer(dict(run.window.states), plugged))
        run.phase = "thinking"
        run.message = f"pairing: window {window} answered"
        return run

    def cancel(self, pairing_id: str, now: float) -> PairingRun:
        run = self.get(pairing_id)
        if run.status == "running":
            self._finish(run, now, "cancelled", "cancelled", "pairing cancelled")
        return run

    def unpair(self, outlet_id: int) -> None:
        """Forget who reports for this outlet; its reporter is asked to pair again."""
        self.laptops.unpair(outlet_id)

    def issue_credential(self, outlet_id: int, user: str | None, now: float) -> str:
        """A manager gives a laptop its outlet by hand: a credential as a pairing would."""
        return self.laptops.issue_credential(outlet_id, user, now)

    def persistent(self) -> dict[str, Any]:
        """Who reports for which outlet, and the digests of their credentials."""
        return self.laptops.persistent()

    def restore(self, saved: Any, now: float) -> None:
        """After a restart: paired laptops keep their credentials (and their users)."""
        self.laptops.restore(saved, now)

    def battery_reported(
        self, outlet_id: int, plugged: bool, user: str | None, now: float, *, from_laptop: bool
    ) -> bool:
        """Note a battery report for the outlet; True asks its reporter to pair again.

        A relay counts as still once no run holds it and it has not moved for ``ASK_AT_S``:
        the laptop's flag has then had the time it has in a window to follow it.
        """
        outlet = self._outlets[outlet_id]
        if from_laptop:
            # The laptop has its credential: the run that issued it no longer needs to hold it.
            for run in (self._run, *self._history):
                if run is not None and run.outlet == outlet_id:
                    run.credential = None
        still = outlet.held is None and now - outlet.last_switch_at >= ASK_AT_S
        return self.laptops.battery_reported(
            outlet_id,
            plugged,
            user,
            now,
            from_laptop=from_laptop,
            still_relay=outlet.relay_on if still else None,
        )

    # ------------------------------------------------------------------ the clock

    def tick(self, now: float) -> None:
        """Called by the controller at every sample, before it reconciles relays."""
        self._candidates.watch_draw(now)
        self.laptops.forget_silent(now)
        run = self._run
        if run is None:
            return
        if run.phase not in ("restoring", "done"):
            room = self._room(now)
            if room.closed:
                self._finish(run, now, "failed", "strip_closed", "the strip closed")
            elif any(self._outlets[oid].exception for oid in run.group):
                self._finish(run, now, "failed", "disturbed", "an outlet became an exception")
        if run.phase == "switching":
            self._end_switching(run, now)
        if run.phase == "settling":
            self._end_settling(run, now)
        if run.phase == "awaiting":
            self._within_window(run, now)
        if run.phase == "thinking":
            self._next_window(run, now)
        if run.phase == "restoring":
            back = all(self._outlets[oid].relay_on == b.relay_on for oid, b in run.before.items())
            if back or now >= run.restore_from + RESTORE_S:
                self._release(run, now)

    def _end_switching(self, run: PairingRun, now: float) -> None:
        window = run.window
        in_place = all(self._outlets[oid].relay_on == on for oid, on in window.targets.items())
        period = self._strip.sample_period_s
        if in_place or now >= window.started_at + SWITCH_PHASE_S + period / 2:
            for oid in run.group:  # what could not be switched stays as it is
                self._outlets[oid].held = self._outlets[oid].relay_on
            run.phase = "settling"

    def _end_settling(self, run: PairingRun, now: float) -> None:
        window = run.window
        last_move = max(self._outlets[oid].last_switch_at for oid in run.group)
        if window.number == 0:  # nothing switched: only a recent move by normal control counts
            ask_at = last_move + ASK_AT_S
        else:
            ask_at = max(last_move + OBSERVE_AFTER_S, window.started_at + ASK_AT_S)
        if now >= ask_at - 1e-9:
            window.states = {oid: self._outlets[oid].relay_on for oid in run.group}
            run.phase = "awaiting"
            run.message = f"pairing: waiting for the plugged flag of window {window.number}"
        elif now > window.started_at + WINDOW_S + 1e-9:
            self._finish(run, now, "failed", "disturbed", "the relays did not settle in time")

    def _within_window(self, run: PairingRun, now: float) -> bool:
        """End the run if the window's relays moved or its deadline passed."""
        window = run.window
        if run.phase == "awaiting" and window.states is not None:
            moved = [oid for oid, on in window.states.items() if self._outlets[oid].relay_on != on]
            if moved:
                self._finish(
                    run,
                    now,
                    "failed",
                    "disturbed",
                    f"outlet {moved[0]} was switched during the window (guard or fault)",
                )
                return False
        if now > window.started_at + WINDOW_S + 1e-9:
            self._finish(
                run,
                now,
                "failed",
                "timeout",
                f"no plugged flag for window {window.number} within {WINDOW_S:g} s",
            )
            return False
        return True

    # ------------------------------------------------------------------ the search

    def _next_window(self, run: PairingRun, now: float) -> None:
        answers = run.answers
        if run.window.confirm:
            self._conclude(run, now)
            return
        if run.window.number == 0 and not self._baseline_ok(run, now):
            return
        left = consistent(answers, run.group)
        if not left:
            self._conclude(run, now)
            return
        on = answers[-1].plugged  # every outlet still possible matches the last answer
        room = self._room(now)
        candidates = self._candidates
        fit = min(candidates.switch_on_slots(now), candidates.fit_count(run.group, left, now, room))
        needed = windows_needed(len(left), on, fit)
        split = 0 if len(left) == 1 else best_split(len(left), on, fit)
        if split is None or needed >= INFEASIBLE or run.flips + needed > MAX_WINDOWS:
            self._conclude(run, now)  # out of windows: says what remains
            return
        targets = candidates.targets(run, left, count_on=split, on=on, now=now, room=room)
        run.flips += 1
        run.window = Window(run.flips, now, targets, confirm=len(left) == 1)
        run.phase = "switching"
        run.message = f"pairing: window {run.flips}, {len(left)} outlets possible"
        for oid, target in targets.items():
            self._outlets[oid].held = target

    def _baseline_ok(self, run: PairingRun, now: float) -> bool:
        """After window 0: the same checks as at start, now with the fresh flag."""
        plugged = run.answers[0].plugged
        try:
            self._candidates.refuse_on_side(plugged, now, self._room(now), run.group)
        except PairingRefusedError as refusal:
            self._finish(run, now, "failed", refusal.code, refusal.message)
            return False
        return True

    # ------------------------------------------------------------------ the end

    def _conclude(self, run: PairingRun, now: float) -> None:
        result = verdict(run.answers, run.group, FLAG_ERROR, MIN_CONFIDENCE)
        run.outlet = result.outlet
        run.confidence = result.confidence
        self._finish(run, now, result.outcome, result.reason, result.message)
        if result.outcome == "paired" and result.outlet is not None:
            run.credential = self.laptops.found(
                result.outlet, run.user, result.confidence, now, proof=run.user_proof
            )

    def _finish(
        self, run: PairingRun, now: float, status: Status, reason: str | None, message: str
    ) -> None:
        """Record the outcome and start putting every relay back as it was."""
        run.status = status
        run.reason = reason
        run.message = message
        run.finished_wall = self._wall()
        run.phase = "restoring"
        run.restore_from = now
        for oid, before in run.before.items():
            self._outlets[oid].held = before.relay_on

    def _release(self, run: PairingRun, now: float) -> None:
        """Hand the outlets back to normal control, as if the run had not switched them.

        An outlet back off gets its old minimum-time clock back, so normal control may switch
        it on at once; one back on keeps the new one, since its charger is settling again.
        """
        # A run that did not pair (unanswered, cancelled, failed) costs every outlet it held:
        # else a reporter could end each run before a window moves a relay, start the next,
        # and hold the outlets (and the plan's switch-ons) all day.
        wasted = run.status != "paired"
        for oid, before in run.before.items():
            outlet = self._outlets[oid]
            outlet.held = None
            if wasted or outlet.last_switch_at > before.last_switch_at:
                self._candidates.cool_down(oid, now)
                if not outlet.relay_on:
                    outlet.last_switch_at = before.last_switch_at
                    outlet.last_switch_wall = before.last_switch_wall
        run.phase = "done"
        self._run = None
        self._history.append(run)
