"""Home Assistant's plan: which balanced outlets to power, in what priority, for how long.

The plan is saved with the counters and taken back after a restart, so a strip closed for the
night stays closed when its agent restarts.

Two clocks: the lease runs on the agent's monotonic clock, which nothing steps; the wall clock
is the only one that spans a restart, and a Raspberry Pi has no real-time clock, so NTP steps it
(by hours or years, forward or back) whenever it synchronises. The plan's wall time of receipt
therefore follows each step (``followed_wall_clock``), so that what is saved, and shown, is
always in the wall clock's frame of the moment.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

OnExpiry = Literal["failsafe", "off"]
MAX_TTL_S = 7 * 86400.0  # a plan sent at shutdown may cover a long weekend
# A change of the wall clock against the monotonic one at least this large is a step (NTP, a
# person setting the date), not the two clocks read a few microseconds apart or NTP's slewing.
WALL_STEP_S = 1.0


@dataclass(frozen=True, slots=True)
class Plan:
    on: frozenset[int]
    priority: tuple[int, ...]  # most important first; the guard sheds from the end
    budget_w: float
    ttl_s: float
    received_at: float  # agent's monotonic clock
    received_wall: float  # the wall clock's reading for ``received_at``, in its current frame
    on_expiry: OnExpiry = "failsafe"
    exceptions_on: bool = True
    # What Home Assistant expects an outlet to draw once on (it has seen that laptop charge);
    # admission then counts that instead of the outlet's whole max power. The guard still
    # enforces the limit, so an estimate that is too low is cut after the hold.
    reserve_w: Mapping[int, float] = field(default_factory=dict)
    # Outlets of ``on`` switched on only to see whether a laptop is plugged in: one whose meter
    # shows nothing once settled is switched off at once, and stays off under this plan.
    looks: frozenset[int] = frozenset()
    # Restored after a restart: its age came from the wall clock at start-up, which may have
    # been behind (``followed_wall_clock``).
    aged_by_wall: bool = False

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
    closed strip closed (``on_expiry: off``) and never extends a plan. One that is behind
    (fake-hwclock: the time of the last shutdown) makes the plan look young until NTP steps
    it forward, and then the plan ages by the step (``followed_wall_clock``).
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
    if not 0 < ttl <= MAX_TTL_S:
        # What the API refuses (a bug, a hand edit; NaN too): the longest lease a plan may
        # have, or none. Refused, the plan would open a closed strip; kept, it might never end.
        ttl = MAX_TTL_S if ttl > MAX_TTL_S else 0.0
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
        # Where the clock went back, the wall receipt is moved with the age the plan was
        # given: a later restart, once NTP has stepped the clock, must not find it young again.
        received_wall=wall_now - elapsed,
        on_expiry=on_expiry,
        exceptions_on=bool(saved.get("exceptions_on", True)),
        reserve_w=reserve,
        looks=frozenset(looks),
        aged_by_wall=True,
    )


def followed_wall_clock(plan: Plan, now: float, wall_now: float) -> Plan:
    """The plan once the wall clock's step since its receipt (if any) is accounted for.

    A step never moves the lease of a plan received in this process: its age is monotonic.
    Its wall time of receipt moves with the step, so a restart computes its age in the frame
    its clock then reads: a plan received before NTP stepped a clock booted in 1970 is neither
    expired at once by the restart (a step forward) nor extended by it (a step back).

    A plan restored after a restart took its age from the wall clock at start-up, which on a
    Pi booting with its last shutdown's time (fake-hwclock) was behind by however long the Pi
    was off. NTP's step forward shows how far: the plan ages by it, so a lease that ran out
    while the Pi was off expires at once rather than a whole downtime late. A step back never
    gives a plan time back (its monotonic lease holds).
    """
    step = (wall_now - now) - (plan.received_wall - plan.received_at)
    if abs(step) < WALL_STEP_S:
        return plan
    if plan.aged_by_wall and step > 0:
        return replace(plan, received_at=plan.received_at - step)
    return replace(plan, received_wall=plan.received_wall + step)
