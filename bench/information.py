"""Where ``smart``'s gap to the bound comes from: the same days, more of the truth told.

python -m bench.information 7000-7099
python -m bench.information --json out.json 9400-9439

``smart`` runs on each day as the strip knows it, then with more of the truth given through the
product's own channels, one level on top of the other:

- ``as the strip knows``: the day as drawn (``bench.knowledge``'s information model);
- ``every laptop reports``: the laptops without a reporter or a battery sensor get the reporter;
- ``every departure given``: every user gives their usual departure (still with its noise);
- ``every charge limit set``: every user sets a charge limit at their target.

Two references told everything close the table: ``reference:relay_oracle_limited``, held to a
switching discipline within the product's limit, and ``reference:relay_oracle``, held to none.
``smart`` at the last level against the limited oracle is what its decisions cost; the first
level against the last is what the strip's information costs. The chargers' draws are not a
level: no channel of the product tells a draw before the outlet is on.

A measurement, not a tuning tool: it runs the committed engine. A change chosen on what it
shows is still measured on days fixed beforehand (``bench.tune``, docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
import json
from pathlib import Path
import statistics
from typing import Any

from balancing import Strategy

from .policies import EnginePolicy, LimitedRelayOracle, RelayOracle
from .scenario import Device, Scenario, generate
from .world import Policy, metrics, run


def _reporting(d: Device) -> Device:
    return d if d.reports_battery else replace(d, reports_battery=True, battery_via="reporter")


def _departing(d: Device) -> Device:
    return replace(_reporting(d), departure_known=True)


def _limited(d: Device) -> Device:
    return replace(_departing(d), limit_set=True)


#: Each level's name and what it changes in every laptop's stay.
LEVELS: tuple[tuple[str, Callable[[Device], Device]], ...] = (
    ("as the strip knows", lambda d: d),
    ("every laptop reports", _reporting),
    ("every departure given", _departing),
    ("every charge limit set", _limited),
)
REFERENCES: tuple[Callable[[], Policy], ...] = (LimitedRelayOracle, RelayOracle)


def told(scenario: Scenario, level: Callable[[Device], Device]) -> Scenario:
    """The day with every stay as ``level`` makes it."""
    return replace(scenario, devices=tuple(level(d) for d in scenario.devices))


def _day(seed: int) -> dict[str, Any]:
    # The LP bound needs SciPy: the levels themselves are used (and tested) without it.
    from . import bound  # noqa: PLC0415

    scenario = generate(seed)
    upper = bound.solve(scenario).value_wh
    rows: dict[str, Any] = {}
    for name, level in LEVELS:
        out = run(told(scenario, level), EnginePolicy(Strategy.SMART))
        rows[name] = metrics(out, upper, scenario.steps)
    for make in REFERENCES:
        policy = make()
        rows[policy.name] = metrics(run(scenario, policy), upper, scenario.steps)
    for m in rows.values():
        m.pop("per_device")
    return {"scenario": scenario.name, "bound_wh": upper, "results": rows}


def table(days: Sequence[dict[str, Any]], first: str = "`smart` told / reference") -> str:
    """One row per level and reference (``first``: the first column's title), over ``days``."""
    lines = [
        f"| {first} | mean gain ratio | min | dead min (reporting / blind) "
        "| over budget Wh | switches/outlet-h mean / max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in days[0]["results"]:
        ms = [d["results"][name] for d in days]
        gains = [m["gain_ratio"] for m in ms if m["gain_ratio"] is not None]
        sw = [m["switches_per_outlet_hour"] for m in ms]
        lines.append(
            f"| {name} | {statistics.mean(gains):.4f} | {min(gains):.4f} "
            f"| {sum(m['dead_minutes'] for m in ms):g} "
            f"({sum(m['reporting_dead_minutes'] for m in ms):g} / "
            f"{sum(m['blind_dead_minutes'] for m in ms):g}) "
            f"| {sum(m['violation_wh'] for m in ms):.3f} "
            f"| {statistics.mean(sw):.2f} / {max(sw):.2f} |"
        )
    return "\n".join(lines) + "\n"


def seeds(specs: Sequence[str]) -> list[int]:
    seeds: list[int] = []
    for spec in specs:
        lo, _, hi = spec.partition("-")
        seeds += range(int(lo), int(hi or lo) + 1)
    return seeds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="+", help="seeds, or ranges like 7000-7099")
    parser.add_argument("--json", type=Path, help="write every day's figures here")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    with ProcessPoolExecutor(args.jobs) as pool:
        days = list(pool.map(_day, seeds(args.days)))
    if args.json:
        args.json.write_text(json.dumps(days, indent=1) + "\n")
    print(table(days))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
