"""A site's strips planned together: each strip's need, the circuit split, then each plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from .circuits import Circuit, split_budget
from .engine import Balancer
from .model import Settings, StripInput, StripPlan
from .persist import EngineState


class Tree(Enum):
    """Which circuit tree a site cycle splits by when it is not given one."""

    CONFIGURED = "configured"  # the ``SiteBalancer``'s own ``root``


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Plans per strip and the budget each strip was given this cycle."""

    plans: Mapping[str, StripPlan]
    budgets: Mapping[str, float]


class SiteBalancer:
    """All strips of a site. Strips outside the circuit tree keep their own budget.

    Each ``StripInput.budget_w`` passed in is the strip's own configured budget (its
    ``number`` entity); the plan carries the smaller of it and the circuit's share. The tree
    is ``root``, or the one given to ``plan`` for that cycle.
    """

    def __init__(self, root: Circuit | None = None, settings: Settings | None = None) -> None:
        self.root = root
        self.settings = settings or Settings()
        self._balancers: dict[str, Balancer] = {}
        self._turn = 0  # which strip is served first among equal needs: one further each cycle

    def balancer(self, strip_id: str) -> Balancer:
        """The strip's engine, created on first use and kept for its memory."""
        if strip_id not in self._balancers:
            self._balancers[strip_id] = Balancer(self.settings)
        return self._balancers[strip_id]

    def snapshot(self) -> dict[str, EngineState]:
        """Each strip engine's memory after the last cycle (``persist.encode`` turns each into
        data to store)."""
        states = {sid: b.snapshot() for sid, b in self._balancers.items()}
        return {sid: state for sid, state in states.items() if state is not None}

    def resume(self, states: Mapping[str, EngineState], *, now: float, elapsed_s: float) -> None:
        """Take up stored memories (``Balancer.resume``) for strips not planned yet."""
        for sid, state in states.items():
            if sid not in self._balancers:
                self.balancer(sid).resume(state, now=now, elapsed_s=elapsed_s)

    def forget(self, strip_id: str) -> None:
        """A strip removed from the site: nothing of it is kept."""
        self._balancers.pop(strip_id, None)

    def plan(
        self, strips: Mapping[str, StripInput], *, root: Circuit | Tree | None = Tree.CONFIGURED
    ) -> SitePlan:
        """One cycle for the whole site.

        ``root`` is this cycle's circuit tree (None: no circuits); left out, ``self.root`` is
        used. Each strip's facts are observed once and serve both its need in the split and
        its plan.
        """
        tree = self.root if root is Tree.CONFIGURED else root
        budgets = {sid: min(s.budget_w, s.hard_limit_w) for sid, s in strips.items()}
        seen = {sid: self.balancer(sid).observe(s) for sid, s in strips.items()}
        if tree is not None:
            demands = {sid: self.balancer(sid).demand(obs) for sid, obs in seen.items()}
            for sid, watts in split_budget(tree, demands, turn=self._turn).items():
                budgets[sid] = min(budgets[sid], watts)
            self._turn += 1
        plans = {
            sid: self.balancer(sid).plan_within(obs, budgets[sid]) for sid, obs in seen.items()
        }
        return SitePlan(plans=plans, budgets=budgets)
