"""Fill a budget with whole outlets: the subset whose draws come closest to the room left.

Subset sums are kept as bits of Python integers (bit k set: k watts reachable), so 16 outlets
on a 3.7 kW strip cost a few big-integer shifts, not a table of 60 000 cells.
"""

from __future__ import annotations

from collections.abc import Sequence
import math


def fill(weights: Sequence[float], capacity: float, tolerance: float = 0.0) -> list[int]:
    """Indices of the items to take, in the given (preference) order.

    Maximises the total weight within ``capacity`` (weights rounded up, so the sum never
    exceeds it); among subsets within ``tolerance`` watts of that maximum, takes the one that
    is lexicographically first in preference order.
    """
    if capacity < 0 or not weights:
        return []
    cap = math.floor(capacity)
    mask = (1 << (cap + 1)) - 1
    sizes = [math.ceil(max(0.0, w)) for w in weights]
    suffix = [0] * (len(sizes) + 1)
    suffix[-1] = 1
    for i in range(len(sizes) - 1, -1, -1):
        suffix[i] = suffix[i + 1] | ((suffix[i + 1] << sizes[i]) & mask)
    best = suffix[0].bit_length() - 1
    low = max(0, best - math.floor(tolerance))
    window = ((1 << (best + 1)) - 1) ^ ((1 << low) - 1)
    chosen: list[int] = []
    total = 0
    for i, size in enumerate(sizes):
        after = total + size
        if after <= best and suffix[i + 1] & (window >> after):
            chosen.append(i)
            total = after
    return chosen


def best(weights: Sequence[float], values: Sequence[float], capacity: float) -> list[int]:
    """Indices of the subset with the largest total value whose weights fit ``capacity``.

    Items with a value of zero or less are never taken. Exact, by a frontier of
    (weight, value) pairs where no lighter subset is worth as much: for a strip's 16 outlets
    it stays a few hundred pairs (about a millisecond). Ties go to the subset found first.
    """
    limit = capacity + 1e-9
    items = [
        i for i, (w, v) in enumerate(zip(weights, values, strict=True)) if v > 0 and w <= limit
    ]
    if sum(weights[i] for i in items) <= limit:
        return items
    # Each state: (weight, value, chosen bits); sorted by weight with values rising.
    states: list[tuple[float, float, int]] = [(0.0, 0.0, 0)]
    for i in items:
        w, v, bit = weights[i], values[i], 1 << i
        grown = [(sw + w, sv + v, sb | bit) for sw, sv, sb in states if sw + w <= limit]
        merged: list[tuple[float, float, int]] = []
        top = -math.inf
        a = b = 0
        while a < len(states) or b < len(grown):
            if b >= len(grown) or (a < len(states) and states[a][0] <= grown[b][0]):
                state = states[a]
                a += 1
            else:
                state = grown[b]
                b += 1
            if state[1] > top + 1e-9:
                merged.append(state)
                top = state[1]
        states = merged
    chosen = states[-1][2]
    return [i for i in items if chosen >> i & 1]
