"""PNG plots for docs/benchmarks.md (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from .scenario import Scenario

SHOWN = (
    "smartmulti:smart",
    "acnsim:llf",
    "acnsim:llf_relay",
    "reference:relay_oracle",
    "reference:lowest_battery_first",
)


def draws(scenario: Scenario, traces: Mapping[str, Sequence[float]], path: Path) -> None:
    """Strip draw over the day against the budget, for a few algorithms."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    hours = [k * scenario.step_s / 3600 for k in range(scenario.steps)]
    ax.step(
        hours,
        [scenario.budget_at(h * 3600) for h in hours],
        where="post",
        color="black",
        lw=1.5,
        label="budget",
    )
    for name in SHOWN:
        if name in traces:
            ax.plot(hours, traces[name], lw=1, label=name)
    ax.set_xlabel("hours")
    ax.set_ylabel("strip draw (W)")
    ax.set_title(scenario.name)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def charges(
    scenario: Scenario,
    traces: Mapping[str, Mapping[str, Sequence[tuple[float, float]]]],
    path: Path,
) -> None:
    """Each laptop's charge over the day, one panel per algorithm, below zero shaded (flat),
    with each laptop's wished charge at departure as a tick."""
    names = list(traces)
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 3.0 * len(names)), sharex=True)
    axes = [axes] if len(names) == 1 else list(axes)
    targets = {d.id: d for d in scenario.devices}
    for ax, name in zip(axes, names, strict=True):
        for ident, points in traces[name].items():
            d = targets[ident]
            xs = [d.arrival_s / 3600.0] + [t / 3600.0 for t, _ in points]
            ys = [100.0 * d.soc0] + [100.0 * soc for _, soc in points]
            (line,) = ax.plot(xs, ys, lw=0.9)
            ax.plot([xs[-1]], [100.0 * d.target_soc], marker="_", ms=9, color=line.get_color())
        ax.axhspan(-30, 0, color="red", alpha=0.12)
        ax.set_ylim(-10, 102)
        ax.set_ylabel("charge (%)")
        ax.set_title(f"{scenario.name}: {name}", fontsize=9)
    axes[-1].set_xlabel("hours")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summary(runs: Sequence[dict[str, Any]], path: Path) -> None:
    """Ratio to the upper bound per scenario and algorithm."""
    names = list(runs[0]["results"])
    fig, ax = plt.subplots(figsize=(10, 4.2))
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        values = [r["results"][name]["ratio"] or 0.0 for r in runs]
        ax.bar([i + j * width for i in range(len(runs))], values, width, label=name)
    ax.axhline(0.95, color="black", lw=0.8, ls="--")
    ax.set_xticks(
        [i + 0.4 for i in range(len(runs))],
        [r["scenario"] for r in runs],
        rotation=45,
        ha="right",
        fontsize=7,
    )
    ax.set_ylim(0.5, 1.02)
    ax.set_ylabel("delivered / LP bound")
    ax.legend(fontsize=6, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
