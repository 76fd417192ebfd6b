"""Is a change to ``smart`` better, or luck? Two engines on many days, compared day by day.

A change to the engine moves each day's energy a few percent either way: a laptop served a
minute sooner or later changes who is served next, all day long. On a hundred days a mean
moved by 0.002 is within that noise. This runs ``smart`` on many days without the LP bound
(a tenth of the time), so a thousand days take minutes, and compares the energy added to
the laptops day by day: the mean of the relative differences and its standard error. A
change is a gain only where that mean is well above twice its error, and the dead minutes,
overruns and switches do not pay for it.

Two Settings are compared in one run (``--set`` against ``--base-set``). A change to the code
is compared across two checkouts: each writes its days with ``--json``, then one reads the
other's with ``--against`` (the days must be the same). Only days chosen for tuning
(``bench.days``): seeds from 11000 up but the twentieth published list (13000–13039).

python -m bench.compare --set '{"early_look_share": 0.8}' 11000-12999
python -m bench.compare --json /tmp/before.json 11000-12999        # in the checkout before
python -m bench.compare --against /tmp/before.json 11000-12999     # in the checkout after
python -m bench.compare --rating 100 --json /tmp/rated.json 1000-1099   # every outlet at 100 W
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
import dataclasses
import json
import math
from pathlib import Path
import statistics
from typing import Any

from balancing import Settings, Strategy

from .days import tuning_days, tuning_scenario
from .policies import EnginePolicy
from .scenario import MAX_OUTLET_W
from .world import metrics, run

# The figures of ``bench.world.metrics`` compared (without the bound, it has no ratios).
_FIGURES = (
    "added_wh",
    "dead_minutes",
    "reporting_dead_minutes",
    "blind_dead_minutes",
    "violation_wh",
    "switches_per_outlet_hour",
    "refused_plans",
)

type Day = dict[str, float]
type Days = dict[str, Day]


def run_day(job: tuple[str, Mapping[str, Any], int | None, float | None]) -> tuple[str, Day]:
    """One day under ``smart`` with the Settings overrides (and step, seconds, and every
    outlet's rating, watts, if given)."""
    name, overrides, step_s, rating = job
    scenario = tuning_scenario(name, step_s)
    if rating is not None:
        scenario = dataclasses.replace(scenario, outlet_max_power_w=rating)
    out = run(scenario, EnginePolicy(Strategy.SMART, Settings(**overrides)))
    figures = metrics(out, None, scenario.steps)
    return name, {key: figures[key] for key in _FIGURES}


def run_days(
    names: Sequence[str],
    overrides: Mapping[str, Any],
    *,
    step_s: int | None,
    jobs: int,
    rating: float | None = None,
) -> Days:
    """``run_day`` on every day, in ``jobs`` processes."""
    todo = [(n, overrides, step_s, rating) for n in names]
    with ProcessPoolExecutor(jobs) as pool:
        return dict(pool.map(run_day, todo, chunksize=8))


def _totals(days: Days, names: Sequence[str]) -> str:
    added = sum(days[n]["added_wh"] for n in names)
    dead = sum(days[n]["dead_minutes"] for n in names)
    reporting = sum(days[n]["reporting_dead_minutes"] for n in names)
    blind = sum(days[n]["blind_dead_minutes"] for n in names)
    over = [days[n]["violation_wh"] for n in names if days[n]["violation_wh"] > 0]
    switches = [days[n]["switches_per_outlet_hour"] for n in names]
    worn = sum(s > 4.0 for s in switches)
    # Read with a default: a --json written before the agent's refusals were counted.
    refused = sum(days[n].get("refused_plans", 0) for n in names)
    return (
        f"added {added:.0f} Wh, dead {dead:.0f} min ({reporting:.0f} / {blind:.0f}: reporting / "
        "none could have noticed yet), "
        f"over budget {sum(over):.3f} Wh on {len(over)} days, switches max {max(switches):.2f} "
        f"per outlet-hour, {worn} days over 4, {refused:.0f} plans refused by the agent"
    )


def compare(base: Days, other: Days) -> dict[str, float]:
    """Day by day, the relative change of the energy added from ``base`` to ``other``: its
    mean, the mean's standard error, and how many days moved each way by over 0.1 %. Days
    where ``base`` added next to nothing are left out (no relative change to speak of)."""
    names = [n for n in base if n in other and base[n]["added_wh"] > 1.0]
    if len(names) < 2:
        raise ValueError("compare: fewer than two days in common")
    change = [other[n]["added_wh"] / base[n]["added_wh"] - 1.0 for n in names]
    return {
        "days": len(names),
        "mean": statistics.mean(change),
        "stderr": statistics.stdev(change) / math.sqrt(len(change)),
        "better": sum(c > 0.001 for c in change),
        "worse": sum(c < -0.001 for c in change),
    }


def report(base: Days, other: Days) -> str:
    """The comparison as printed: both engines' totals, then the paired change."""
    c = compare(base, other)
    names = [n for n in base if n in other]
    verdict = "above" if abs(c["mean"]) > 2 * c["stderr"] else "within"
    return "\n".join(
        [
            f"base : {_totals(base, names)}",
            f"other: {_totals(other, names)}",
            f"energy added, day by day: {c['mean']:+.4f} (standard error {c['stderr']:.4f}, "
            f"{verdict} twice it) on {c['days']:.0f} days; {c['better']:.0f} better, "
            f"{c['worse']:.0f} worse by over 0.1 %",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="+", help="'shipped', seeds, or ranges like 11000-11999")
    parser.add_argument("--set", default="{}", help="Settings overrides as JSON")
    parser.add_argument("--base-set", default=None, help="the Settings to compare with (JSON)")
    parser.add_argument("--against", type=Path, default=None, help="a --json of another run")
    parser.add_argument("--json", type=Path, default=None, help="write each day's figures here")
    parser.add_argument("--step-s", type=int, default=None, help="steps this long (seconds)")
    parser.add_argument(
        "--rating",
        type=float,
        default=None,
        help="rate every outlet this many watts, whatever the day's (an installer's one rating)",
    )
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if args.rating is not None and not 0 < args.rating <= MAX_OUTLET_W:
        parser.error(f"--rating must be above 0 and at most {MAX_OUTLET_W:g} W")
    names = tuning_days(args.days)
    runs = {"step_s": args.step_s, "jobs": args.jobs, "rating": args.rating}
    days = run_days(names, json.loads(args.set), **runs)
    if args.json:
        args.json.write_text(json.dumps(days, indent=1), encoding="utf-8")
    if args.base_set is not None:
        base = run_days(names, json.loads(args.base_set), **runs)
    elif args.against is not None:
        base = json.loads(args.against.read_text(encoding="utf-8"))
    else:
        print(_totals(days, names))
        return 0
    print(report(base, days))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
