"""Sending a cycle's plans to the agents, in the order that keeps every circuit within its budget.

A plan lowers its strip's limits if it lowers its budget or its failsafe's cap (what its agent
may draw now, or once Home Assistant stops); those go first, and only once every one has been
delivered may any strip's budget or cap go up: if one cannot be delivered, the others keep
theirs, so that the limits on a circuit never add up to more than it, neither now nor when
Home Assistant stops, even for the few milliseconds between two sends. A strip whose plan
lowers one limit and raises the other is sent the lowering now and the raise at the next
cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
import math

from homeassistant.util import dt as dt_util

from ..balancing import SitePlan
from .plan import CycleResult, Plan
from .strip import StripPlanner


def _cap(watts: float | None) -> float:
    return math.inf if watts is None else watts


def _held_cap(new: float | None, previous: float | None) -> float | None:
    """The lower of two caps (None: no cap)."""
    return new if _cap(new) <= _cap(previous) else previous


def previous_cap(strip: StripPlanner) -> float | None:
    """The cap its agent may hold: the last one delivered, or the one its state shows (the
    higher, for a strip whose agent answered late or restarted)."""
    shown = strip.data.state.failsafe_cap_w
    result = strip.result
    if result is None or not result.sent:
        return shown
    sent = result.plan.failsafe_cap_w
    return sent if _cap(sent) >= _cap(shown) else shown


async def async_send_plans(
    live: list[StripPlanner], site_plan: SitePlan, caps: Mapping[str, float]
) -> None:
    """Send each strip its plan, carrying its cap on the failsafe (``circuits.failsafe_caps``)."""
    plans = {s: s.plan_to_send(site_plan.plans[s.strip_id]) for s in live}
    plans = {s: replace(plan, failsafe_cap_w=caps.get(s.strip_id)) for s, plan in plans.items()}
    budgets = {
        strip: strip.last_sent_budget_w
        if strip.last_sent_budget_w is not None
        else strip.data.state.limit_w
        for strip in live
    }
    held = {s: previous_cap(s) for s in live}

    def holding(strip: StripPlanner, plan: Plan) -> Plan:
        return replace(
            plan,
            budget_w=min(plan.budget_w, budgets[strip]),
            failsafe_cap_w=_held_cap(plan.failsafe_cap_w, held[strip]),
        )

    lowered = [
        s
        for s in live
        if plans[s].budget_w < budgets[s] or _cap(plans[s].failsafe_cap_w) < _cap(held[s])
    ]
    raised = [s for s in live if s not in lowered]
    for strip in lowered:
        plans[strip] = holding(strip, plans[strip])
    sent = dict(
        zip(
            lowered,
            await asyncio.gather(*(s.async_send(plans[s]) for s in lowered)),
            strict=True,
        )
    )
    if not all(sent.values()):
        for strip in raised:
            plans[strip] = holding(strip, plans[strip])
    sent.update(
        zip(
            raised,
            await asyncio.gather(*(s.async_send(plans[s]) for s in raised)),
            strict=True,
        )
    )
    planned_at = dt_util.utcnow()
    for strip in live:
        strip.async_set_result(
            CycleResult(
                strip_plan=site_plan.plans[strip.strip_id],
                enabled=strip.settings.enabled,
                plan=plans[strip],
                sent=sent[strip],
                planned_at=planned_at,
            )
        )
