"""Several strips on one circuit: the circuit split, judged on who gets charged.

python -m bench.circuit_split --scenario bench/sites/two_strips_one_circuit.json --json out.json

A site (``bench.site``: its file format, and random sites) is a list of strips under one
circuit. Every strip runs through section 1's agent model (``bench.world.StripWorld``) with the limit
its share of the circuit; one ``SiteBalancer`` plans them all each step, as the integration's
site cycle does. ``--strategy`` runs every strip under one strategy instead of their own
(repeatable: one run per value, side by side).

python -m bench.circuit_split --random 20 --seed 3000 --share 0.5 --strategy smart --markdown

``--random N`` runs N random sites instead (``random_site``): two of section 1's random days
side by side under one circuit carrying ``--share`` of the two strips' budgets, so that the
split, not each strip's own budget, decides; their own strategies are ``smart`` and
``battery_priority``. The table is then one row per strategy, summed over the sites, with
each site's gain against its bound (``site_bounds``: section 1's LP over every strip and the
circuit).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import replace
import json
from pathlib import Path
import sys
from typing import Any

from balancing import Circuit, SiteBalancer, Strategy

from pi_agent.sim.physics import SECONDS_PER_HOUR

from .fields import ScenarioError
from .site import Site, load_site, random_site
from .world import Decision, StripWorld

SITES = Path(__file__).resolve().parent / "sites"
INVERSION_POINTS = 0.20  # twice battery_priority's hysteresis band


def run_site(site: Site, strategies: Mapping[str, Strategy] | None = None) -> dict[str, Any]:
    """Step every strip under one circuit; per strip and per laptop, what each got."""
    engine = SiteBalancer()
    strip_ids = tuple(s.strip_id for s in site.strips)
    worlds = {
        s.strip_id: StripWorld(
            s.scenario,
            max_w=None
            if s.outlet_max_w is None
            else dict.fromkeys(s.scenario.outlet_ids, float(s.outlet_max_w)),
        )
        for s in site.strips
    }
    strategy = {s.strip_id: (strategies or {}).get(s.strip_id, s.strategy) for s in site.strips}
    first_on: dict[tuple[str, str], float] = {}
    overshoot_w = violation_wh = inversion_min = 0.0
    hour_soc: dict[tuple[str, str], float] = {}
    shares: dict[str, list[float]] = {s.strip_id: [] for s in site.strips}
    dt = float(site.step_s)
    for k in range(int(site.duration_s // site.step_s)):
        t = k * dt
        circuit_w = site.circuit_at(t)
        inputs = {}
        for s in site.strips:
            world = worlds[s.strip_id]
            strip = world.observe(t, s.scenario.budget_at(t))
            inputs[s.strip_id] = replace(strip, strategy=strategy[s.strip_id], strip_id=s.strip_id)
        plan = engine.plan(inputs, root=Circuit("circuit", circuit_w, strips=strip_ids))
        total = 0.0
        for s in site.strips:
            world = worlds[s.strip_id]
            p = plan.plans[s.strip_id]
            shares[s.strip_id].append(plan.budgets[s.strip_id])
            draws = world.step(Decision.of(p), plan.budgets[s.strip_id])
            total += sum(draws.values())
            for outlet, d in world.here.items():
                if world.relay[outlet] and (s.strip_id, d.id) not in first_on:
                    first_on[s.strip_id, d.id] = t
        inversion_min += _inversions(site, worlds) * dt / 60.0
        if t + dt == 3600.0:
            for s in site.strips:
                for d in s.scenario.devices:
                    hour_soc[s.strip_id, d.id] = worlds[s.strip_id].soc[d.id]
        if total > circuit_w + 1e-9:
            overshoot_w = max(overshoot_w, total - circuit_w)
            violation_wh += (total - circuit_w) * dt / SECONDS_PER_HOUR
    strips_out: dict[str, Any] = {}
    for s in site.strips:
        world = worlds[s.strip_id]
        out = world.finish()
        final = {row["id"]: row["soc_departure"] for row in out.per_device}
        laptops = [
            {
                "id": d.id,
                "soc0": d.soc0,
                "soc_end": final[d.id],
                "gain_wh": round(d.capacity_wh * (final[d.id] - d.soc0), 2),
                "soc_1h": round(hour_soc.get((s.strip_id, d.id), final[d.id]), 4),
                "first_on_min": None
                if (s.strip_id, d.id) not in first_on
                else round(first_on[s.strip_id, d.id] / 60.0, 1),
            }
            for d in sorted(s.scenario.devices, key=lambda d: d.soc0)
        ]
        strips_out[s.strip_id] = {
            "strategy": strategy[s.strip_id].value,
            "gain_wh": round(sum(row["gain_wh"] for row in laptops), 2),
            # Up to each laptop's target, as the bounds count it.
            "counted_gain_wh": round(
                sum(d.counted_wh(final[d.id]) - d.counted_wh(d.soc0) for d in s.scenario.devices),
                2,
            ),
            "gain_1h_wh": round(
                sum(
                    d.capacity_wh * (hour_soc.get((s.strip_id, d.id), d.soc0) - d.soc0)
                    for d in s.scenario.devices
                ),
                2,
            ),
            "dead_minutes": round(out.dead_minutes, 1),
            "reporting_dead_minutes": round(out.reporting_dead_minutes, 1),
            "blind_dead_minutes": round(out.blind_dead_minutes, 1),
            "switches_per_outlet_hour": round(out.switches_per_outlet_hour, 3),
            "refused_plans": out.refused_plans,
            "mean_share_w": round(sum(shares[s.strip_id]) / max(1, len(shares[s.strip_id])), 1),
            "laptops": laptops,
        }
    return {
        "site": site.name,
        "circuit_violation_wh": round(violation_wh, 4),
        "inversion_minutes": round(inversion_min, 1),
        "circuit_max_overshoot_w": round(overshoot_w, 1),
        "strips": strips_out,
    }


def site_bounds(site: Site) -> dict[str, float | None]:
    """What the site's laptops could gain at most under its budgets and circuit (section 1's
    LP over every strip, ``bound.solve_site``), counted up to their targets: free, and while
    keeping every laptop alive (None: no schedule keeps them all alive)."""
    from . import bound  # noqa: PLC0415 - scipy is in .venv-bench only; the tests run sites

    days = [s.scenario for s in site.strips]
    steps = int(site.duration_s // site.step_s)
    initial = sum(d.counted_wh(d.soc0) for _, d in bound.site_devices(days, steps))
    out: dict[str, float | None] = {}
    for key, alive in (("bound_gain_wh", False), ("alive_bound_gain_wh", True)):
        found = bound.solve_site(days, circuit_at=site.circuit_at, steps=steps, alive=alive)
        out[key] = None if found.value_wh is None else round(found.value_wh - initial, 2)
    return out


def _inversions(site: Site, worlds: Mapping[str, StripWorld]) -> int:
    """Laptops waiting (present, below target, outlet off) while a laptop at least
    ``INVERSION_POINTS`` fuller charges on another strip of the circuit."""
    charging: dict[str, list[float]] = {}
    waiting: dict[str, list[float]] = {}
    for s in site.strips:
        world = worlds[s.strip_id]
        for outlet, d in world.here.items():
            level = world.soc[d.id]
            if level >= d.target_soc - 1e-3:
                continue
            (charging if world.relay[outlet] else waiting).setdefault(s.strip_id, []).append(level)
    count = 0
    for sid, levels in waiting.items():
        fuller = max(
            (x for other, xs in charging.items() if other != sid for x in xs), default=-1.0
        )
        count += sum(1 for level in levels if level < fuller - INVERSION_POINTS)
    return count


def markdown(runs: Sequence[dict[str, Any]]) -> str:
    """Per run and strip: the emptiest laptop's charge before and after, the strip's gain and
    how often its relays switched."""
    lines = [
        "| run | strip | strategy | mean share W | gain Wh, 1st hour / all | emptiest laptop: "
        "start → 1 h → end (first on, min) | fullest laptop: start → 1 h → end | dead min "
        "| switches per outlet-hour | inversion min | circuit violation Wh |",
        "|---|---|---|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for label, r in ((r["label"], r) for r in runs):
        for sid, s in r["strips"].items():
            low, high = s["laptops"][0], s["laptops"][-1]
            lines.append(
                f"| {label} | {sid} | {s['strategy']} | {s['mean_share_w']} "
                f"| {s['gain_1h_wh']} / {s['gain_wh']} "
                f"| {_pct(low['soc0'])} → {_pct(low['soc_1h'])} → {_pct(low['soc_end'])} "
                f"({low['first_on_min']}) "
                f"| {_pct(high['soc0'])} → {_pct(high['soc_1h'])} → {_pct(high['soc_end'])} "
                f"| {s['dead_minutes']:g} | {s['switches_per_outlet_hour']:g} "
                f"| {r['inversion_minutes']:g} "
                f"| {r['circuit_violation_wh']} |"
            )
    return "\n".join(lines) + "\n"


def summary(runs: Sequence[dict[str, Any]]) -> str:
    """One row per strategy over many sites: energy (and against the bound when the runs carry
    it), dead minutes, switches, inversions."""
    lines = [
        "| strategy | sites | gain Wh | of the bound | sites alive infeasible | dead min "
        "(reporting / blind) | reporting dead min where alive feasible | switches per "
        "outlet-hour: mean, max | inversion min | circuit violation Wh |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        by_name.setdefault(r["strategy_run"], []).append(r)
    for name, rs in by_name.items():
        strips = [s for r in rs for s in r["strips"].values()]
        rates = [s["switches_per_outlet_hour"] for s in strips]
        bounded = [r for r in rs if "bound_gain_wh" in r]
        counted = sum(s["counted_gain_wh"] for r in bounded for s in r["strips"].values())
        of_bound = f"{counted / sum(r['bound_gain_wh'] for r in bounded):.3f}" if bounded else "–"
        feasible = [r for r in bounded if r["alive_bound_gain_wh"] is not None]
        infeasible = len(bounded) - len(feasible) if bounded else "–"
        avoidable = (
            f"{sum(s['reporting_dead_minutes'] for r in feasible for s in r['strips'].values()):g}"
            if bounded
            else "–"
        )
        lines.append(
            f"| {name} | {len(rs)} | {sum(s['gain_wh'] for s in strips):.0f} | {of_bound} "
            f"| {infeasible} | {sum(s['dead_minutes'] for s in strips):g} "
            f"({sum(s['reporting_dead_minutes'] for s in strips):g} / "
            f"{sum(s['blind_dead_minutes'] for s in strips):g}) "
            f"| {avoidable} "
            f"| {sum(rates) / max(1, len(rates)):.2f}, {max(rates, default=0.0):.2f} "
            f"| {sum(r['inversion_minutes'] for r in rs):g} "
            f"| {sum(r['circuit_violation_wh'] for r in rs):g} |"
        )
    return "\n".join(lines) + "\n"


def _pct(level: float) -> str:
    return f"{100 * level:.0f} %"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.circuit_split", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--scenario", action="append", type=Path, default=[])
    parser.add_argument(
        "--strategy",
        action="append",
        default=[],
        help="run every strip under this strategy (repeatable); 'own' keeps the file's",
    )
    parser.add_argument("--random", type=int, default=0, help="this many random sites")
    parser.add_argument("--seed", type=int, default=3000, help="first random site's seed")
    parser.add_argument(
        "--share", type=float, default=0.8, help="random sites: circuit / strips' budgets"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if args.random:
        sites = [random_site(args.seed + i, share=args.share) for i in range(args.random)]
    else:
        try:
            sites = [load_site(path) for path in args.scenario or sorted(SITES.glob("*.json"))]
        except ScenarioError as err:
            parser.error(str(err))
    runs = []
    for site in sites:
        bounds = site_bounds(site)
        for name in args.strategy or ["own"]:
            chosen = None if name == "own" else {s.strip_id: Strategy(name) for s in site.strips}
            result = (
                run_site(site, chosen)
                | bounds
                | {
                    "label": f"{site.name} ({name})",
                    "strategy_run": name,
                }
            )
            runs.append(result)
            print(
                f"{result['label']}: "
                + "; ".join(
                    f"{sid} gain {s['gain_wh']} Wh, emptiest "
                    f"{s['laptops'][0]['soc0']:.2f}->{s['laptops'][0]['soc_end']:.2f}"
                    for sid, s in result["strips"].items()
                ),
                file=sys.stderr,
            )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1) + "\n")
    if args.markdown:
        print(summary(runs) if args.random else markdown(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
