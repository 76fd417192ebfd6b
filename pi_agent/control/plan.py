"""Home Assistant's plan: which balanced outlets to power, in what priority, for how long.

The plan is saved with the counters and taken back after a restart, so a strip closed for the
night stays closed when its agent restarts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

OnExpiry = Literal["failsafe", "off"]
MAX_TTL_S = 7 * 86400.0  # a plan sent at shutdown may cover a long weekend


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
    # Outlets of ``on`` switched on only to see whether a laptop is plugged in: one whose meter
    # shows nothing once settled is switched off at once, and stays off under this plan.
    looks: frozenset[int] = frozenset()

    @property
    def expires_at(self) -> float:
        return self.received_at + self.ttl_s


def refused_outlet(
    on: Sequence[int],
    priority: Iterable[int],
    *,
    looks: Sequence[int],
    reserve_w: Iterable[int],
    count: int,
    exceptions: Collection[int],
) -> tuple[str, str] | None:
    """The first outlet a plan names that the strip refuses, as (field, why), else None.

    Each outlet id must be one the strip has (1..count); each look an outlet of ``on`` that
    is balanced: an exception outlet is always on, so there is nothing to look at. Kept apart
    from the API so that the bench's simulated agent refuses exactly what a strip refuses.
    """
    named = [
        *((f"on[{index}]", oid) for index, oid in enumerate(on)),
        *((f"priority[{index}]", oid) for index, oid in enumerate(priority)),
        *((f"looks[{index}]", oid) for index, oid in enumerate(looks)),
        *((f"reserve_w.{oid}", oid) for oid in reserve_w),
    ]
    for name, outlet_id in named:
        if not 1 <= outlet_id <= count:
            return name, f"no outlet {outlet_id} (this strip has 1..{count})"
    switched_on = set(on)
    for index, outlet_id in enumerate(looks):
        if outlet_id not in switched_on:
            return (
                f"looks[{index}]",
                f"outlet {outlet_id} is not in on: a look is an outlet the plan switches on",
            )
        if outlet_id in exceptions:
            return (
                f"looks[{index}]",
                f"outlet {outlet_id} is an exception outlet (always on): it cannot be a look",
            )
    return None


def plan_state(plan: Plan | None) -> dict[str, Any] | None:
    """The plan as saved with the counters: a closed strip must stay closed after a restart."""
    if plan is None:
        return None
    return {
        "on": sorted(plan.on),
        "priority": list(plan.priority),
        "budget_w": plan.budget_w,
        "ttl_s": plan.ttl_s,
        "received_wall": plan.received_wall,
        "on_expiry": plan.on_expiry,
        "exceptions_on": plan.exceptions_on,
        "reserve_w": {str(k): v for k, v in plan.reserve_w.items()},
        "looks": sorted(plan.looks),
    }


def restored_plan(saved: Mapping[str, Any], now: float, wall_now: float, count: int) -> Plan:
    """A saved plan taken back; its ttl runs on by the wall time the agent was away.

    The monotonic clock restarts with the process, so the plan's age comes from the wall
    clock. A wall clock that went back (a Pi without a real-time clock booting in 1970)
    cannot tell how long the agent was away: the plan counts as expired, which keeps a
    closed strip closed (``on_expiry: off``) and never extends a plan.
    """
    on = [int(o) for o in saved["on"]]
    priority = [int(o) for o in saved["priority"]]
    reserve = {int(k): float(v) for k, v in dict(saved.get("reserve_w", {})).items()}
    looks = [int(o) for o in saved.get("looks", [])]
    if any(not 1 <= oid <= count for oid in (*on, *priority, *reserve, *looks)):
        raise ValueError("the saved plan names an outlet this strip does not have")
    on_expiry = saved.get("on_expiry", "failsafe")
    if on_expiry not in ("failsafe", "off"):
        raise ValueError(f"unknown on_expiry {on_expiry!r}")
    ttl = float(saved["ttl_s"])
    received_wall = float(saved["received_wall"])
    elapsed = wall_now - received_wall
    if not 0 <= elapsed <= ttl:
        elapsed = ttl
    return Plan(
        on=frozenset(on),
        priority=tuple(priority),
        budget_w=float(saved["budget_w"]),
        ttl_s=ttl,
        received_at=now - elapsed,
        received_wall=received_wall,
        on_expiry=on_expiry,
        exceptions_on=bool(saved.get("exceptions_on", True)),
        reserve_w=reserve,
        looks=frozenset(looks),
    )
