"""The paired laptops: who reports for which outlet, with which credential, and since when.

"A reporter" is a paired record kept fresh by battery reports: a laptop a pairing run found, one
a manager gave its outlet by hand, one paired before a restart, or Home Assistant relaying a
phone app. A record lapses when its reporter falls silent, and a laptop's own reporter is asked
to pair again when its flag contradicts a still relay (its laptop moved) or a manager says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import voluptuous as vol

from pi_agent.control.credentials import LaptopCredentials
from pi_agent.validators import NAME, user_proof

#: A reporter silent this long (four of its 30 s reports) no longer holds its outlet.
REPORTER_STALE_S = 120.0
#: Battery reports in a row whose flag contradicts a still relay before the reporter is told to
#: pair again (its laptop moved).
MISMATCHES_TO_REPAIR = 2

Method = Literal["pairing", "report"]


@dataclass(frozen=True, slots=True)
class Paired:
    """Who reports for an outlet, and how that became known.

    ``user`` is what the reporter said when it paired, which anyone holding the shared reporter
    token can say; ``proof`` is the reporter's proof of it (derived from that user's personal
    link), which only Home Assistant can check. A user named by Home Assistant (``report``, on
    the admin token) needs none.
    """

    user: str | None
    method: Method
    since: float  # wall clock
    seen_at: float  # agent clock: the pairing or the last battery report
    confidence: float | None = None
    proof: str | None = None


class PairedLaptops:
    """The registry of reporters per outlet, and the credentials that prove them."""

    def __init__(self, outlet_ids: Sequence[int], *, wall_clock: Callable[[], float]) -> None:
        self._outlet_ids = tuple(outlet_ids)
        self._wall = wall_clock
        self._paired: dict[int, Paired] = {}
        self.credentials = LaptopCredentials()
        self._pair_again: set[int] = set()
        self._mismatches: dict[int, int] = {}

    def get(self, outlet_id: int) -> Paired | None:
        return self._paired.get(outlet_id)

    def __contains__(self, outlet_id: object) -> bool:
        return outlet_id in self._paired

    def found(
        self,
        outlet_id: int,
        user: str | None,
        confidence: float | None,
        now: float,
        *,
        proof: str | None = None,
    ) -> str:
        """A pairing run found the laptop's outlet: record it; the new credential."""
        self._paired[outlet_id] = Paired(
            user, "pairing", since=self._wall(), seen_at=now, confidence=confidence, proof=proof
        )
        self._pair_again.discard(outlet_id)
        self._mismatches.pop(outlet_id, None)
        return self.credentials.issue(outlet_id)

    def issue_credential(self, outlet_id: int, user: str | None, now: float) -> str:
        """A manager gives a laptop its outlet by hand: a credential as a pairing would."""
        self._paired[outlet_id] = Paired(user, "report", since=self._wall(), seen_at=now)
        self._pair_again.discard(outlet_id)
        self._mismatches.pop(outlet_id, None)
        return self.credentials.issue(outlet_id)

    def unpair(self, outlet_id: int) -> None:
        """Forget who reports for this outlet; its reporter is asked to pair again."""
        self._forget(outlet_id)
        self._pair_again.add(outlet_id)

    def forget_silent(self, now: float) -> None:
        """Reporters silent for ``REPORTER_STALE_S`` no longer hold their outlets."""
        for oid in [oid for oid, p in self._paired.items() if now - p.seen_at > REPORTER_STALE_S]:
            self._forget(oid)

    def _forget(self, outlet_id: int) -> None:
        """The laptop left the outlet: its record and its credential go."""
        self._paired.pop(outlet_id, None)
        self.credentials.revoke(outlet_id)

    def battery_reported(
        self,
        outlet_id: int,
        plugged: bool,
        user: str | None,
        now: float,
        *,
        from_laptop: bool,
        still_relay: bool | None,
    ) -> bool:
        """Note a battery report for the outlet; True asks its reporter to pair again.

        ``still_relay`` is the outlet's relay when it has been still long enough for a
        laptop's flag to follow it (None otherwise). Only a laptop's own reporter is checked
        and asked (Home Assistant relaying a phone app may lag by minutes): a flag that
        contradicts a still relay means the laptop moved. A laptop's reporter
        (``from_laptop``: it presented the outlet's credential) names nobody: its user is the
        one it paired as; only Home Assistant may name the user of an outlet in a report.
        """
        if from_laptop:
            known_user = self._paired.get(outlet_id)
            user = known_user.user if known_user is not None else None
        if from_laptop and outlet_id in self._pair_again:
            self._pair_again.discard(outlet_id)
            return True
        if from_laptop and still_relay is not None and plugged != still_relay:
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

    # ------------------------------------------------------------------ the state file

    def persistent(self) -> dict[str, Any]:
        """Who reports for which outlet, and the digests of their credentials."""
        return {
            "paired": {
                str(oid): {
                    "user": p.user,
                    "method": p.method,
                    "since": p.since,
                    "confidence": p.confidence,
                    "user_proof": p.proof,
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
        self.credentials.restore(saved.get("credentials"), len(self._outlet_ids))
        for key, record in dict(saved.get("paired") or {}).items():
            oid = int(key) if str(key).isascii() and str(key).isdigit() else 0
            if oid not in self._outlet_ids or not isinstance(record, dict):
                continue
            if not self.credentials.has(oid):
                continue
            user = record.get("user")
            try:
                user = NAME(user) if user is not None else None
            except vol.Invalid:  # a state file may hold what the API refuses: not shown
                user = None
            method = record.get("method")
            confidence = record.get("confidence")
            proof = record.get("user_proof")
            self._paired[oid] = Paired(
                user if isinstance(user, str) else None,
                method if method in ("pairing", "report") else "report",
                since=float(record.get("since") or self._wall()),
                seen_at=now,
                confidence=float(confidence) if isinstance(confidence, int | float) else None,
                proof=_saved_proof(proof),
            )


def _saved_proof(value: object) -> str | None:
    """A proof from the state file, or None for what the API would not have taken."""
    try:
        return user_proof(value)
    except vol.Invalid:
        return None
