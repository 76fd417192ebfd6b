"""``total_cap``: first come, first served under the budget."""

from __future__ import annotations

from collections.abc import Sequence
import math

from ..candidates import Bid, Candidate, Want
from ..model import Reason, Settings, StripInput
from .common import tail, wanting


def arrival_order(cands: Sequence[Candidate], settings: Settings) -> list[Candidate]:
    """Laptops wanting charge, earliest arrival first (outlet id breaks ties)."""
    return sorted(
        wanting(cands, settings),
        key=lambda c: (
            c.laptop.session_start if c.laptop.session_start is not None else math.inf,
            c.outlet_id,
        ),
    )


def rank(cands: Sequence[Candidate], strip: StripInput, settings: Settings) -> list[Bid]:
    """Earliest arrival first; later arrivals wait for room."""
    first = [
        Bid(c.outlet_id, Want.CHARGE, Reason.FIRST_COME, Reason.WAITING_BUDGET)
        for c in arrival_order(cands, settings)
    ]
    return first + tail(cands, (b.outlet_id for b in first), strip, settings)
