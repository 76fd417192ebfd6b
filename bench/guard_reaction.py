"""How fast the agent's guard cuts an overload, in the real sampling loop (docs/benchmarks.md
section 2).

A laptop's draw steps up so the strip's measured total passes its limit; we time from the first
sample over the limit, plus the configured hold, to the relay switching off. The agent runs its
own asyncio sampling loop at its configured rate on this (shared, noisy) machine, so the figures
include real scheduling jitter. Outlets take turns being the one that surges, so one trial does
not wait for the previous outlet to come back.

    .venv/bin/python -m bench.guard_reaction --trials 200 --json bench/results/guard.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import replace
import json
import math
from pathlib import Path
import secrets
import statistics
import tempfile
import time
from typing import Any

from pi_agent.auth import Tokens
from pi_agent.control.guard import Guard
from pi_agent.hardware.base import Meter, Reading, Relay
from pi_agent.hardware.bundle import Hardware
from pi_agent.runtime import Agent, Identity
from pi_agent.simulation import SIM_STRIP, simulated

LIMIT_W = 700.0
EXTRA_W = 120.0  # the step: enough to pass the limit whatever the laptops draw


class SurgingMeter:
    """A meter whose outlet draws ``extra_w`` more while the surge is on and the relay is on."""

    def __init__(self, inner: Meter, relay: Relay) -> None:
        self.inner = inner
        self.relay = relay
        self.extra_w = 0.0

    def read(self) -> Reading:
        reading = self.inner.read()
        if not self.extra_w or not self.relay.is_on:
            return reading
        power = reading.power_w + self.extra_w
        return Reading(reading.voltage_v, power / reading.voltage_v, power)

    def close(self) -> None:
        self.inner.close()


class TimedRelay:
    """Records when the agent switches it off, and since when the guard had seen the overload.

    The guard notes the first sample over the limit (``over_since``, on the agent's monotonic
    clock) and sheds in the same step, so both ends of a trial are read at the switch-off.
    """

    def __init__(self, inner: Relay) -> None:
        self.inner = inner
        self.guard: Guard | None = None
        self.trial: tuple[float, float] | None = None
        self.done = asyncio.Event()

    @property
    def is_on(self) -> bool:
        return self.inner.is_on

    def set(self, on: bool) -> None:
        self.inner.set(on)
        if not on and self.guard is not None and self.guard.over_since is not None:
            self.trial = (self.guard.over_since, time.monotonic())
            self.done.set()

    def close(self) -> None:
        self.inner.close()


async def run(trials: int, sample_hz: float, hold_s: float) -> dict[str, Any]:
    strip = replace(
        SIM_STRIP,
        hard_limit_w=LIMIT_W,
        failsafe_budget_w=LIMIT_W,
        hold_s=hold_s,
        sample_hz=sample_hz,
        stagger_s=0.2,
        min_on_s=0.0,
        min_off_s=0.0,
    )
    config, base, _ = simulated(strip, seed=5, speed=1.0, outlets=16)
    relays = [TimedRelay(r) for r in base.relays]
    meters = {i: SurgingMeter(m, relays[i - 1]) for i, m in base.meters.items()}
    hardware = Hardware(relays=list(relays), meters=dict(meters), advance=base.advance)
    reactions_s: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        agent = Agent(
            config,
            hardware,
            identity=Identity(serial="bench", name="bench", simulated=True),
            tokens=Tokens(admin=secrets.token_hex(16), reporter=secrets.token_hex(16)),
            data_dir=Path(tmp),
        )
        controller = agent.controller
        for relay in relays:
            relay.guard = controller.guard
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run("127.0.0.1", 0, stop=stop))
        try:
            await asyncio.sleep(15)  # the failsafe fills the strip; chargers settle
            for _ in range(trials):
                on = [o for o in controller.outlets if o.relay_on and not o.exception]
                target = max(on, key=lambda o: o.reading.power_w if o.reading else 0.0)
                relay, meter = relays[target.id - 1], meters[target.id]
                relay.trial = None
                relay.done.clear()
                meter.extra_w = controller.limit_w - controller.total_w + EXTRA_W
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(relay.done.wait(), hold_s + 5)
                meter.extra_w = 0.0
                if relay.trial is None:
                    raise RuntimeError(f"outlet {target.id}: the guard did not act")
                first_over, off = relay.trial
                reactions_s.append(off - first_over - hold_s)
                target.shed_until = 0.0  # the bench lets it back at once for later trials
                await asyncio.sleep(0.3)
        finally:
            stop.set()
            await task
    period_ms = 1000.0 / sample_hz
    reaction_ms = sorted(r * 1000.0 for r in reactions_s)
    return {
        "trials": len(reaction_ms),
        "sample_hz": sample_hz,
        "hold_s": hold_s,
        "p50_ms": _percentile(reaction_ms, 50),
        "p99_ms": _percentile(reaction_ms, 99),
        "max_ms": reaction_ms[-1],
        "mean_ms": statistics.fmean(reaction_ms),
        "p50_samples": _percentile(reaction_ms, 50) / period_ms,
        "p99_samples": _percentile(reaction_ms, 99) / period_ms,
        "bound_ms": period_ms,
    }


def _percentile(sorted_values: list[float], q: float) -> float:
    rank = max(0, math.ceil(q / 100 * len(sorted_values)) - 1)
    return sorted_values[rank]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--sample-hz", type=float, default=5.0)
    parser.add_argument("--hold", type=float, default=1.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = asyncio.run(run(args.trials, args.sample_hz, args.hold))
    print(
        f"guard reaction over {result['trials']} overloads at {result['sample_hz']:g} Hz, "
        f"hold {result['hold_s']:g} s: p50 {result['p50_ms']:.0f} ms "
        f"({result['p50_samples']:.2f} sample periods), p99 {result['p99_ms']:.0f} ms "
        f"({result['p99_samples']:.2f} periods), max {result['max_ms']:.0f} ms; "
        f"one sample period is {result['bound_ms']:.0f} ms"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
