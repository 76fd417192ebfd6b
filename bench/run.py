"""Section 1 of docs/benchmarks.md: every algorithm on each scenario, side by side.

python -m bench.run --scenario bench/scenarios/lecture.json --json out.json
python -m bench.run --all --random 20 --seed 4000 --json results.json --plots docs/img --markdown
python -m bench.run --random 40 --seed 10500 --step-s 10 --smart-only --json smart_10s.json
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
import dataclasses
import json
import os
from pathlib import Path
import sys
from typing import Any

from balancing import Strategy

from . import acn, bound, plots, report
from .policies import (
    AllOn,
    EnginePolicy,
    FirstCome,
    LimitedRelayOracle,
    LowestBatteryFirst,
    RelayOracle,
    RoundRobinSlices,
)
from .scenario import Scenario, ScenarioError, generate, load
from .world import Policy, metrics, run

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
DEFAULT = "smartmulti:smart"


def policies() -> list[Policy]:
    """Every algorithm compared, the default strategy first."""
    mine: list[Policy] = [
        EnginePolicy(Strategy.SMART),
        EnginePolicy(Strategy.TOTAL_CAP),
        EnginePolicy(Strategy.MAX_OUTLETS),
        EnginePolicy(Strategy.BATTERY_PRIORITY),
    ]
    baselines: list[Policy] = [
        AllOn(),
        FirstCome(count=True),
        FirstCome(),
        RoundRobinSlices(),
    ]
    return [
        *mine,
        *baselines,
        *acn.algorithms(),
        RelayOracle(),
        LimitedRelayOracle(),
        LowestBatteryFirst(),
    ]


def _best_peer(results: dict[str, Any]) -> str:
    """The algorithm other than ``smart`` that added the most energy with the fewest dead
    minutes (dead minutes first)."""
    return min(
        (n for n in results if n != DEFAULT),
        key=lambda n: (results[n]["dead_minutes"], -results[n]["added_wh"]),
    )


def bench(
    scenario: Scenario,
    plot_dir: Path | None = None,
    charges: Sequence[str] = (),
    step_s: int | None = None,
    smart_only: bool = False,
) -> dict[str, Any]:
    """All algorithms (or ``smart`` alone) and both bounds on one scenario, as one JSON object.

    ``step_s``: the algorithms run on steps this long instead of the scenario's (the
    integration plans every 10 s); the bounds stay on the scenario's own steps: at 10 s the LP
    of a 60 s day takes 45 times as long for the same value (1614.2 Wh against 1614.4 Wh on
    random-10400).
    ``ms_per_cycle`` is measured in whichever process runs the scenario; compare it between
    algorithms of one scenario only (the machines are shared and noisy).
    """
    upper = bound.solve(scenario)
    alive = bound.solve(scenario, alive=True)
    if step_s is not None:
        scenario = dataclasses.replace(scenario, step_s=step_s)
    results: dict[str, Any] = {}
    traces: dict[str, list[float]] = {}
    socs: dict[str, Any] = {}
    for policy in [EnginePolicy(Strategy.SMART)] if smart_only else policies():
        out = run(scenario, policy)
        results[policy.name] = metrics(out, upper.value_wh, scenario.steps)
        traces[policy.name] = out.draw_trace
        socs[policy.name] = out.soc_trace
    if plot_dir is not None and not scenario.name.startswith("random-"):
        plots.draws(scenario, traces, plot_dir / f"{scenario.name}-draw.png")
    if plot_dir is not None and scenario.name in charges:
        peer = _best_peer(results)
        plots.charges(
            scenario,
            {DEFAULT: socs[DEFAULT], peer: socs[peer]},
            plot_dir / f"{scenario.name}-charges.png",
        )
    return {
        "scenario": scenario.name,
        "bound_wh": None if upper.value_wh is None else round(upper.value_wh, 2),
        "alive_bound_wh": None if alive.value_wh is None else round(alive.value_wh, 2),
        "initial_wh": round(
            sum(d.capacity_wh * min(d.soc0, d.target_soc) for d in scenario.devices), 2
        ),
        "results": results,
    }


def table(runs: Sequence[dict[str, Any]], names: Sequence[str] | None = None) -> str:
    """A markdown table: one row per scenario and algorithm."""
    head = (
        "| scenario | algorithm | delivered Wh | ratio | gain ratio | demands met | dead min "
        "| violation Wh | switches/outlet-h |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    rows = []
    for r in runs:
        alive = "alive bound infeasible" if r["alive_bound_wh"] is None else ""
        rows.append(
            f"| **{r['scenario']}** | bound {r['bound_wh']} Wh, alive {r['alive_bound_wh']} Wh {alive} | | | | | | | |"
        )
        for name, m in r["results"].items():
            if names is not None and name not in names:
                continue
            rows.append(
                f"| | {name} | {m['delivered_wh']} | {m['ratio']} | {m['gain_ratio']} "
                f"| {m['demands_met']} | {m['dead_minutes']} | {m['violation_wh']} "
                f"| {m['switches_per_outlet_hour']} |"
            )
    return head + "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", type=Path, default=[])
    parser.add_argument("--all", action="store_true", help="every file in bench/scenarios")
    parser.add_argument("--random", type=int, default=0, help="this many random scenarios")
    parser.add_argument("--seed", type=int, default=4000, help="first random seed")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--plots", type=Path, help="write PNG plots into this folder")
    parser.add_argument("--markdown", action="store_true", help="print the summary tables")
    parser.add_argument(
        "--charges",
        action="append",
        default=[],
        help="plot each laptop's charge on this scenario (by name) under smart and its best peer",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument(
        "--step-s", type=int, help="run the algorithms on steps this long (seconds, 1-3600)"
    )
    parser.add_argument("--smart-only", action="store_true", help="run smart alone")
    args = parser.parse_args(argv)
    if args.step_s is not None and not 1 <= args.step_s <= 3600:
        parser.error("--step-s must be a whole number of seconds from 1 to 3600")
    if args.smart_only and (args.markdown or args.plots):
        parser.error("--markdown and --plots compare the algorithms: not with --smart-only")
    try:
        scenarios = [load(p) for p in args.scenario]
        if args.all:
            scenarios += [load(p) for p in sorted(SCENARIOS.glob("*.json"))]
    except ScenarioError as err:
        parser.error(str(err))
    scenarios += [generate(args.seed + i) for i in range(args.random)]
    if not scenarios:
        parser.error("nothing to run: give --scenario, --all or --random")
    if args.plots:
        args.plots.mkdir(parents=True, exist_ok=True)
    runs = []
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        n = len(scenarios)
        for result in pool.map(
            bench,
            scenarios,
            [args.plots] * n,
            [args.charges] * n,
            [args.step_s] * n,
            [args.smart_only] * n,
        ):
            runs.append(result)
            m = result["results"][DEFAULT]
            print(
                f"{result['scenario']}: bound {result['bound_wh']} "
                f"alive {result['alive_bound_wh']} | smart gain {m['gain_ratio']} "
                f"ratio {m['ratio']} dead {m['reporting_dead_minutes']}/"
                f"{m['blind_dead_minutes']}/{m['dead_minutes']} viol {m['violation_wh']} "
                f"sw/h {m['switches_per_outlet_hour']} met {m['demands_met']}",
                file=sys.stderr,
            )
    if args.plots:
        plots.summary(runs, args.plots / "ratios.png")
    if args.json:
        payload: Any = runs[0] if len(runs) == 1 else runs
        args.json.write_text(json.dumps(payload, indent=1) + "\n")
    if args.markdown:
        print(report.summary(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
