"""The local guard: the one part of the strip that must work with no network and no plan."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Shedding an outlet that draws nothing frees nothing.
MIN_SHED_W = 0.5


@dataclass(slots=True)
class Guard:
    """Decides when an overload has lasted long enough to act on.

    Like Tasmota's MaxPowerHold, a short excursion above the limit (a charger's inrush, a noisy
    sample) is tolerated for ``hold_s``; a lowered limit (a smaller budget, the plan expiring)
    is enforced at once, since the new limit is someone else's circuit protection.
    """

    hold_s: float
    # Samples are nominally periodic; a sample arriving a few ms early must not push the cut to
    # the next sample, a whole period later. The slack absorbs that scheduling jitter.
    slack_s: float = 0.0
    over_since: float | None = None
    trips: int = 0
    last_trip_at: float | None = None
    _last_limit_w: float | None = field(default=None, repr=False)

    def must_shed(self, total_w: float, limit_w: float, now: float) -> bool:
        lowered = self._last_limit_w is not None and limit_w < self._last_limit_w
        self._last_limit_w = limit_w
        if total_w <= limit_w:
            self.over_since = None
            return False
        if self.over_since is None:
            self.over_since = now
        return lowered or now - self.over_since >= self.hold_s - self.slack_s - 1e-9

    def record_trip(self, now: float) -> None:
        self.trips += 1
        self.last_trip_at = now


def choose_shed(draws: dict[int, float], shed_order: Sequence[int], excess_w: float) -> list[int]:
    """The outlets to switch off, taken in ``shed_order``, until ``excess_w`` is freed.

    ``draws`` holds the live balanced outlets and what the guard counts for each; outlets absent
    from ``shed_order`` go first (nobody asked for them), then the order as given.
    """
    listed = [oid for oid in shed_order if oid in draws]
    unlisted = [oid for oid in draws if oid not in set(listed)]
    chosen: list[int] = []
    freed = 0.0
    for oid in (*unlisted, *listed):
        if freed >= excess_w:
            break
        if draws[oid] < MIN_SHED_W:
            continue
        chosen.append(oid)
        freed += draws[oid]
    return chosen


def shed_order_from_priority(priority: Iterable[int]) -> list[int]:
    """A plan lists the most important outlet first; the guard sheds from the other end."""
    return list(reversed(list(priority)))


def shed_order_by_draw(draws: dict[int, float]) -> list[int]:
    """Without a plan, the outlet drawing most goes first: fewest outlets switched off."""
    return sorted(draws, key=lambda oid: (-draws[oid], oid))
