"""The scale tables of docs/benchmarks.md section 3, from the two scale runs' JSON.

python -m bench.scale_report bench/results/scale_engine.json bench/results/scale_coordinator.json
"""

from __future__ import annotations

from collections.abc import Sequence
import json
from pathlib import Path
import sys
from typing import Any

from .cycle_time import exponent, fit, markdown as engine_markdown


def coordinator_markdown(runs: Sequence[dict[str, Any]]) -> str:
    timed = {r["strips"]: r for r in runs if r["pass"] == "timed"}
    memory = {r["strips"]: r for r in runs if r["pass"] == "memory"}
    sizes = sorted(timed)
    lines = [
        "| strips | site cycle ms: median (p10-p90) | of which engine ms | of which plans sent ms "
        "| cycles | HA / agents CPU, cores | HA loop lag p50 / p95 ms | entity state writes per s "
        "| memory kept, KiB per strip (3 cycles later) | peak in a cycle, KiB per strip |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        t, m = timed[n], memory.get(n, {})
        c = t["cycle_ms"]
        lag = t.get("loop_lag_ms") or {}
        lines.append(
            f"| {n} | {c['median']} ({c['p10']}-{c['p90']}) | {t['engine_ms']['median']} "
            f"| {t['send_ms']['median']} | {t['cycles']} "
            f"| {t.get('ha_cores', '')} / {t.get('agents_cores', '')} "
            f"| {lag.get('median', '')} / {lag.get('p95', '')} "
            f"| {t.get('state_writes_per_s', '')} "
            f"| {m.get('retained_kib_per_strip', '')} "
            f"({m.get('retained_3_cycles_later_kib_per_strip', '')}) "
            f"| {m.get('cycle_peak_kib_per_strip', '')} |"
        )
    lines.append("")
    if len(sizes) >= 2:
        for label, key in (
            ("site cycle", "cycle_ms"),
            ("engine", "engine_ms"),
            ("plans sent", "send_ms"),
        ):
            ys = [timed[n][key]["median"] for n in sizes]
            a, b = fit(sizes, ys)
            lines.append(
                f"- {label}: least squares {a:.2f} ms + {b:.3f} ms x strips; log-log slope over "
                f"10+ strips {exponent(sizes, ys):.2f}"
            )
        kept = [m for m in sorted(memory) if m in memory]
        if len(kept) >= 2:
            a, b = fit(kept, [memory[n]["retained_kib"] for n in kept])
            lines.append(
                f"- memory kept: least squares {a:.0f} KiB + {b:.0f} KiB x strips "
                f"({b / 1024:.2f} MiB per strip)"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    engine = json.loads(Path(args[0]).read_text())
    print("Engine alone (bench/cycle_time.py):\n")
    print(engine_markdown(engine))
    if len(args) > 1 and Path(args[1]).exists():
        print("Through the integration's site cycle (bench/coordinator/bench_site_cycle.py):\n")
        print(coordinator_markdown(json.loads(Path(args[1]).read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
