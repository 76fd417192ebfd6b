"""``battery_priority``: lowest battery first, with a hysteresis band against leapfrogging.

A laptop that is on ranks as if its battery were ``battery_band`` lower, so a waiting laptop
takes over only when it is clearly emptier, not after every percent (evcc's lesson).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..candidates import Bid, Candidate, Want
from ..model import Reason, Settings, StripInput
from .common import tail, wanting


def rank(cands: Sequence[Candidate], strip: StripInput, settings: Settings) -> list[Bid]:
    """Emptiest first; an unknown battery counts as ``unknown_soc``."""

    def key(c: Candidate) -> tuple[float, int]:
        soc = c.laptop.soc if c.laptop.soc is not None else settings.unknown_soc
        return (soc - (settings.battery_band if c.on else 0.0), c.outlet_id)

    first = [
        Bid(c.outlet_id, Want.CHARGE, Reason.LOW_BATTERY_FIRST, Reason.WAITING_BUDGET)
        for c in sorted(wanting(cands, settings), key=key)
    ]
    return first + tail(cands, (b.outlet_id for b in first), strip, settings)
