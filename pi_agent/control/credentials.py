"""Per-laptop credentials: a reporter proves it is the laptop on the outlet it reports for.

The reporter token is shared by every coworker, so it cannot say who is on which outlet: anyone
holding it could label an outlet with another name (and bill that person) or fake a low battery
to jump the charging queue. The shared token therefore only starts a pairing. A pairing that
finds the laptop's outlet issues a credential bound to that outlet, which only that laptop's
reporter receives; a battery report for an outlet needs that outlet's credential (or the admin
token: Home Assistant relaying a phone's companion app). A manager may also issue one for an
outlet by hand (a desk laptop given its outlet).

A credential is revoked when its laptop leaves (its pairing is forgotten: a report that
contradicts the relay, a reporter silent for minutes, the manager's "pair again") or when another
laptop pairs with the outlet. A revoked credential is remembered for a while, so its reporter is
told to pair again rather than refused as a stranger. Only digests are kept: the state file never
holds a credential that could be replayed, and memory holds one only in the pairing run that
issued it, for the reporter holding the run's id to read, until the laptop's first report with it.
"""

from __future__ import annotations

from collections import OrderedDict
import hashlib
import hmac
import secrets
from typing import Any

#: Revoked credentials remembered, so their reporters hear "pair again".
REVOKED_KEPT = 64


def _digest(credential: str) -> str:
    return hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()


class LaptopCredentials:
    def __init__(self) -> None:
        self._by_outlet: dict[int, str] = {}  # outlet → digest of its credential
        self._revoked: OrderedDict[str, int] = OrderedDict()  # digest → outlet it was for

    def issue(self, outlet_id: int) -> str:
        """A new credential for the outlet; the previous one is revoked."""
        self.revoke(outlet_id)
        credential = "laptop-" + secrets.token_urlsafe(32)
        self._by_outlet[outlet_id] = _digest(credential)
        return credential

    def revoke(self, outlet_id: int) -> None:
        digest = self._by_outlet.pop(outlet_id, None)
        if digest is None:
            return
        self._revoked[digest] = outlet_id
        while len(self._revoked) > REVOKED_KEPT:
            self._revoked.popitem(last=False)

    def has(self, outlet_id: int) -> bool:
        return outlet_id in self._by_outlet

    def lookup(self, presented: str) -> tuple[int, bool] | None:
        """The outlet a credential is for and whether it was revoked; None if unknown."""
        digest = _digest(presented)
        found: tuple[int, bool] | None = None
        # Every digest is compared, in constant time, so timing tells nothing about which.
        for outlet_id, known in self._by_outlet.items():
            if hmac.compare_digest(known, digest):
                found = (outlet_id, False)
        for known, outlet_id in self._revoked.items():
            if hmac.compare_digest(known, digest) and found is None:
                found = (outlet_id, True)
        return found

    def persistent(self) -> dict[str, Any]:
        return {
            "active": {str(k): v for k, v in self._by_outlet.items()},
            "revoked": dict(self._revoked),
        }

    def restore(self, saved: Any, outlets: int) -> None:
        """Digests from the state file; anything malformed is dropped (the laptop re-pairs)."""
        if not isinstance(saved, dict):
            return
        for key, digest in dict(saved.get("active") or {}).items():
            number = str(key)
            if (
                _valid(digest)
                and number.isascii()
                and number.isdigit()
                and 1 <= int(number) <= outlets
            ):
                self._by_outlet[int(number)] = digest
        for digest, outlet_id in dict(saved.get("revoked") or {}).items():
            if _valid(digest) and isinstance(outlet_id, int) and 1 <= outlet_id <= outlets:
                self._revoked[digest] = outlet_id


def _valid(digest: Any) -> bool:
    return (
        isinstance(digest, str)
        and len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
    )
