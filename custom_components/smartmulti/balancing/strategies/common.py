"""Pieces every strategy's ranking ends with: probes of unknown outlets, then spare uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..candidates import Bid, Candidate, Want, at_target, idle_bid, probe_due
from ..model import Reason, Settings, StripInput


def wanting(cands: Iterable[Candidate], settings: Settings | None = None) -> list[Candidate]:
    """Present laptops below their target, on outlets that may be switched on."""
    return [
        c for c in cands if c.laptop.present and not c.outlet.fault and not at_target(c, settings)
    ]


def _below_target(cand: Candidate) -> bool:
    soc = cand.laptop.soc
    target = min(1.0, cand.outlet.target_percent / 100.0)
    return bool(cand.laptop.present) and soc is not None and soc < min(target, 0.995)


def tail(
    cands: Sequence[Candidate], ranked: Iterable[int], strip: StripInput, settings: Settings
) -> list[Bid]:
    """Bids for the outlets a strategy did not rank: due probes first, then spare uses.

    A probe is the only way to notice a laptop plugged into an off outlet that has no battery
    report, and that laptop may be running flat: a due probe ranks right after the laptops
    about to run flat, for the one minimum on time it takes to look.
    """
    done = set(ranked)
    rest = [c for c in cands if c.outlet_id not in done]
    due = [c for c in rest if not c.on and probe_due(c, strip.now, settings) and not c.outlet.fault]
    due.sort(key=lambda c: (c.laptop.observed_at or float("-inf"), c.outlet_id))
    due_ids = {c.outlet_id for c in due}
    bids = [
        Bid(
            c.outlet_id,
            Want.URGENT,
            Reason.PROBING,
            Reason.EMPTY if c.laptop.present is False else Reason.UNKNOWN,
        )
        for c in due
    ]
    # Spare room goes first to laptops below their target that stopped asking (they fell
    # back less than the re-arm band), emptiest first, then keeps open what is open.
    spare = sorted(
        (c for c in rest if c.outlet_id not in due_ids),
        key=lambda c: (not _below_target(c), not c.on, c.laptop.soc or 0.0, c.outlet_id),
    )
    bids.extend(idle_bid(c, strip.now, settings) for c in spare)
    return bids
