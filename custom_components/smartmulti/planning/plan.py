"""What a cycle decides for a strip: the plan sent to its agent, and the cycle's outcome.

A plan (``POST /api/v1/plan``) is held by the agent until its ``ttl_s`` ends, then the agent
runs its own failsafe (``on_expiry="failsafe"``) or stays off (``"off"``, a closed strip).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from homeassistant.util import dt as dt_util

from ..balancing import OutletDecision, StripPlan

# A closed strip's plan (``smartmulti.shutdown``): renewed every cycle like any other, but
# long enough to cover a night if Home Assistant stops; at its end the agent stays off anyway.
CLOSED_PLAN_TTL_S: Final = 12 * 3600.0


@dataclass(frozen=True, slots=True)
class Plan:
    """A plan as sent to the agent (``POST /api/v1/plan``)."""

    on: tuple[int, ...]
    priority: tuple[int, ...]
    budget_w: float
    ttl_s: float
    reserve_w: Mapping[int, float] = field(default_factory=dict)
    on_expiry: Literal["failsafe", "off"] = "failsafe"
    exceptions_on: bool = True

    @property
    def closed(self) -> bool:
        return self.on_expiry == "off"


@dataclass(frozen=True, slots=True)
class Closing:
    """A strip shut down (``smartmulti.shutdown``) until resumed; kept in the site's storage."""

    since: datetime
    include_exceptions: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "include_exceptions": self.include_exceptions}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Closing:
        since = dt_util.parse_datetime(str(data.get("since", ""))) or dt_util.utcnow()
        return cls(since=since, include_exceptions=bool(data.get("include_exceptions", False)))


@dataclass(frozen=True, slots=True)
class CycleResult:
    """One cycle's outcome for a strip: the engine's answer, and the plan the agent was sent."""

    strip_plan: StripPlan
    enabled: bool
    plan: Plan
    sent: bool
    planned_at: datetime

    def decision(self, outlet_id: int) -> OutletDecision | None:
        return next((d for d in self.strip_plan.outlets if d.outlet_id == outlet_id), None)
