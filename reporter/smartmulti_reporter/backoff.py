"""Waiting after a failure: capped exponential backoff with jitter.

Laptops in one room lose the strip together (a Wi-Fi hiccup, the agent restarting); jitter keeps
them from all coming back in the same instant, and the floor of half the step keeps a reporter
from ever spinning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import random


@dataclass(slots=True)
class Backoff:
    base_s: float = 1.0
    cap_s: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        """The wait before the next attempt: between half and all of base × 2^failures, capped."""
        step = min(self.cap_s, self.base_s * 2.0 ** min(self.failures, 60))
        self.failures += 1
        return step / 2.0 + self.rng.uniform(0.0, step / 2.0)

    def reset(self) -> None:
        self.failures = 0
