"""Instructions per planning cycle of one 16-outlet strip, counted by valgrind's callgrind.

Wall time on these shared machines is noise and they are not a Raspberry Pi; an instruction
count is neither. The engine plans every step of a busy day (the engine's inputs are recorded
first, through the bench's world), and callgrind counts the instructions of two runs that
differ only in whether the recorded inputs are planned; the difference over the number of
cycles is what one cycle executes. A Raspberry Pi 4 core (Cortex-A72, 1.5 GHz) is then given
a pessimistic 0.5 instructions per clock on CPython's interpreter loop (an out-of-order core
of that class retires about one or more): the time printed is an upper estimate, not a
measurement on a Pi.

python -m bench.instructions            # needs valgrind; about a minute
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import os
from pathlib import Path
import re
import subprocess
import sys
import tempfile

from balancing import Balancer, StripInput

from .policies import EnginePolicy, Strategy
from .scenario import generate, load
from .world import StripWorld

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
PI_HZ = 1.5e9
PI_IPC = 0.5


def recorded_inputs(name: str) -> list[StripInput]:
    """Every engine input of a day under ``smart``, as the bench's world builds them."""
    scenario = (
        generate(int(name.removeprefix("random-")))
        if name.startswith("random-")
        else (load(SCENARIOS / f"{name}.json"))
    )
    policy = EnginePolicy(Strategy.SMART)
    policy.reset(scenario)
    world = StripWorld(scenario)
    inputs = []
    for k in range(scenario.steps):
        t = k * world.dt
        limit = scenario.budget_at(t)
        strip = world.observe(t, limit)
        inputs.append(strip)
        world.step(policy.decide(t, strip, world.present(), scenario), limit)
    return inputs


def _plan_recorded(name: str, plan: bool) -> None:
    """The process callgrind counts: record the day's inputs and, with ``plan``, plan them."""
    inputs = recorded_inputs(name)
    if plan:
        engine = Balancer()
        for strip in inputs:
            engine.plan(strip)


def _count(name: str, plan: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-m",
                "bench.instructions",
                "--child",
                name,
                *(["--plan"] if plan else []),
            ],
            check=True,
            capture_output=True,
            env=os.environ | {"PYTHONHASHSEED": "0"},
        )
        totals = re.search(r"^summary:\s+(\d+)", out.read_text(), re.MULTILINE) or re.search(
            r"^totals:\s+(\d+)", out.read_text(), re.MULTILINE
        )
        assert totals is not None
        return int(totals.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--plan", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("days", nargs="*", default=["lecture", "random-1011"])
    args = parser.parse_args(argv)
    if args.child:
        _plan_recorded(args.child, args.plan)
        return 0
    for name in args.days:
        cycles = len(recorded_inputs(name))
        per_cycle = (_count(name, True) - _count(name, False)) / cycles
        print(
            f"{name}: {cycles} cycles, {per_cycle / 1e6:.2f} M instructions per cycle, "
            f"about {1000.0 * per_cycle / (PI_HZ * PI_IPC):.1f} ms on a 1.5 GHz core at "
            f"{PI_IPC:g} instructions per clock"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
