"""Engine cycle time for N strips of 16 busy outlets (issue 8 section 3 will extend this).

python -m bench.cycle_time 1 10 100
"""

from __future__ import annotations

import random
import sys
import time

from balancing import (
    Balancer,
    BatteryReport,
    Circuit,
    OutletInput,
    SiteBalancer,
    StripInput,
)


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


def measure(strips: int, cycles: int = 20) -> float:
    """Median seconds per site cycle (every strip planned, one shared circuit)."""
    rng = random.Random(strips)
    site = SiteBalancer(
        Circuit("site", 400.0 * strips * 0.8, strips=tuple(f"s{i}" for i in range(strips)))
    )
    times = []
    for c in range(cycles):
        inputs = {f"s{i}": fleet(rng, f"s{i}", 10.0 * c) for i in range(strips)}
        start = time.perf_counter()
        site.plan(inputs)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1, 10, 50, 100]
    single = Balancer()
    rng = random.Random(0)
    start = time.perf_counter()
    for c in range(200):
        single.plan(fleet(rng, "one", 10.0 * c))
    print(f"one strip, engine alone: {1000 * (time.perf_counter() - start) / 200:.2f} ms/cycle")
    for n in sizes:
        print(f"{n} strips x 16 outlets with a shared circuit: {1000 * measure(n):.1f} ms/cycle")


if __name__ == "__main__":
    main()
