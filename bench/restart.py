"""What a restart of Home Assistant in the middle of a day costs ``smart``, with and without the
engine's memory kept (``balancing.persist``, saved by the integration's ``engine_memory``).

python -m bench.restart 7000-7099
python -m bench.restart --at 0.25 --json out.json 7000-7099

Each day runs three times: never restarted; restarted ``--at`` of the way through the day (a
share: 0.5 is halfway) with the
engine's memory lost (a fresh engine); restarted with it kept,
through the same encoding the integration stores, as JSON. The restart takes no time here: what
is measured is the memory alone (while Home Assistant is down the agent runs its own failsafe,
the same with or without it). The restarted process reads its clock from another origin (a
rebooted host's monotonic clock), so the kept memory must carry over by its time alone.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
import json
from pathlib import Path
from typing import Any

from balancing import Strategy, StripInput
from balancing.persist import decode, encode

from .information import seeds, table
from .policies import EnginePolicy
from .scenario import Scenario, generate
from .world import Decision, Present, metrics, run

CLOCK_JUMP_S = -50_000.0  # the restarted process's clock against the first one's


@dataclass(slots=True)
class Restarted:
    """``smart`` whose host restarts ``at`` of the way through the day: a new engine from then
    on (``keep``: resumed from the old one's memory, encoded and decoded as stored)."""

    at: float
    keep: bool
    name: str = ""
    inner: EnginePolicy = field(default_factory=lambda: EnginePolicy(Strategy.SMART))
    _last_t: float = 0.0
    _restarted: bool = False
    _at_s: float = 0.0

    def __post_init__(self) -> None:
        self.name = self.name or f"smart, restarted, memory {'kept' if self.keep else 'lost'}"

    def reset(self, scenario: Scenario) -> None:
        self.inner.reset(scenario)
        self._restarted = False
        self._at_s = self.at * scenario.duration_s

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        if t >= self._at_s and not self._restarted:
            self._restarted = True
            old = self.inner.engine
            state = None if old is None else old.snapshot()
            self.inner.reset(scenario)  # the new process: a fresh engine
            new = self.inner.engine
            if self.keep and state is not None and new is not None:
                stored = json.loads(json.dumps(encode(state)))
                new.resume(decode(stored), now=t + CLOCK_JUMP_S, elapsed_s=t - self._last_t)
        if self._restarted:
            strip = _shifted(strip, CLOCK_JUMP_S)
        self._last_t = t
        return self.inner.decide(t, strip, present, scenario)


def _shifted(strip: StripInput, by: float) -> StripInput:
    """The input on a clock ``by`` seconds off: its times, not its durations, move."""
    outlets = tuple(
        o if o.departure_at is None else replace(o, departure_at=o.departure_at + by)
        for o in strip.outlets
    )
    return replace(strip, now=strip.now + by, outlets=outlets)


def policies(at: float) -> list[EnginePolicy | Restarted]:
    """Never restarted, restarted with the memory lost, restarted with it kept."""
    return [
        EnginePolicy(Strategy.SMART, name="smart, never restarted"),
        Restarted(at, keep=False),
        Restarted(at, keep=True),
    ]


def _day(job: tuple[int, float]) -> dict[str, Any]:
    from . import bound  # noqa: PLC0415 - SciPy: the policies are tested without it

    seed, at = job
    scenario = generate(seed)
    upper = bound.solve(scenario).value_wh
    rows = {}
    for policy in policies(at):
        rows[policy.name] = metrics(run(scenario, policy), upper, scenario.steps)
        rows[policy.name].pop("per_device")
    return {"scenario": scenario.name, "bound_wh": upper, "results": rows}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="+", help="seeds, or ranges like 7000-7099")
    parser.add_argument("--at", type=float, default=0.5, help="share of the day, 0-1")
    parser.add_argument("--json", type=Path, help="write every day's figures here")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    jobs = [(seed, args.at) for seed in seeds(args.days)]
    with ProcessPoolExecutor(args.jobs) as pool:
        days = list(pool.map(_day, jobs))
    if args.json:
        args.json.write_text(json.dumps(days, indent=1) + "\n")
    print(table(days, first="`smart`"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
