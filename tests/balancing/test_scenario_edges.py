"""Scenario files a stranger might write: every valid one runs, at its edges too, and every
invalid one stops with the file, the field and what was expected, never a traceback
(``bench.scenario.load``, then the world, what ``scripts/bench --scenario`` runs)."""

from __future__ import annotations

import json
import math
from pathlib import Path
import re
from typing import Any

import pytest

from bench import report
from bench.policies import EnginePolicy, FirstCome, Strategy
from bench.scenario import (
    MAX_BUDGET_W,
    MAX_CAPACITY_WH,
    MAX_OUTLET_W,
    ScenarioError,
    load,
    parse,
)
from bench.site import load_site
from bench.world import metrics, run


def _device(i: int, outlet: int, arrival: int = 0, departure: int = 7200, **change: Any) -> dict:
    device = {
        "id": f"d{i}",
        "outlet": outlet,
        "arrival_s": arrival,
        "departure_s": departure,
        "capacity_wh": 60.0,
        "soc0": 0.3,
        "target_soc": 0.9,
        "charge_w": 65.0,
        "use_w": 10.0,
        "cv_soc": 0.8,
        "efficiency": 0.88,
        "reports_battery": True,
        "departure_known": True,
    }
    return device | change


def _day(**change: Any) -> dict[str, Any]:
    """Two hours, four outlets, two laptops: small enough to run in a test."""
    day = {
        "name": "edge",
        "step_s": 60,
        "duration_s": 7200,
        "outlets": 4,
        "budget_w": 150,
        "devices": [_device(0, 1), _device(1, 2, 600, 6000, reports_battery=False)],
    }
    return day | change


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "day.json"
    path.write_text(json.dumps(data))
    return path


def _fails(path: Path, message: str) -> None:
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: (.*\W)?{message}"):
        load(path)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        # The taper runs from cv_soc to full: at 1 it would divide by nothing.
        (
            _day(devices=[_device(0, 1, cv_soc=1)]),
            r"devices\[0\] \(d0\)\.cv_soc: expected less than 1, got 1",
        ),
        # A stay that begins when the day is over is outside the bound yet counted delivered.
        (
            _day(devices=[_device(0, 1), _device(1, 2, 7200, 9000)]),
            r"devices\[1\] \(d1\)\.arrival_s: expected before the day's end "
            r"\(duration_s 7200\), got 7200",
        ),
        (_day(budget_w=1e308), r"budget_w: expected at most 100000\.0, got 1e\+308"),
        (_day(budget_w=[[0, 150], [60, 2e5]]), r"budget_w\[1\]\[1\]: expected at most 100000\.0"),
        (_day(outlet_max_power_w=1e6), r"outlet_max_power_w: expected at most 7400\.0"),
        (
            _day(outlet_max_power_w=[100, 100, 100, 1e6]),
            r"outlet_max_power_w\[3\]: expected at most 7400\.0",
        ),
        (
            _day(outlets=5, exceptions=[{"outlet": 5, "power_w": 1e308}]),
            r"exceptions\[0\]\.power_w: expected 0\.\.7400\.0",
        ),
        (_day(devices=[_device(0, 1, charge_w=1e308)]), r"charge_w: expected at most 7400\.0"),
        (_day(devices=[_device(0, 1, use_w=1e17)]), r"use_w: expected 0\.\.7400\.0"),
        (
            _day(devices=[_device(0, 1, capacity_wh=1e12)]),
            r"capacity_wh: expected at most 100000\.0",
        ),
        # Which of two budgets from one second holds is not in the file.
        (_day(budget_w=[[0, 150], [0, 90]]), r"budget_w: two entries from 0 s"),
    ],
)
def test_a_value_no_strip_could_have_is_named(
    tmp_path: Path, day: dict[str, Any], message: str
) -> None:
    _fails(_write(tmp_path, day), message)


def test_the_largest_values_a_strip_could_have_are_read(tmp_path: Path) -> None:
    day = load(
        _write(
            tmp_path,
            _day(
                budget_w=MAX_BUDGET_W,
                outlet_max_power_w=MAX_OUTLET_W,
                exceptions=[{"outlet": 4, "power_w": MAX_OUTLET_W}],
                devices=[
                    _device(
                        0, 1, charge_w=MAX_OUTLET_W, use_w=MAX_OUTLET_W, capacity_wh=MAX_CAPACITY_WH
                    )
                ],
            ),
        )
    )
    assert day.budget_w == ((0, MAX_BUDGET_W),)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        # A whole number too large for a float: read by json, refused by the field.
        ('"duration_s": ' + "9" * 400, r"duration_s: expected a number, got 9{20}\.\.\. "),
        # Longer than Python reads a whole number at all.
        ('"outlets": ' + "9" * 5000, r"not JSON \(Exceeds the limit"),
    ],
    ids=["400 digits", "5000 digits"],
)
def test_a_huge_whole_number_is_named_not_a_traceback(
    tmp_path: Path, field: str, message: str
) -> None:
    key = field.split(":", maxsplit=1)[0]
    text = re.sub(rf"{key}: \d+", field, json.dumps(_day()))
    assert field in text
    path = tmp_path / "day.json"
    path.write_text(text)
    _fails(path, message)


def test_lists_nested_thousands_deep_are_not_json(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    _fails(path, r"not JSON \(")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_file_in_another_of_json_s_encodings_is_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "day.json"
    path.write_bytes(json.dumps(_day(name="Café ☕"), ensure_ascii=False).encode(encoding))
    assert load(path).name == "Café ☕"


def test_a_file_that_is_not_unicode_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    path.write_bytes(json.dumps(_day(name="Café"), ensure_ascii=False).encode("latin-1"))
    _fails(path, r"not JSON \('utf-8' codec")


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(_day(devices=[]), id="no laptops"),
        pytest.param(
            _day(outlets=2, devices=[], exceptions=[{"outlet": 1, "power_w": 10}]),
            id="no laptops, a lamp",
        ),
        pytest.param(
            _day(outlets=1, devices=[], exceptions=[{"outlet": 1, "power_w": 10}]),
            id="lamps only",
        ),
    ],
)
@pytest.mark.parametrize(
    "policy",
    [lambda: EnginePolicy(Strategy.SMART), lambda: FirstCome(count=True)],
    ids=["smart", "at_most_n"],
)
def test_a_day_without_laptops_runs(day: dict[str, Any], policy: Any) -> None:
    scenario = parse(day)
    figures = metrics(run(scenario, policy()), 0.0, scenario.steps)
    assert figures["delivered_wh"] == 0.0
    assert figures["dead_minutes"] == 0.0
    assert math.isfinite(figures["switches_per_outlet_hour"])
    assert figures["ratio"] is None


def test_the_bound_of_a_day_without_laptops_is_nothing() -> None:
    pytest.importorskip("scipy")
    from bench import bound  # HiGHS comes with scipy, in .venv-bench only

    assert bound.solve(parse(_day(devices=[]))).value_wh == 0.0
    assert bound.solve(parse(_day(devices=[])), alive=True).value_wh == 0.0


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(_day(devices=[_device(0, 1, 0, 10_000)]), id="a stay past the day's end"),
        pytest.param(_day(devices=[_device(0, 1, 7199, 7300)]), id="arriving in the last second"),
        pytest.param(
            _day(duration_s=7230, devices=[_device(0, 1, 30, 7215)]), id="a day off the step grid"
        ),
        pytest.param(
            _day(step_s=1, duration_s=600, devices=[_device(0, 1, 7, 613)]), id="1 s steps"
        ),
        pytest.param(_day(step_s=3600, duration_s=7200), id="1 h steps"),
        pytest.param(_day(budget_w=[[3600, 100], [600, 150]]), id="a schedule unsorted"),
        pytest.param(_day(budget_w=0), id="no budget"),
        pytest.param(
            _day(devices=[_device(0, 1, soc0=1.0, target_soc=0.5), _device(1, 2, soc0=0)]),
            id="full and flat",
        ),
        pytest.param(_day(devices=[_device(0, 1, charge_w=45, use_w=80)]), id="use over charger"),
        pytest.param(
            _day(devices=[_device(0, 1, efficiency=1, use_w=0, capacity_wh=1)]), id="1 Wh, ideal"
        ),
        pytest.param(
            _day(outlets=1, devices=[_device(i, 1, 600 * i, 600 * (i + 1)) for i in range(12)]),
            id="stays back to back",
        ),
    ],
)
def test_a_valid_day_at_its_edges_runs_to_finite_figures(day: dict[str, Any]) -> None:
    scenario = parse(day)
    figures = metrics(run(scenario, EnginePolicy(Strategy.SMART)), 100.0, scenario.steps)
    for key in ("delivered_wh", "dead_minutes", "violation_wh", "switches_per_outlet_hour"):
        assert math.isfinite(figures[key])
    assert figures["dead_minutes"] >= 0
    assert figures["violation_wh"] >= 0


def test_acn_sim_is_told_a_stay_past_the_day_ends_with_it() -> None:
    pytest.importorskip("acnportal")
    from bench import acn  # ACN-Sim is in .venv-bench only

    # ACN-Sim holds an array per session as long as its stay: 10**12 steps would not fit.
    day = parse(_day(duration_s=600, devices=[_device(0, 1, 0, 60 * 10**12)]))
    for policy in acn.algorithms():
        figures = metrics(run(day, policy), 100.0, day.steps)
        assert figures["delivered_wh"] > 0


def test_the_tables_of_days_without_a_ratio_are_written() -> None:
    # A day whose laptops come full (or whose lamps alone exceed the budget) has no ratio.
    figures = {
        "added_wh": 0.0,
        "gain_ratio": None,
        "ratio": None,
        "dead_minutes": 0.0,
        "violation_wh": 0.0,
        "switches_per_outlet_hour": 0.0,
    }
    day = {
        "scenario": "full",
        "bound_wh": None,
        "alive_bound_wh": None,
        "results": {"smartmulti:smart": figures, "baseline:all_on": figures},
    }
    tables = report.summary([day])
    assert "| smartmulti:smart | - | - | - | - |" in tables
    assert "no day has one" in tables


def test_a_day_with_plans_the_agent_refused_misses_a_target() -> None:
    figures = {
        "added_wh": 10.0,
        "gain_ratio": 1.0,
        "ratio": 1.0,
        "dead_minutes": 0.0,
        "violation_wh": 0.0,
        "switches_per_outlet_hour": 1.0,
    }
    days = [
        {
            "scenario": name,
            "bound_wh": 10.0,
            "alive_bound_wh": 10.0,
            "results": {"smartmulti:smart": figures | extra},
        }
        for name, extra in (
            ("old", {}),
            ("clean", {"refused_plans": 0}),
            ("bad", {"refused_plans": 3}),
        )
    ]
    line = next(x for x in report.targets(days).splitlines() if "refused with 422" in x)
    assert line.endswith("| bad 3 |")


def test_a_peer_adding_as_little_as_smart_does_not_beat_it() -> None:
    # A day with nothing to add: everyone adds 0 Wh with no dead minute, and nobody wins.
    nothing = {"added_wh": 0.0, "dead_minutes": 0.0}
    assert not report.dominates(nothing, nothing)
    assert report.dominates({"added_wh": 0.5, "dead_minutes": 0.0}, nothing)


def test_a_site_s_circuit_beyond_any_budget_is_named(tmp_path: Path) -> None:
    site = {
        "step_s": 60,
        "duration_s": 3600,
        "circuit_w": 1e308,
        "strips": [{"id": "A", "scenario": _day()}],
    }
    path = tmp_path / "site.json"
    path.write_text(json.dumps(site))
    with pytest.raises(ScenarioError, match=r"circuit_w: expected at most 100000\.0"):
        load_site(path)


def test_the_report_of_smart_alone_says_there_is_nothing_to_compare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = {"added_wh": 1.0, "gain_ratio": 0.9, "ratio": 0.95, "dead_minutes": 0.0}
    path = tmp_path / "smart_only.json"
    path.write_text(json.dumps([{"scenario": "random-1", "results": {report.DEFAULT: figures}}]))
    assert report.main([str(path)]) == 2
    assert "no peers to compare" in capsys.readouterr().err


def test_the_bench_s_limits_are_the_agent_s() -> None:
    """The bench's venv has neither voluptuous nor aiohttp, so it cannot import the agent's
    limits and keeps copies; a strip the agent refuses is no day the bench should run."""
    from bench import scenario
    from pi_agent.api.validation import MAX_BUDGET_W as AGENT_BUDGET_W
    from pi_agent.config import MAX_OUTLETS as AGENT_OUTLETS, MAX_STRIP_W

    assert scenario.MAX_OUTLETS == AGENT_OUTLETS
    assert scenario.MAX_OUTLET_W == MAX_STRIP_W
    assert MAX_BUDGET_W == AGENT_BUDGET_W


def test_a_day_no_algorithm_brings_to_the_ratio_target_is_named_with_its_best() -> None:
    def figures(ratio: float, violation_wh: float = 0.0) -> dict[str, Any]:
        return {
            "added_wh": 10.0 * ratio,
            "gain_ratio": ratio,
            "ratio": ratio,
            "dead_minutes": 0.0,
            "violation_wh": violation_wh,
            "switches_per_outlet_hour": 1.0,
        }

    def day(name: str, results: dict[str, Any]) -> dict[str, Any]:
        return {"scenario": name, "bound_wh": 10.0, "alive_bound_wh": 10.0, "results": results}

    days = [
        day("reached", {"smartmulti:smart": figures(0.9), "acnsim:edf": figures(0.96)}),
        # A ratio bought by going over the budget does not show the target can be met.
        day(
            "over",
            {"smartmulti:smart": figures(0.9), "acnsim:edf": figures(0.99, violation_wh=0.2)},
        ),
        day("short", {"smartmulti:smart": figures(0.8), "reference:relay_oracle": figures(0.93)}),
    ]
    line = next(x for x in report.targets(days).splitlines() if "can be met at all" in x)
    assert line.endswith(
        "| over (best: smartmulti:smart 0.9); short (best: reference:relay_oracle 0.93) |"
    )
