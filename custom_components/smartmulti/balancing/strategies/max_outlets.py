"""``max_outlets``: at most N balanced outlets on at once, first come first served.

The count is the brief's "2 of 3 outlets" rule; the budget still applies on top of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..candidates import Bid, Candidate
from ..model import Settings, StripInput
from . import total_cap


def rank(cands: Sequence[Candidate], strip: StripInput, settings: Settings) -> list[Bid]:
    """Same order as ``total_cap``; the selector enforces the count."""
    return total_cap.rank(cands, strip, settings)
