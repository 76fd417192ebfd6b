"""Posting a strip's plans to its agent (``POST /api/v1/plan``).

A failure is logged once per outage and is otherwise harmless: the agent keeps its last plan
until it expires, then runs its own failsafe. An agent too old to take reserves (``reserve_w``),
looks (``looks``) or a cap on its failsafe (``failsafe_cap_w``: warned, as its circuit is then
not held while Home Assistant is down) is sent its plans without them from then on: without
looks, without the outlets waiting for their room either (such an agent holds a look for its
minimum on time). Such an agent names the field itself; a current agent refusing one of its
items (``looks[0]``, ``reserve_w.7``) says the plan was wrong, which fails that cycle only and
keeps the feature.
"""

from __future__ import annotations

from ..client import SmartMultiClient, SmartMultiError, SmartMultiResponseError
from ..const import LOGGER
from .plan import Plan


class PlanSender:
    """One strip's link for plans; the caller sends one plan at a time."""

    def __init__(self, client: SmartMultiClient, strip_id: str) -> None:
        self.client = client
        self.strip_id = strip_id
        self._failed = False
        self._with_reserve = True  # until an older agent refuses the field
        self._with_looks = True  # likewise
        self._with_cap = True  # likewise

    async def async_send(self, plan: Plan, *, kept_for_s: float) -> bool:
        """Send a plan; ``kept_for_s`` (how long the last plan holds) is for the warning."""
        try:
            await self._async_post(plan)
        except SmartMultiError as err:
            if not self._failed:
                LOGGER.warning(
                    "Cannot send the balancing plan to SmartMulti strip %s: %s; it keeps "
                    "its last plan for up to %.0f s, then runs its own failsafe",
                    self.strip_id,
                    err,
                    kept_for_s,
                )
            self._failed = True
            return False
        if self._failed:
            LOGGER.info("SmartMulti strip %s accepts balancing plans again", self.strip_id)
            self._failed = False
        return True

    async def _async_post(self, plan: Plan) -> None:
        reserve = plan.reserve_w if self._with_reserve else None
        looks = plan.looks if self._with_looks else ()
        cap = plan.failsafe_cap_w if self._with_cap else None
        # Outlets behind looks an agent cannot release would be held on beside them; those
        # behind a reading (a plan without looks) wait only for the reading's meter.
        dropped = plan.looks and not looks
        on = tuple(o for o in plan.on if o not in plan.after_looks) if dropped else plan.on
        try:
            await self.client.send_plan(
                on=on,
                priority=plan.priority,
                budget_w=plan.budget_w,
                ttl_s=plan.ttl_s,
                on_expiry=plan.on_expiry,
                exceptions_on=plan.exceptions_on,
                reserve_w=reserve,
                looks=looks,
                failsafe_cap_w=cap,
            )
        except SmartMultiResponseError as err:
            refused = (err.field or "") if err.status == 422 else ""
            if reserve and refused == "reserve_w":
                LOGGER.info(
                    "SmartMulti strip %s does not take reserves in plans (agent too old): "
                    "its admission counts outlets switching on at their maximum",
                    self.strip_id,
                )
                self._with_reserve = False
            elif looks and refused == "looks":
                LOGGER.info(
                    "SmartMulti strip %s does not take looks in plans (agent too old): "
                    "a look holds its outlet for the minimum on time",
                    self.strip_id,
                )
                self._with_looks = False
            elif cap is not None and refused == "failsafe_cap_w":
                LOGGER.warning(
                    "SmartMulti strip %s does not take a cap on its failsafe (agent too old): "
                    "while Home Assistant is down it may draw its whole failsafe budget, more "
                    "than its share of its circuit; update its agent",
                    self.strip_id,
                )
                self._with_cap = False
            else:
                raise
            await self._async_post(plan)
