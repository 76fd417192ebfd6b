"""Empty outlets kept open together, in the room of the few laptops that may come before the
next cycle.

An outlet known to be empty is worth having on: a laptop plugged in there draws at once and
the meter shows it, where behind an off relay it waits unseen for the next look, perhaps half
an hour, and one without a battery report may run flat meanwhile. Each open outlet counted at
its rating, as anything that may start drawing must be, few stay open on a strip rated well
above what laptops draw: their ratings take the room of chargers. But laptops are plugged in
one at a time, and the engine counts each where it is at the next cycle, seconds later. So
when the room the plan leaves holds the ``Settings.open_arrivals`` largest ratings among the
empty outlets, they are all opened in that one shared room, not one room each. A further
laptop plugged in within the same cycle may take the strip over its budget until the agent's
guard sheds an outlet, within its hold, as for a charger that draws above its reserve.

Nothing is taken from what the plan chose: the shared room is only what it left unused, so
the group forms on a strip with room to spare and dissolves, back to each open outlet counted
at its rating, once chargers need the room. Opening an outlet that is off takes a margin
(``Settings.open_margin_w``) over the shared room; keeping those already open does not, or
the group would form and dissolve with every watt a charger's draw moves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from .candidates import Candidate
from .model import Settings

_EPSILON_W = 1e-9


def can_open(cand: Candidate) -> bool:
    """Off, known to be empty (last seen so), and free to be switched on (``can_on`` already
    excludes a faulted outlet, and the engine marks a held one faulted)."""
    return cand.can_on and cand.laptop.present is False and not cand.outlet.stale


def shared_w(cands: Sequence[Candidate], arrivals: int) -> float:
    """The room for ``arrivals`` laptops plugged in among ``cands``: their largest ratings."""
    ratings = sorted((c.outlet.max_power_w for c in cands), reverse=True)
    return sum(ratings[: max(0, arrivals)])


def counted_w(chosen: Iterable[Candidate], arrivals: int) -> float:
    """The counted draw of ``chosen``: the open outlets among them share the room of
    ``arrivals`` laptops (each its own rating when ``arrivals`` is 0), the rest count their
    own draw."""
    cands = list(chosen)
    if arrivals <= 0:
        return sum(c.draw_w for c in cands)
    opened = [c for c in cands if c.open]
    return sum(c.draw_w for c in cands if not c.open) + shared_w(opened, arrivals)


def open_group(
    candidates: Sequence[Candidate],
    chosen: Collection[int],
    used_w: float,
    room_w: float,
    settings: Settings,
    *,
    shed: Collection[int] = (),
) -> tuple[frozenset[int], float]:
    """The empty outlets to have on in one shared room, and the plan's counted draw with it.

    ``chosen`` and ``used_w`` are what the plan chose without the group, its open outlets
    already sharing their room (``counted_w``); ``shed`` are the outlets cut because the
    budget fell below what the minimum on time holds, which stay off. Returns no group and
    ``used_w`` unchanged when the room left does not hold the shared room, or when the group
    would open no outlet more.
    """
    arrivals = settings.open_arrivals
    if arrivals <= 0:
        return frozenset(), used_w
    opened = [c for c in candidates if c.open and c.outlet_id not in shed]
    closed = [c for c in candidates if c.outlet_id not in chosen and can_open(c)]
    kept_w = counted_w([c for c in opened if c.outlet_id in chosen], arrivals)
    left = room_w - (used_w - kept_w)
    group = opened
    if closed and shared_w([*opened, *closed], arrivals) + settings.open_margin_w <= (
        left + _EPSILON_W
    ):
        group = [*opened, *closed]
    if len(group) < 2 or shared_w(group, arrivals) > left + _EPSILON_W:
        return frozenset(), used_w
    ids = frozenset(c.outlet_id for c in group)
    if ids <= frozenset(chosen):
        return frozenset(), used_w
    return ids, used_w - kept_w + shared_w(group, arrivals)
