"""The strip's automatic pairing as the agent reports it: the run going on, or the last one.

Apart from the outlet and strip views (``models.py``): a pairing belongs to the strip, not to
an outlet, and only the pairing sensors read it (``pairing.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self


class PairingStatus(StrEnum):
    """The outcome of an automatic pairing (the "last pairing" sensor)."""

    RUNNING = "running"
    PAIRED = "paired"
    AMBIGUOUS = "ambiguous"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PairingView:
    """The strip's running pairing, or its last one (started by a laptop's reporter).

    ``status`` is None for a status this version does not know; ``reason`` is the agent's code
    for a pairing that did not pair; ``windows`` counts the windows that switched relays.
    """

    id: str
    user: str | None
    status: PairingStatus | None
    reason: str | None
    windows: int
    max_windows: int
    outlet: int | None
    confidence: float | None
    started_at: float
    finished_at: float | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self | None:
        if data is None:
            return None
        outlet, confidence, finished = data["outlet"], data["confidence"], data["finished_at"]
        try:
            status: PairingStatus | None = PairingStatus(str(data["status"]))
        except ValueError:
            status = None
        return cls(
            id=str(data["id"]),
            user=None if data.get("user") is None else str(data["user"]),
            status=status,
            reason=None if data.get("reason") is None else str(data["reason"]),
            windows=int(data["windows"]),
            max_windows=int(data["max_windows"]),
            outlet=None if outlet is None else int(outlet),
            confidence=None if confidence is None else float(confidence),
            started_at=float(data["started_at"]),
            finished_at=None if finished is None else float(finished),
        )
