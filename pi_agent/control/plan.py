"""Home Assistant's plan: which balanced outlets to power, in what priority, for how long."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

OnExpiry = Literal["failsafe", "off"]
MAX_TTL_S = 7 * 86400.0  # a shutdown lease may cover a long weekend


@dataclass(frozen=True, slots=True)
class Plan:
    on: frozenset[int]
    priority: tuple[int, ...]  # most important first; the guard sheds from the end
    budget_w: float
    ttl_s: float
    received_at: float  # agent's monotonic clock
    received_wall: float
    on_expiry: OnExpiry = "failsafe"
    exceptions_on: bool = True
    # What Home Assistant expects an outlet to draw once on (it has seen that laptop charge);
    # admission then counts that instead of the outlet's whole max power. The guard still
    # enforces the limit, so an estimate that is too low is cut after the hold.
    reserve_w: Mapping[int, float] = field(default_factory=dict)

    @property
    def expires_at(self) -> float:
        return self.received_at + self.ttl_s
