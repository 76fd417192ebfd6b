"""The one rule for switching a relay on: staggered for inrush, and only if it fits the limit.

Every switch-on of the strip goes through this rule, whoever wants it: a plan's outlet, the
failsafe rotation, a manual command, an exception outlet, a pairing's window. The controller
applies it when it switches; a pairing uses the same rule to foresee how many outlets one of
its windows can switch on, so the two can never disagree; the bench's model of the agent
(``bench/world.py``) applies it too, so no algorithm is credited with a switch-on the agent
would refuse.

- Stagger: chargers and lamps draw an inrush current when switched on; two relays closing in the
  same instant add theirs up. At most one switch-on per ``stagger_s``.
- Fit: what is already counted (``reserved_w``: measured draw, or the maximum of an outlet that
  is settling or whose meter is unknown) plus what the new outlet may draw must stay within the
  limit it is admitted against.
- Counting a switch-on: an outlet going on, and one still settling after it went on, counts at
  what the plan expects it to draw (``reserve_w``, never above its maximum), or at its maximum
  when the plan names nothing. A charger negotiates for a second or two before drawing its full
  power, so a reading taken meanwhile would under-count it and let too many outlets on.
"""

from __future__ import annotations

from collections.abc import Iterable
import math

# Floating-point sums of watts: an exact fit must not be refused for a rounding error.
_EPSILON_W = 1e-9


def switch_on_w(max_power_w: float, expected_w: float | None) -> float:
    """What an outlet going on is counted at: ``expected_w`` capped at its maximum, else that."""
    return max_power_w if expected_w is None else min(expected_w, max_power_w)


def counted_w(draw_w: float, settling: bool, switch_on_w: float) -> float:
    """An outlet's draw as admission counts it: a settling one at least at ``switch_on_w``."""
    return max(draw_w, switch_on_w) if settling else draw_w


def fits(reserved_w: float, cost_w: float, limit_w: float) -> bool:
    """An outlet that may draw ``cost_w`` fits beside ``reserved_w`` under ``limit_w``."""
    return reserved_w + cost_w <= limit_w + _EPSILON_W


def fit_count(free_w: float, costs: Iterable[float]) -> int:
    """How many of ``costs`` fit in ``free_w`` together, the cheapest first."""
    count = 0
    for cost in sorted(costs):
        if not fits(0.0, cost, free_w):
            break
        free_w -= cost
        count += 1
    return count


class Admission:
    """The stagger clock of one strip, and the questions asked of it."""

    def __init__(self, stagger_s: float, sample_period_s: float) -> None:
        self.stagger_s = stagger_s
        self.period = sample_period_s
        self.last_on_at = -math.inf

    @property
    def next_on_at(self) -> float:
        """The stagger forbids any switch-on before this."""
        return self.last_on_at + self.stagger_s

    def ready(self, now: float) -> bool:
        return now - self.last_on_at >= self.stagger_s

    def admit(self, now: float, reserved_w: float, cost_w: float, limit_w: float) -> bool:
        return self.ready(now) and fits(reserved_w, cost_w, limit_w)

    def switched_on(self, now: float) -> None:
        self.last_on_at = now

    def slots(self, now: float, within_s: float) -> int:
        """Switch-ons the stagger lets happen in the next ``within_s``, sampling as it does."""
        if self.stagger_s <= 0:
            return 1_000
        first, grid = self._first_on(now), self._grid()
        end = now + within_s + 1e-6
        return 0 if first > end else 1 + int((end - first) // grid)

    def switch_on_times(self, now: float, count: int) -> list[float]:
        """When ``count`` switch-ons wanted at ``now`` happen, each as soon as the stagger lets it."""
        first, grid = self._first_on(now), self._grid()
        return [first + i * grid for i in range(count)]

    def _grid(self) -> float:
        """The controller switches only on samples, so switch-ons fall on the sample grid."""
        return self.period * math.ceil(self.stagger_s / self.period - 1e-9)

    def _first_on(self, now: float) -> float:
        """The first switch-on: power freed now shows in the next sample, so a sample later."""
        earliest = max(now + self.period, self.next_on_at)
        return now + self.period * math.ceil((earliest - now) / self.period - 1e-9)
