"""A site's strips planned together: each strip's need, the circuit split, then each plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from .circuits import Circuit, split_budget
from .engine import Balancer
from .model import Settings, StripInput, StripPlan


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Plans per strip and the budget each strip was given this cycle."""

    plans: Mapping[str, StripPlan]
    budgets: Mapping[str, float]


class SiteBalancer:
    """All strips of a site. Strips outside ``root`` keep their own budget.

    Each ``StripInput.budget_w`` passed in is the strip's own configured budget (its
    ``number`` entity); the plan carries the smaller of it and the circuit's share.
    """

    def __init__(self, root: Circuit | None = None, settings: Settings | None = None) -> None:
        self.root = root
        self.settings = settings or Settings()
        self._balancers: dict[str, Balancer] = {}

    def balancer(self, strip_id: str) -> Balancer:
        """The strip's engine, created on first use and kept for its memory."""
        if strip_id not in self._balancers:
            self._balancers[strip_id] = Balancer(self.settings)
        return self._balancers[strip_id]

    def plan(self, strips: Mapping[str, StripInput]) -> SitePlan:
        """One cycle for the whole site."""
        budgets = {sid: min(s.budget_w, s.hard_limit_w) for sid, s in strips.items()}
        if self.root is not None:
            demands = {sid: self.balancer(sid).demand(s) for sid, s in strips.items()}
            for sid, watts in split_budget(self.root, demands).items():
                budgets[sid] = min(budgets[sid], watts)
        plans = {
            sid: self.balancer(sid).plan(replace(s, budget_w=budgets[sid]))
            for sid, s in strips.items()
        }
        return SitePlan(plans=plans, budgets=budgets)
