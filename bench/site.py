"""A site: several strips on one circuit, from a file or drawn at random (``bench.circuit_split``
runs them).

A site file is a list of strips, each a section-1 scenario (its own budget is the strip's
configured budget) with a strategy and an optional configured outlet maximum, under one
circuit whose budget is piecewise constant:

    {"name": str, "step_s": 60, "duration_s": int, "circuit_w": [[from_s, watts], ...],
     "strips": [{"id": str, "strategy": "smart", "outlet_max_w": 165.0,
                 "scenario": {<section-1 scenario>}}]}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from balancing import Strategy

from . import fields
from .fields import ScenarioError
from .scenario import MAX_BUDGET_W, Scenario, generate, parse, value_at


@dataclass(frozen=True, slots=True)
class SiteStrip:
    strip_id: str
    strategy: Strategy
    scenario: Scenario
    outlet_max_w: float | None = None


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    step_s: int
    duration_s: int
    circuit_w: tuple[tuple[int, float], ...]
    strips: tuple[SiteStrip, ...]

    def circuit_at(self, t: float) -> float:
        return value_at(self.circuit_w, t)


def load_site(path: Path) -> Site:
    """A site file; ``ScenarioError`` naming the file and the field if it cannot be run."""
    return fields.load_file(path, _site)


def _site(data: object, name: str) -> Site:
    top = fields.object_("site", data)
    missing = [k for k in ("step_s", "duration_s", "circuit_w", "strips") if k not in top]
    if missing:
        raise ScenarioError(f"site: missing field(s) {missing}")
    step_s = fields.whole("step_s", top["step_s"], low=1, high=3600)
    duration_s = fields.whole("duration_s", top["duration_s"], low=step_s, high=7 * 86400)
    strips = []
    for i, value in enumerate(fields.list_("strips", top["strips"])):
        where = f"strips[{i}]"
        s = fields.object_(where, value)
        strip_id = s.get("id")
        if not isinstance(strip_id, str) or not strip_id:
            raise ScenarioError(f"{where}.id: expected a non-empty string, got {strip_id!r}")
        if any(other.strip_id == strip_id for other in strips):
            raise ScenarioError(f"{where}.id: {strip_id!r} names two strips")
        strategy = s.get("strategy", Strategy.SMART.value)
        if strategy not in {m.value for m in Strategy}:
            raise ScenarioError(
                f"{where}.strategy: expected one of {[m.value for m in Strategy]}, got {strategy!r}"
            )
        outlet_max_w = s.get("outlet_max_w")
        try:
            scenario = parse(
                {"name": strip_id, "step_s": step_s, "duration_s": duration_s}
                | fields.object_(f"{where}.scenario", s.get("scenario"))
            )
        except ScenarioError as err:
            raise ScenarioError(f"{where} ({strip_id}).scenario: {err}") from err
        if scenario.step_s != step_s:
            raise ScenarioError(f"{where}: every strip steps with the site")
        strips.append(
            SiteStrip(
                strip_id=strip_id,
                strategy=Strategy(strategy),
                scenario=scenario,
                outlet_max_w=None
                if outlet_max_w is None
                else fields.number(f"{where}.outlet_max_w", outlet_max_w, above=0),
            )
        )
    if not strips:
        raise ScenarioError("strips: expected at least one strip")
    return Site(
        name=str(top.get("name", name)),
        step_s=step_s,
        duration_s=duration_s,
        circuit_w=fields.schedule("circuit_w", top["circuit_w"], high=MAX_BUDGET_W),
        strips=tuple(strips),
    )


def random_site(seed: int, *, share: float) -> Site:
    """Two random strip days (``generate(2 seed)`` and ``generate(2 seed + 1)``) under one
    circuit of ``share`` x their starting budgets, for the shorter day's length."""
    days = (generate(2 * seed), generate(2 * seed + 1))
    duration = min(d.steps * d.step_s for d in days)
    circuit = share * sum(d.budget_at(0.0) for d in days)
    strategies = (Strategy.SMART, Strategy.BATTERY_PRIORITY)
    return Site(
        name=f"random-site-{seed}",
        step_s=days[0].step_s,
        duration_s=duration,
        circuit_w=((0, round(circuit, 1)),),
        strips=tuple(
            SiteStrip(strip_id=sid, strategy=strategy, scenario=day)
            for sid, strategy, day in zip("AB", strategies, days, strict=True)
        ),
    )
