"""The summary tables of docs/benchmarks.md section 1, computed from the run's JSON.

python -m bench.report bench/results/section1.json
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import json
from pathlib import Path
import statistics
import sys
from typing import Any

DEFAULT = "smartmulti:smart"
ORACLE = "reference:relay_oracle"
RATIO_TARGET = 0.95
SWITCH_TARGET = 4.0


def acn_better_on_both(results: Mapping[str, Any]) -> list[str]:
    """ACN-Sim algorithms with more energy delivered and fewer dead minutes than smart."""
    mine = results[DEFAULT]
    return [
        name
        for name, m in results.items()
        if name.startswith("acnsim:")
        and m["delivered_wh"] > mine["delivered_wh"]
        and m["dead_minutes"] < mine["dead_minutes"]
    ]


def _best_acn(results: Mapping[str, Any]) -> str:
    name, m = max(
        ((n, m) for n, m in results.items() if n.startswith("acnsim:")),
        key=lambda item: item[1]["delivered_wh"],
    )
    return f"{name.split(':')[1]} ({m['ratio']}, {m['dead_minutes']:g})"


def scenario_table(runs: Sequence[Mapping[str, Any]]) -> str:
    """One row per scenario: the default strategy against the targets and the references."""
    lines = [
        "| scenario | bound Wh | alive bound Wh | smart ratio | relay oracle ratio | dead min "
        "(blind) | violation Wh | switches/outlet-h | demands met | best ACN-Sim (ratio, dead "
        "min) | ACN-Sim better on both? |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in runs:
        m = r["results"][DEFAULT]
        oracle = r["results"].get(ORACLE, {}).get("ratio")
        better = acn_better_on_both(r["results"])
        alive = "infeasible" if r["alive_bound_wh"] is None else r["alive_bound_wh"]
        lines.append(
            f"| {r['scenario']} | {r['bound_wh']} | {alive} | {m['ratio']} | {oracle} "
            f"| {m['dead_minutes']:g} ({m.get('blind_dead_minutes', 0):g}) "
            f"| {m['violation_wh']} | {m['switches_per_outlet_hour']} | {m['demands_met']} "
            f"| {_best_acn(r['results'])} | {', '.join(better) or 'no'} |"
        )
    return "\n".join(lines) + "\n"


def algorithm_table(runs: Sequence[Mapping[str, Any]]) -> str:
    """Every algorithm summarised over a set of scenarios."""
    names = list(runs[0]["results"])
    lines = [
        "| algorithm | mean ratio | min ratio | dead min (sum, where alive is feasible) "
        "| violation Wh (sum) | switches/outlet-h (mean / max) | demands met (mean) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        ms = [r["results"][name] for r in runs]
        ratios = [m["ratio"] for m in ms if m["ratio"] is not None]
        dead = sum(
            m["dead_minutes"]
            for r, m in zip(runs, ms, strict=True)
            if r["alive_bound_wh"] is not None
        )
        sw = [m["switches_per_outlet_hour"] for m in ms]
        lines.append(
            f"| {name} | {statistics.mean(ratios):.4f} | {min(ratios):.4f} | {dead:g} "
            f"| {sum(m['violation_wh'] for m in ms):.3f} "
            f"| {statistics.mean(sw):.2f} / {max(sw):.2f} "
            f"| {statistics.mean(m['demands_met'] for m in ms):.3f} |"
        )
    return "\n".join(lines) + "\n"


def matrix(runs: Sequence[Mapping[str, Any]]) -> str:
    """Every algorithm on every scenario: ratio / dead minutes / switches per outlet-hour."""
    names = list(runs[0]["results"])
    lines = [
        "| algorithm | " + " | ".join(r["scenario"] for r in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for name in names:
        cells = []
        for r in runs:
            m = r["results"][name]
            cells.append(
                f"{m['ratio']} / {m['dead_minutes']:g} / {m['switches_per_outlet_hour']:.1f}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def targets(runs: Sequence[Mapping[str, Any]]) -> str:
    """Each target of issue 8 for the default strategy: where it is met and by how much not."""
    misses: dict[str, list[str]] = {"dead": [], "ratio": [], "acn": [], "violation": [], "sw": []}
    for r in runs:
        m, name = r["results"][DEFAULT], r["scenario"]
        if r["alive_bound_wh"] is not None and m["dead_minutes"] > 0:
            blind = m.get("blind_dead_minutes", 0)
            misses["dead"].append(f"{name} {m['dead_minutes']:g} ({blind:g} blind)")
        if m["ratio"] is not None and m["ratio"] < RATIO_TARGET:
            oracle = r["results"].get(ORACLE, {}).get("ratio")
            misses["ratio"].append(f"{name} {m['ratio']} (oracle {oracle})")
        if acn_better_on_both(r["results"]):
            misses["acn"].append(name)
        if m["violation_wh"] > 0:
            misses["violation"].append(f"{name} {m['violation_wh']} Wh")
        if m["switches_per_outlet_hour"] > SWITCH_TARGET:
            misses["sw"].append(f"{name} {m['switches_per_outlet_hour']}")
    labels = {
        "dead": "0 dead minutes wherever the alive bound is feasible",
        "ratio": f"ratio >= {RATIO_TARGET}",
        "acn": "no ACN-Sim algorithm better on both dead minutes and delivered energy",
        "violation": "violation 0",
        "sw": f"<= {SWITCH_TARGET:g} switches per outlet-hour",
    }
    lines = [f"| target | missed on (of {len(runs)}) |", "|---|---|"]
    for key, label in labels.items():
        lines.append(f"| {label} | {'; '.join(misses[key]) or 'met everywhere'} |")
    return "\n".join(lines) + "\n"


def summary(runs: Sequence[Mapping[str, Any]]) -> str:
    """The markdown printed by ``scripts/bench`` and pasted into docs/benchmarks.md."""
    shipped = [r for r in runs if not r["scenario"].startswith("random-")]
    drawn = [r for r in runs if r["scenario"].startswith("random-")]
    parts = []
    for title, group in (("Shipped scenarios", shipped), ("Random scenarios", drawn)):
        if group:
            parts += [f"#### {title}\n", scenario_table(group), algorithm_table(group)]
            if group is shipped:
                parts.append(matrix(group))
            parts.append(targets(group))
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else Path("bench/results/section1.json")
    runs = json.loads(path.read_text())
    print(summary(runs if isinstance(runs, list) else [runs]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
