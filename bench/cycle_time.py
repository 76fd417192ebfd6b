"""Engine cycle time and memory for N strips of 16 busy outlets (docs/benchmarks.md section 3).

python -m bench.cycle_time 1 10 50 100                 # the table of docs/benchmarks.md
python -m bench.cycle_time --json out.json 1 10 100    # also the figures as JSON

The engine alone (``SiteBalancer``, no Home Assistant): every strip of 16 outlets (15 balanced,
random states: 40 % on, 60 % reporting, half with a known departure, one exception outlet) on
one shared circuit of 320 W per strip, planned together each cycle. Each cycle gets fresh
random inputs, built before the clock starts. Time: median and spread (10th-90th percentile)
over the cycles, and a least-squares line through the medians (the growth rate). Memory, in a
second pass under ``tracemalloc``: what the engine keeps between cycles (its memory of every
outlet), and the peak above that during one cycle, both per strip.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import gc
import json
import math
from pathlib import Path
import random
import statistics
import time
import tracemalloc
from typing import Any

from balancing import (
    Balancer,
    BatteryReport,
    Circuit,
    OutletInput,
    SiteBalancer,
    StripInput,
)

CIRCUIT_W_PER_STRIP = 320.0


def fleet(rng: random.Random, strip_id: str, now: float) -> StripInput:
    outlets = []
    for i in range(16):
        on = rng.random() < 0.4
        report = BatteryReport(rng.uniform(5, 100), on, 0.0) if rng.random() < 0.6 else None
        outlets.append(
            OutletInput(
                outlet_id=i,
                relay_on=on,
                power_w=rng.uniform(10, 90) if on else 0.0,
                max_power_w=rng.choice([65.0, 90.0, 100.0]),
                exception=i == 15,
                seconds_since_switch=rng.uniform(0, 3000),
                battery=report,
                departure_at=now + rng.uniform(600, 20000) if rng.random() < 0.5 else None,
            )
        )
    return StripInput(strip_id, now, 400.0, 3680.0, tuple(outlets))


def _site(strips: int) -> SiteBalancer:
    return SiteBalancer(
        Circuit("site", CIRCUIT_W_PER_STRIP * strips, strips=tuple(f"s{i}" for i in range(strips)))
    )


def _inputs(rng: random.Random, strips: int, cycle: int) -> dict[str, StripInput]:
    return {f"s{i}": fleet(rng, f"s{i}", 10.0 * cycle) for i in range(strips)}


def timed(strips: int, cycles: int = 20) -> list[float]:
    """Seconds per site cycle (every strip planned, one shared circuit), cycle by cycle."""
    rng = random.Random(strips)
    site = _site(strips)
    times = []
    for c in range(cycles):
        inputs = _inputs(rng, strips, c)
        start = time.perf_counter()
        site.plan(inputs)
        times.append(time.perf_counter() - start)
    return times


def memory(strips: int, cycles: int = 5) -> dict[str, float]:
    """Bytes the engine keeps per strip between cycles, and its peak above that in a cycle."""
    rng = random.Random(strips)
    prepared = [_inputs(rng, strips, c) for c in range(cycles + 1)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        site = _site(strips)
        for inputs in prepared[:-1]:
            site.plan(inputs)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.reset_peak()
        current = tracemalloc.get_traced_memory()[0]
        plan = site.plan(prepared[-1])
        peak = tracemalloc.get_traced_memory()[1] - current
        del plan
    finally:
        tracemalloc.stop()
    return {
        "retained_kib_per_strip": kept / 1024 / strips,
        "peak_kib_per_strip": peak / 1024 / strips,
    }


def fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least squares y = a + b x: (a, b)."""
    slope, intercept = statistics.linear_regression(xs, ys)
    return intercept, slope


def exponent(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The power k in y ~ x^k, fitted on logs (x >= 10 only, past fixed costs)."""
    pairs = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x >= 10 and y > 0]
    if len(pairs) < 2:
        return math.nan
    slope, _ = statistics.linear_regression([p[0] for p in pairs], [p[1] for p in pairs])
    return slope


def run(sizes: Sequence[int], cycles: int = 20) -> dict[str, Any]:
    single = Balancer()
    rng = random.Random(0)
    singles = []
    for c in range(200):
        strip = fleet(rng, "one", 10.0 * c)
        start = time.perf_counter()
        single.plan(strip)
        singles.append(time.perf_counter() - start)
    rows = []
    for n in sizes:
        times = sorted(timed(n, cycles))
        mem = memory(n)
        rows.append(
            {
                "strips": n,
                "median_ms": round(1000 * statistics.median(times), 2),
                "p10_ms": round(1000 * times[len(times) // 10], 2),
                "p90_ms": round(1000 * times[(9 * len(times)) // 10], 2),
                "ms_per_strip": round(1000 * statistics.median(times) / n, 3),
                "retained_kib_per_strip": round(mem["retained_kib_per_strip"], 1),
                "peak_kib_per_strip": round(mem["peak_kib_per_strip"], 1),
            }
        )
    xs = [r["strips"] for r in rows]
    a, b = fit(xs, [r["median_ms"] for r in rows]) if len(rows) >= 2 else (math.nan, math.nan)
    return {
        "single_strip_no_circuit_ms": round(1000 * statistics.median(singles), 3),
        "rows": rows,
        "fit_ms": {"intercept": round(a, 3), "per_strip": round(b, 4)},
        "exponent": round(exponent(xs, [r["median_ms"] for r in rows]), 3),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| strips | ms per site cycle: median (p10-p90) | ms per strip | memory kept, KiB per "
        "strip | peak in a cycle, KiB per strip |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['strips']} | {r['median_ms']} ({r['p10_ms']}-{r['p90_ms']}) "
            f"| {r['ms_per_strip']} | {r['retained_kib_per_strip']} | {r['peak_kib_per_strip']} |"
        )
    fitted = result["fit_ms"]
    lines.append("")
    lines.append(
        f"One strip alone (no circuit): {result['single_strip_no_circuit_ms']} ms per cycle. "
        f"Least squares: {fitted['intercept']} ms + {fitted['per_strip']} ms x strips; "
        f"log-log slope over 10+ strips {result['exponent']} (1 = linear)."
    )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 10, 50, 100])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(args.sizes or [1, 10, 50, 100], args.cycles)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
