"""What a cycle decides for a strip: the plan sent to its agent, and the cycle's outcome.

A plan (``POST /api/v1/plan``) is held by the agent until its ``ttl_s`` ends, then the agent
runs its own failsafe (``on_expiry="failsafe"``) or stays off (``"off"``, a closed strip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    # Outlets of ``on`` switched on only to look for a laptop, and the outlets of ``on`` that
    # wait for the room those give back (``StripPlan.looks``, ``StripPlan.after_looks``).
    looks: tuple[int, ...] = ()
    after_looks: tuple[int, ...] = ()
    # The most the agent's failsafe may use once this plan runs out, when the strip shares a
    # circuit (``circuits.failsafe_caps``); None: no cap.
    failsafe_cap_w: float | None = None

    @property
    def closed(self) -> bool:
        return self.on_expiry == "off"


def open_plan(
    strip_plan: StripPlan,
    *,
    balanced: Sequence[int] | None,
    forced_on: Sequence[int],
    ttl_s: float,
) -> Plan:
    """The engine's plan as the agent is sent it.

    ``balanced`` (balancing off) are switched on instead of the engine's choice. The budget is
    the strip's share either way, which the agent's guard enforces; outlets forced on by hand
    come first in the priority (shed last).
    """
    on = set(strip_plan.on) if balanced is None else set(balanced)
    looks, after = (strip_plan.looks, strip_plan.after_looks) if balanced is None else ((), ())
    on |= set(after)
    return Plan(
        on=tuple(sorted(on | set(strip_plan.exceptions))),
        priority=(*forced_on, *(i for i in strip_plan.priority if i not in forced_on)),
        budget_w=round(strip_plan.budget_w, 1),
        ttl_s=ttl_s,
        reserve_w={
            outlet: round(watts, 1)
            for outlet, watts in sorted(strip_plan.reserve_w.items())
            if outlet in on and watts > 0
        },
        looks=looks,
        after_looks=after,
    )


def closed_plan(budget_w: float, *, exceptions_on: bool) -> Plan:
    """Nothing balanced on, and nothing on when the plan expires either (not the failsafe)."""
    return Plan(
        on=(),
        priority=(),
        budget_w=round(budget_w, 1),
        ttl_s=CLOSED_PLAN_TTL_S,
        on_expiry="off",
        exceptions_on=exceptions_on,
    )


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
