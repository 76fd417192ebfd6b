"""The tuning harness: ``smart`` alone (or with the peers) on chosen days, bounds cached.

The same code path as ``bench.run`` (the world, the information model, the engine, the LP
bound), without the other algorithms unless asked, so a change to the engine is measured on
the tuning days in about a minute. Only for days chosen for tuning (the shipped scenarios,
seeds 1000-1099 and 7000-7399); the published seeds are run by ``scripts/bench`` alone.

python -m bench.tune shipped 1000-1029
python -m bench.tune --peers shipped 1000-1019
python -m bench.tune --set '{"dwell_s": 300}' 1000-1019      # a Settings override
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
import json
from pathlib import Path
import statistics
from typing import Any

from balancing import Settings, Strategy

from . import acn, bound
from .days import tuning_days, tuning_scenario
from .policies import EnginePolicy, LimitedRelayOracle, LowestBatteryFirst, RelayOracle
from .report import DEFAULT, peers_beating
from .world import Policy, metrics, run


def _run_day(job: tuple[str, dict[str, Any], bool, list[float | None] | None]) -> dict[str, Any]:
    """One day under the tuned settings (and the peers): (day, Settings overrides, peers too,
    cached bounds or None)."""
    name, overrides, peers, cached = job
    scenario = tuning_scenario(name)
    upper = cached[0] if cached else bound.solve(scenario).value_wh
    alive = cached[1] if cached else bound.solve(scenario, alive=True).value_wh
    policies: list[Policy] = [EnginePolicy(Strategy.SMART, settings=Settings(**overrides))]
    if peers:
        policies += [RelayOracle(), LimitedRelayOracle(), LowestBatteryFirst(), *acn.algorithms()]
    results = {}
    for policy in policies:
        m = metrics(run(scenario, policy), upper, scenario.steps)
        m.pop("per_device")
        results[policy.name] = m
    return {"scenario": scenario.name, "bounds": [upper, alive], "results": results}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="+", help="'shipped', seeds, or ranges like 1000-1019")
    parser.add_argument("--set", default="{}", help="Settings overrides as JSON")
    parser.add_argument("--peers", action="store_true", help="also the peers told the truth")
    parser.add_argument("--cache", type=Path, default=Path(".bench-bounds.json"))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    cache: dict[str, Any] = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    names = tuning_days(args.days)
    keys = [tuning_scenario(n).name for n in names]
    jobs = [
        (n, json.loads(args.set), args.peers, cache.get(k))
        for n, k in zip(names, keys, strict=True)
    ]
    runs = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for r in pool.map(_run_day, jobs):
            runs.append(r)
            cache[r["scenario"]] = r["bounds"]
            m = r["results"][DEFAULT]
            beaten = ", ".join(peers_beating(r["results"])) if args.peers else ""
            print(
                f"{r['scenario']:24s} gain {m['gain_ratio']} ratio {m['ratio']} dead "
                f"{m['dead_minutes']:g} ({m['reporting_dead_minutes']:g} / "
                f"{m['blind_dead_minutes']:g}) viol {m['violation_wh']} "
                f"sw {m['switches_per_outlet_hour']} {beaten}",
                flush=True,
            )
    args.cache.write_text(json.dumps(cache))
    for name in runs[0]["results"]:
        ms = [r["results"][name] for r in runs]
        gains = [m["gain_ratio"] for m in ms if m["gain_ratio"] is not None]
        ratios = [m["ratio"] for m in ms if m["ratio"] is not None]
        sw = [m["switches_per_outlet_hour"] for m in ms]
        print(
            f"{name:32s} gain {statistics.mean(gains):.4f} (min {min(gains):.4f}) ratio "
            f"{statistics.mean(ratios):.4f} (min {min(ratios):.4f}) dead "
            f"{sum(m['dead_minutes'] for m in ms):g} "
            f"({sum(m['reporting_dead_minutes'] for m in ms):g} / "
            f"{sum(m['blind_dead_minutes'] for m in ms):g}) viol "
            f"{sum(m['violation_wh'] for m in ms):.3f} sw {statistics.mean(sw):.2f} / {max(sw):.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
