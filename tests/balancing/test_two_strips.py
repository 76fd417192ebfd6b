"""Two strips on one circuit through the bench's agent model (``bench.circuit_split``): the
circuit's room goes to the emptiest laptops whichever strip they are on and whatever its
strategy."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

# The bench loads the engine as the top-level package ``balancing``: its own Strategy.
from bench.circuit_split import Strategy, run_site, summary
from bench.site import load_site, random_site

SITE = Path(__file__).resolve().parents[2] / "bench" / "sites" / "two_strips_one_circuit.json"


@pytest.mark.parametrize("strategy", ["battery_priority", "smart", "own"])
def test_no_strip_tops_up_full_laptops_while_the_other_strips_empty_ones_wait(
    strategy: str,
) -> None:
    """Strip A holds laptops at 77-88 % (and one at 22 %), strip B laptops at 12-26 %, on a
    250 W circuit, for the first hour; "own" is A ``smart`` and B ``battery_priority``."""
    site = replace(load_site(SITE), duration_s=3600)
    chosen = None if strategy == "own" else {s.strip_id: Strategy(strategy) for s in site.strips}
    result = run_site(site, chosen)
    # Laptop-minutes where a laptop waited while one 20 points fuller charged on the other
    # strip: a split by the strategies' own levels instead of a common need gives 155, 220
    # and 244.
    assert result["inversion_minutes"] <= 30
    for strip in result["strips"].values():
        emptiest = strip["laptops"][0]
        assert emptiest["soc_end"] > emptiest["soc0"]
    assert result["circuit_violation_wh"] == 0


def test_random_sites_never_exceed_their_circuit() -> None:
    """Random sites (two random strip days under a circuit carrying half their budgets, one
    ``smart`` strip and one ``battery_priority``): the circuit is never exceeded, whatever
    the split gives each strip, and a site is the same site whenever it is drawn."""
    runs = []
    for seed in (3000, 3001, 3002):
        site = replace(random_site(seed, share=0.5), duration_s=3600)
        assert site == replace(random_site(seed, share=0.5), duration_s=3600)
        assert [s.strategy for s in site.strips] == [Strategy.SMART, Strategy.BATTERY_PRIORITY]
        assert site.circuit_at(0) < sum(s.scenario.budget_at(0) for s in site.strips)
        result = run_site(site) | {"strategy_run": "own"}
        assert result["circuit_violation_wh"] == 0
        assert result["circuit_max_overshoot_w"] == 0
        assert all(strip["refused_plans"] == 0 for strip in result["strips"].values())
        runs.append(result)
    table = summary(runs).splitlines()
    assert len(table) == 3
    assert table[2].startswith("| own | 3 |")


def test_the_split_does_not_move_room_between_strips_every_cycle() -> None:
    """The shipped site for its 3 hours, both strips ``smart``: with every laptop wanting
    charge and room for two or three of ten, a split that hands a young turn's room to a
    needier laptop on the other strip moves it back and forth, 6.2 and 6.8 switches per
    outlet-hour; holding the circuit's young turns as a strip holds its own: 3.2 and 4.7, 3.9
    for the site. Which strip switches more moves with small changes to the engine (a strip
    held back hands the circuit's room to the other), so each strip is held well under the
    back and forth and the site as a whole near the target."""
    site = load_site(SITE)
    result = run_site(site, {s.strip_id: Strategy.SMART for s in site.strips})
    rates = [s["switches_per_outlet_hour"] for s in result["strips"].values()]
    assert max(rates) < 5.0
    assert sum(rates) / len(rates) <= 4.5  # the strips have as many outlets
    assert all(s["dead_minutes"] == 0 for s in result["strips"].values())
    assert result["circuit_violation_wh"] == 0
