"""The days the engine may be tuned on, and the published ones it may not.

Every list of published days in docs/benchmarks.md is refused here: a figure published on a day
tuned on would measure the tuning, not the engine. ``bench.tune`` and ``bench.losses`` take
their days from here.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
from pathlib import Path

from .scenario import Scenario, generate, load

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
# Every list of published days in docs/benchmarks.md (module doc).
PUBLISHED = frozenset(
    seed
    for first in (*range(9100, 11000, 100), 13000, 13100, 13200, 13300)
    for seed in range(first, first + 40)
)


def tuning_days(specs: Sequence[str]) -> list[str]:
    """The days ``specs`` name ('shipped', seeds, ranges like 1000-1019); exits on a published
    one."""
    names: list[str] = []
    for spec in specs:
        if spec == "shipped":
            names += sorted(p.stem for p in SCENARIOS.glob("*.json"))
        elif "-" in spec:
            lo, hi = map(int, spec.split("-"))
            names += [str(i) for i in range(lo, hi + 1)]
        else:
            names.append(spec)
    for name in names:
        if name.isdigit() and int(name) in PUBLISHED:
            raise SystemExit(f"seed {name} is one of the published days: not for tuning")
    return names


def tuning_scenario(name: str, step_s: int | None = None) -> Scenario:
    """A day of ``tuning_days``: a random seed's, or a shipped scenario by name; in steps of
    ``step_s`` seconds if given, else its own."""
    scenario = generate(int(name)) if name.isdigit() else load(SCENARIOS / f"{name}.json")
    return scenario if step_s is None else dataclasses.replace(scenario, step_s=step_s)
