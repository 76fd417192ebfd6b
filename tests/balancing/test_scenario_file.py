"""Scenario files from anywhere: a file that cannot be run says which field and why, and one
that can is read as written (``bench.scenario.load``, what ``scripts/bench --scenario`` runs)."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

from bench.scenario import ScenarioError, generate, load, parse
from bench.site import load_site

BENCH = Path(__file__).resolve().parents[2] / "bench"
LECTURE = BENCH / "scenarios" / "lecture.json"


def _lecture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(LECTURE.read_text())
    return data


@pytest.mark.parametrize("path", sorted((BENCH / "scenarios").glob("*.json")), ids=lambda p: p.stem)
def test_every_shipped_scenario_loads(path: Path) -> None:
    assert load(path).devices


def test_the_shipped_site_loads() -> None:
    site = load_site(BENCH / "sites" / "two_strips_one_circuit.json")
    assert len(site.strips) == 2


@pytest.mark.parametrize("seed", [1000, 4004, 7065, 9100, 9500, 9539])
def test_a_generated_day_reads_back_as_written(seed: int) -> None:
    day = generate(seed)
    assert parse(json.loads(json.dumps(day.to_json()))) == day


def _set(path: str, value: object) -> dict[str, Any]:
    """The lecture with one field set (``devices.0.soc0``); ``...`` deletes it."""
    data = _lecture()
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("devices.0.soc0", 1.5, r"devices\[0\] \(student0\)\.soc0: expected 0\.\.1, got 1\.5"),
        ("devices.0.soc0", "half", r"soc0: expected a number, got 'half'"),
        ("devices.0.charge_w", ..., r"devices\[0\]: missing field\(s\) \['charge_w'\]"),
        ("devices.0.charge_w", 0, r"charge_w: expected more than 0"),
        ("devices.0.efficiency", 1.2, r"efficiency: expected at most 1, got 1\.2"),
        ("devices.0.use_w", float("nan"), r"use_w: expected a number"),
        ("devices.0.limit_sett", True, r"unknown field\(s\) \['limit_sett'\]"),
        ("devices.0.reports_battery", "yes", r"reports_battery: expected true or false"),
        ("devices.0.battery_via", "bluetooth", r"battery_via: expected one of"),
        ("devices.0.arrival_s", 1800.5, r"arrival_s: expected a whole number"),
        ("devices.0.arrival_s", -60, r"arrival_s: expected at least 0, got -60"),
        ("devices.0.outlet", 0, r"student0: outlet 0 is not a balanced outlet \(1\.\.16\)"),
        ("devices.0.outlet", True, r"outlet: expected a number, got True"),
        ("devices.0.id", "", r"id: expected a non-empty string"),
        ("devices.1.id", "student0", r"student0: two devices have this id"),
        ("devices.0", "laptop", r"devices\[0\]: expected an object, got str"),
        ("devices", {}, r"devices: expected a list, got dict"),
        ("budget_w", "lots", r"budget_w: expected a number, got 'lots'"),
        ("budget_w", [[0]], r"budget_w\[0\]: expected \[from_s, watts\]"),
        ("budget_w", [], r"budget_w: expected at least one"),
        ("budget_w", -5, r"budget_w: expected at least 0, got -5"),
        ("outlets", 17, r"outlets: expected 1\.\.16, got 17"),
        ("step_s", 0, r"step_s: expected 1\.\.3600"),
        ("duration_s", ..., r"scenario: missing field\(s\) \['duration_s'\]"),
        ("outlet_max_power_w", [100, 100], r"one per outlet \(16\), got 2"),
        ("outlet_max_power_w", -100, r"outlet_max_power_w: expected more than 0"),
        ("sensor_lag_s", -5, r"sensor_lag_s: expected at least 0"),
        ("exceptions", [{"outlet": 3, "power_w": 10}], r"outlet 3 is not a balanced outlet"),
        ("exceptions", [{"outlet": 99, "power_w": 10}], r"exception outlet 99: not in 1\.\.16"),
    ],
)
def test_a_bad_field_is_named_with_what_was_expected(
    tmp_path: Path, path: str, value: object, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_set(path, value)))
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(bad))}: (.*\W)?{message}"):
        load(bad)


def test_a_constant_budget_and_a_missing_name_are_read_as_a_person_means_them(
    tmp_path: Path,
) -> None:
    data = _lecture()
    del data["name"]
    data["budget_w"] = 320
    data["description"] = "top-level notes are ignored"
    path = tmp_path / "my_day.json"
    path.write_text(json.dumps(data))
    day = load(path)
    assert day.name == "my_day"
    assert day.budget_w == ((0, 320.0),)


def test_a_file_that_is_not_a_scenario_says_so(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"missing\.json: No such file"):
        load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": ')
    with pytest.raises(ScenarioError, match=r"broken\.json: not JSON"):
        load(broken)
    listed = tmp_path / "listed.json"
    listed.write_text("[]")
    with pytest.raises(ScenarioError, match=r"listed\.json: scenario: expected an object"):
        load(listed)


def _site() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BENCH / "sites" / "two_strips_one_circuit.json").read_text())
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("circuit_w"), r"site: missing field\(s\) \['circuit_w'\]"),
        (lambda d: d.update(circuit_w="x"), r"circuit_w: expected a number, got 'x'"),
        (lambda d: d.update(strips=[]), r"strips: expected at least one strip"),
        (lambda d: d["strips"][1].update(id="A"), r"strips\[1\]\.id: 'A' names two strips"),
        (lambda d: d["strips"][0].update(strategy="fastest"), r"strips\[0\]\.strategy: expected"),
        (
            lambda d: d["strips"][0].update(outlet_max_w=0),
            r"strips\[0\]\.outlet_max_w: expected more than 0",
        ),
        (
            lambda d: d["strips"][0]["scenario"]["devices"][0].update(soc0=-0.1),
            r"strips\[0\] \(A\)\.scenario: devices\[0\] \(A1\)\.soc0: expected 0\.\.1",
        ),
    ],
)
def test_a_bad_site_names_the_strip_and_the_field(
    tmp_path: Path, change: Any, message: str
) -> None:
    data = _site()
    change(data)
    bad = tmp_path / "site.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(bad))}: {message}"):
        load_site(bad)
