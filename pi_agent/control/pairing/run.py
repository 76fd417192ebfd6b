"""A pairing run: its timing, its phases, and the record Home Assistant and the laptop see.

A run's windows: window 0 is the baseline (nothing switched, the laptop says on which side its
outlet is); each later window switches some candidates and asks the laptop again; the last
switches the found outlet alone (the confirmation). Every relay the run moved goes back as it
was at its end, so a failed run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from typing import Literal

from pi_agent.control.pairing.search import Answer

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
#: Flip windows per run, the confirmation included: ⌈log2 16⌉ + 1.
MAX_WINDOWS = 5
#: An outlet moved by a run takes part in no other for this long.
COOLDOWN_S = 60.0
#: Putting relays back after a run gives up after this long (admission may refuse one).
RESTORE_S = 5.0
#: Chance that one reading of the plugged flag is wrong: what the confidence is computed with.
FLAG_ERROR = 0.002
MIN_CONFIDENCE = 0.9
#: Finished runs kept, so a laptop can still read its result.
HISTORY = 16

Status = Literal["running", "paired", "ambiguous", "failed", "cancelled"]
Phase = Literal["switching", "settling", "awaiting", "thinking", "restoring", "done"]


class PairingRefusedError(Exception):
    """A pairing cannot start now; ``retry_after_s`` says when it may, if that is known."""

    def __init__(self, code: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


class UnknownPairingError(KeyError):
    """No current or recent pairing run has this id."""


class WrongWindowError(Exception):
    """An answer for a window the run is not waiting for (late, early or repeated)."""


@dataclass(frozen=True, slots=True)
class Room:
    """What the controller allows a pairing run right now."""

    limit_w: float
    closed: bool  # the strip is off (closing hours): nothing may be switched on


@dataclass(slots=True)
class RelayBefore:
    """An outlet's relay as the run found it, to put back at its end."""

    relay_on: bool
    last_switch_at: float
    last_switch_wall: float | None


@dataclass(slots=True)
class Window:
    number: int  # 0: the baseline, nothing switched
    started_at: float
    targets: dict[int, bool]
    confirm: bool = False
    states: dict[int, bool] | None = None  # the relays when the laptop was asked


@dataclass(slots=True)
class PairingRun:
    """One laptop's search for its outlet, from its start to the relays put back."""

    id: str
    user: str | None
    started_wall: float
    group: tuple[int, ...]
    before: dict[int, RelayBefore]
    window: Window
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
    # Issued when paired; shown only to the pairing reporter, until its first report with it.
    credential: str | None = None
    user_proof: str | None = None  # the reporter's proof of ``user``, passed on to the pairing
