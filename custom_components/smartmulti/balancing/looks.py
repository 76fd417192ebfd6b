"""Looks the agent may release early, and the outlets that take the room they give back.

A look switches on an outlet where no laptop is known, to see whether one is plugged in; it
counts at the outlet's rating, often most of a tight budget, and the agent's minimum on time
would hold that room for a minute while the meter has read nothing after a second or two. The
plan names its looks, and the agent switches one off as soon as its settled meter reads
nothing: nothing is plugged in, so nothing needs the minimum on time.

What waits for the room a look gives back is planned behind it (``after_looks``): first every
other look the strategy wants made now or soon, one after the other in the same room (looks
made together come due together, so later ones again take one cycle's room, not one per
look), then what the strategy would have chosen with that room. The agent's admission holds
them until the room is there; a look that finds a laptop keeps its room, and the next cycle
plans with what it found. With nothing waiting, no look is named: the look keeps its room
while it is spare, and the empty outlet stays open for whoever plugs in next.

A look also fits where the room is being handed over anyway: when this cycle switches on laptops
that are off, a look that is due is made first in their room and they wait behind it
(``turn_look``), a couple of seconds when it reads nothing. On a strip rated near its budget a
look beside the laptops charging never fits, and waiting for room would leave every look to be
forced, shedding whoever charges then: made at a turn, it costs them the moment its meter takes.

On a shared circuit the room of a look is what the circuit granted the look; a turn begun in
it is the strip's choice, not the circuit's, so the circuit does not hold it as it holds the
turns it granted (``in_look_room``, ``need.NeedLevel.TURN``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from . import knapsack
from .candidates import Bid, Candidate, Want
from .opens import counted_w

_EPSILON_W = 1e-9


def is_look(cand: Candidate) -> bool:
    """Switching this outlet on would be a look: off, and no laptop known to be there."""
    return not cand.on and cand.laptop.present is not True and not cand.outlet.fault


def after_looks(
    by_id: Mapping[int, Candidate],
    bids: Sequence[Bid],
    chosen: Sequence[int],
    used_w: float,
    room_w: float,
    *,
    opened: Collection[int] = (),
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Every look planned (those of ``chosen`` first) and, best first, the outlets to switch
    on once the looks of ``chosen`` are released: the other looks wanted, then what fits
    beside ``chosen`` without its looks (``used_w`` is its counted draw), keep-alive first,
    then the knapsack of what the strategy values. An empty outlet switched on to stay open in
    the shared room (``opened``, ``opens.open_group``) is not a look: nothing waits for its
    room, which holds the laptop that may come."""
    first = [oid for oid in chosen if is_look(by_id[oid]) and oid not in opened]
    if not first:
        return (), ()
    taken = set(chosen)
    free = room_w - used_w + sum(by_id[oid].draw_w for oid in first)
    pool = [
        b
        for b in bids
        if b.outlet_id not in taken and b.want is not Want.NONE and by_id[b.outlet_id].can_on
    ]
    more = [
        b.outlet_id
        for b in pool
        if is_look(by_id[b.outlet_id]) and by_id[b.outlet_id].draw_w <= free + _EPSILON_W
    ]
    after: list[int] = []
    for b in pool:
        cand = by_id[b.outlet_id]
        if b.want is Want.URGENT and not is_look(cand) and cand.draw_w <= free + _EPSILON_W:
            after.append(b.outlet_id)
            free -= cand.draw_w
    rest = [b for b in pool if b.want is not Want.URGENT and not is_look(by_id[b.outlet_id])]
    picks = knapsack.best([by_id[b.outlet_id].draw_w for b in rest], [b.value for b in rest], free)
    after += [rest[i].outlet_id for i in sorted(picks)]
    if not after:
        # Nobody waits for the room: the looks keep it while it is spare, so an empty outlet
        # stays open and a laptop plugged in there draws at once, not at the next look.
        return (), ()
    return (*first, *more), (*more, *after)


def turn_look(
    by_id: Mapping[int, Candidate],
    bids: Sequence[Bid],
    chosen: Sequence[int],
    room_w: float,
    *,
    arrivals: int,
    min_on_s: float,
    min_off_s: float,
) -> tuple[list[int], float] | None:
    """``chosen`` with the best look due made in the room of the outlets it switches on (off
    now, not a look, not kept alive), and its counted draw (``opens.counted_w``, the open
    outlets sharing the room of ``arrivals`` laptops, as the selector counts); None when there is
    no such outlet, no look due fits beside the rest of ``chosen``, or they could not all go on
    behind it (``after_looks``) as soon as it is released (``room_free_now``). A look due that
    fits beside them all is chosen already; one not due yet waits for spare room, or it would
    move the outlet's next look an interval further off (an early look stands in for the due
    one)."""
    wanted = {b.outlet_id: b for b in bids}
    incoming = [
        oid
        for oid in chosen
        if not by_id[oid].on and not is_look(by_id[oid]) and wanted[oid].want is not Want.URGENT
    ]
    if not incoming:
        return None
    kept = [oid for oid in chosen if oid not in incoming]
    kept_w = counted_w([by_id[oid] for oid in kept], arrivals)
    look = next(
        (
            b.outlet_id
            for b in bids
            if b.look_due
            and b.outlet_id not in chosen
            and is_look(by_id[b.outlet_id])
            and by_id[b.outlet_id].can_on
            and kept_w + by_id[b.outlet_id].draw_w <= room_w + _EPSILON_W
        ),
        None,
    )
    if look is None:
        return None
    turned = [*kept, look]
    used_w = counted_w([by_id[oid] for oid in turned], arrivals)
    _, after = after_looks(by_id, bids, turned, used_w, room_w)
    if not set(incoming).issubset(after) or not room_free_now(
        list(by_id.values()), turned, used_w, room_w, min_on_s=min_on_s, min_off_s=min_off_s
    ):
        return None
    return turned, used_w


def in_look_room(
    before: frozenset[int],
    by_id: Mapping[int, Candidate],
    on: Collection[int],
    looks: Collection[int],
    after: Sequence[int],
) -> frozenset[int]:
    """The outlets on in a look's room after this plan: those of ``before`` still on and
    planned on, and the outlets planned behind this plan's looks (``after``, the looks
    themselves aside)."""
    kept = {oid for oid in before if oid in on and by_id[oid].on}
    return frozenset(kept | {oid for oid in after if oid not in looks})


def room_free_now(
    candidates: Sequence[Candidate],
    chosen: Collection[int],
    used_w: float,
    room_w: float,
    *,
    min_on_s: float,
    min_off_s: float,
) -> bool:
    """Whether the plan's outlets (``chosen``, counted at ``used_w``) can all be on now: none
    still within its minimum off time, and room beside the outlets planned off that are still
    within their minimum on time. The plan may switch those the moment their minimum runs out
    before the next cycle (``candidates.candidate``), and the agent admits what fits, in the
    plan's order, at every sample; what waits behind a look or a reading would take the room
    they hold meanwhile, and by the time they go off, that room is taken again: on a cycle
    shorter than the minimum on time the look or reading would wait forever while the
    outlets behind it take turns. So nothing waits behind them until their room is free."""
    held_w = 0.0
    for cand in candidates:
        since = cand.outlet.seconds_since_switch
        if since is None:
            continue
        if cand.outlet_id in chosen:
            if not cand.on and since < min_off_s:
                return False
        elif cand.on and since < min_on_s:
            held_w += cand.draw_w
    return used_w + held_w <= room_w + _EPSILON_W
