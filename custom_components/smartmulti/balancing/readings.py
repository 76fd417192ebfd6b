"""Reading a laptop never measured: the room it is counted at, and what waits behind it.

A laptop known to be there (it reports its battery, or its user's session is open) but never
measured this session is counted at its outlet's rating until its meter has settled: a
charger's draw is not known before it is read. So is one read before whose reading no longer
holds (``view.reserve_w``). On a strip rated far above what laptops draw that room may never
come while others charge, and the laptop waits while it would perhaps draw a third of it.
``smart`` guesses its draw (``Settings.guess_w``, or the draw it was read at before) to
weigh whether to read it (``make_room``); what fits in the room its guess leaves is planned
behind the reading (``after_readings``), and the agent admits it once the reading has
settled, only as far as the room is really there: a laptop drawing more than guessed leaves
it waiting, never over the budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from . import knapsack
from .candidates import Bid, Candidate, Want
from .looks import is_look
from .model import Settings

_EPSILON_W = 1e-9


def kept_for_reading(cand: Candidate) -> bool:
    """An outlet a reading must not take the room of: a look (nothing else finds a laptop
    without a report), or a laptop on whose draw, once off, would count at its rating again
    (no constant-power draw evidenced to reserve), so that its next turn would need a reading's
    room itself."""
    return is_look(cand) or (cand.on and cand.laptop.reserve_w is None)


def make_room(
    pool: Sequence[Bid],
    weights: Sequence[float],
    picks: list[int],
    kept: Sequence[int],
    room: float,
) -> list[int]:
    """The knapsack's picks, or room made for reading one laptop counted at its rating.

    A laptop never measured is counted at its outlet's rating, which beside the laptops on
    may never fit, so it would wait while it perhaps draws a third of it. When the set worth
    most with such laptops at their guessed draws (``Bid.guess_w``) takes one, the best of
    those is switched on at its rating with what fits beside it: the others give up one
    cycle (what fits in the room it gives back waits behind it, ``after_readings``),
    and from the next its measured draw is what it counts at. What the knapsack chose and a
    reading must not displace (``kept``, ``kept_for_reading``) stays.
    """
    waiting = [i for i, b in enumerate(pool) if b.guess_w is not None and i not in picks]
    if not waiting or any(pool[i].guess_w is not None for i in picks):
        return picks  # nobody waits for a reading, or one is made already
    guessed = knapsack.best(
        [w if (g := b.guess_w) is None else g for b, w in zip(pool, weights, strict=True)],
        [b.value if b.guess_w is None else b.guess_value for b in pool],
        room,
    )
    wanted = [i for i in guessed if i in waiting and weights[i] <= room + _EPSILON_W]
    if not wanted:
        return picks
    first = max(wanted, key=lambda i: (pool[i].guess_value, -i))
    left = room - weights[first] - sum(weights[i] for i in kept)
    if left < -_EPSILON_W:
        return picks
    rest = [i for i in range(len(pool)) if i != first and i not in kept]
    beside = knapsack.best([weights[i] for i in rest], [pool[i].value for i in rest], left)
    return [first, *kept, *(rest[j] for j in beside)]


def is_reading(cand: Candidate) -> bool:
    """Switching this outlet on reads a laptop known to be there, counted at its rating: one
    never measured, or one whose reading no longer holds (its charge may have fallen below
    where it was read, or another laptop may have taken its place)."""
    return (
        not cand.on
        and cand.laptop.present is True
        and cand.draw_w >= cand.outlet.max_power_w
        and not cand.outlet.fault
    )


def _reading_guess(cand: Candidate, bid_guess: float | None) -> float | None:
    """What a reading is guessed to find: the strategy's guess (``Bid.guess_w``), else the
    draw read before (a laptop looked at again, ``view.unseen``). The agent admits what waits
    behind the reading only once its meter shows the room, so a guess too low only leaves
    that waiting."""
    if bid_guess is not None:
        return bid_guess
    read = cand.read_before_w
    return read if read is not None and read < cand.draw_w else None


def after_readings(
    by_id: Mapping[int, Candidate],
    bids: Sequence[Bid],
    chosen: Sequence[int],
    used_w: float,
    room_w: float,
    *,
    settings: Settings,
) -> tuple[int, ...]:
    """Best first, the outlets off to switch on once the readings of ``chosen`` are taken:
    what fits in the room their guessed draws (``Bid.guess_w``) leave, keep-alive first,
    then the knapsack of what the strategy values. The agent admits them only as the room
    is really there, so a laptop that draws more than guessed only leaves them waiting.
    Nothing waits behind a reading when ``settings.guess_w`` is 0 (no guesses: readings
    are off, as on a worn strip, ``wear.worn``)."""
    if settings.guess_w <= 0:
        return ()
    guesses = {b.outlet_id: b.guess_w for b in bids}
    guess = {
        oid: g
        for oid in chosen
        if is_reading(by_id[oid])
        and (g := _reading_guess(by_id[oid], guesses.get(oid))) is not None
    }
    reading = list(guess)
    if not reading:
        return ()
    taken = set(chosen)
    free = room_w - used_w + sum(by_id[oid].draw_w - guess[oid] for oid in reading)
    pool = [
        b
        for b in bids
        if b.outlet_id not in taken
        and b.want is not Want.NONE
        and not by_id[b.outlet_id].on
        and by_id[b.outlet_id].can_on
        and not is_look(by_id[b.outlet_id])
        and not is_reading(by_id[b.outlet_id])
    ]
    after: list[int] = []
    for b in pool:
        cand = by_id[b.outlet_id]
        if b.want is Want.URGENT and cand.draw_w <= free + _EPSILON_W:
            after.append(b.outlet_id)
            free -= cand.draw_w
    rest = [b for b in pool if b.want is not Want.URGENT]
    picks = knapsack.best([by_id[b.outlet_id].draw_w for b in rest], [b.value for b in rest], free)
    return (*after, *(rest[i].outlet_id for i in sorted(picks)))
