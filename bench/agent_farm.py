"""Many real simulated agents in one process, for the scale benchmark (docs/benchmarks.md
section 3).

python -m bench.agent_farm --count 100 --dir /tmp/farm --out /tmp/farm/agents.json

Each agent is the real ``pi_agent`` runtime (its HTTP API, event stream, guard, sampling loop
and energy counters) with the simulated fleet of 16 outlets, started by the integration tests'
own helper (``tests.support.agent.start_agent``) on its own loopback port; they share one
process and one event loop instead of one process each, so 100 of them fit on a 2-core
machine. ``--out`` lists, once every agent serves, each one's port, token and serial. The farm
runs until SIGTERM, SIGINT or its standard input closes, then stops every agent as SIGTERM
would (relays safe, state saved).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import replace
import json
from pathlib import Path
import signal
import sys

from pi_agent.simulation import SIM_STRIP
from tests.support.agent import RunningAgent, start_agent


async def farm(count: int, root: Path, out: Path, sample_hz: float) -> None:
    strip = replace(SIM_STRIP, sample_hz=sample_hz)
    agents: list[RunningAgent] = []
    for i in range(count):
        agents.append(
            await start_agent(root / f"strip-{i:03d}", seed=1 + i, outlets=16, strip=strip)
        )
    listing = [
        {"host": a.host, "port": a.port, "token": a.token, "serial": a.serial} for a in agents
    ]
    await asyncio.to_thread(out.write_text, json.dumps(listing))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):  # after the agents' own handlers
        loop.add_signal_handler(signum, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
    await stop.wait()
    with contextlib.suppress(Exception):
        loop.remove_reader(sys.stdin.fileno())
    await asyncio.gather(*(a.stop() for a in agents), return_exceptions=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sample-hz", type=float, default=SIM_STRIP.sample_hz)
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(farm(args.count, args.dir, args.out, args.sample_hz))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
