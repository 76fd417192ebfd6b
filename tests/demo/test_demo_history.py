"""The demo's simulated past and its charts, without starting the demo (test_browser.py does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools
import random
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scripts.demo_dashboards import build_dashboard
from scripts.demo_history import DEMO_PRICE, import_history, simulated_days, user_sensors

ENTITIES = [
    {"unique_id": "B_user_U1_energy", "entity_id": "sensor.amina_energy"},
    {"unique_id": "B_user_U1_cost", "entity_id": "sensor.amina_cost"},
    {"unique_id": "B_user_U1_energy_this_period", "entity_id": "sensor.amina_period"},
    {"unique_id": "B_user_U1_renew_link", "entity_id": "button.amina_renew_personal_link"},
    {"unique_id": "B_user_U1_personal_link", "entity_id": "image.amina_personal_link"},
    {"unique_id": "B_user_unassigned_energy", "entity_id": "sensor.unassigned_energy"},
    {"unique_id": "S1_total_power", "entity_id": "sensor.strip_power"},
    {"unique_id": "S1_budget", "entity_id": "number.strip_budget"},
    {"unique_id": "S1_waiting", "entity_id": "sensor.strip_waiting"},
]


class Recorder:
    def __init__(self, version: str = "2025.4.4") -> None:
        self.version = version
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(self, kind: str, **data: Any) -> Any:
        self.calls.append((kind, data))
        if kind == "get_config":
            return {"time_zone": "Europe/Paris", "version": self.version}
        if kind == "recorder/statistics_during_period":  # the import is done
            return {data["statistic_ids"][0]: [{"sum": 1.0}]}
        return None


async def test_the_past_is_hourly_without_gaps_and_costs_the_demo_price() -> None:
    ws = Recorder()
    summary = await import_history(ws, ENTITIES, seed=1, days=35)
    assert summary == {"history_days": 35, "history_users": 1}
    imports = {
        data["metadata"]["statistic_id"]: data
        for kind, data in ws.calls
        if kind == "recorder/import_statistics"
    }
    assert set(imports) == {"sensor.amina_energy", "sensor.amina_cost"}
    energy = imports["sensor.amina_energy"]["stats"]
    cost = imports["sensor.amina_cost"]["stats"]
    starts = [datetime.fromisoformat(row["start"]) for row in energy]
    assert starts == sorted(starts)
    assert all((b - a) % timedelta(hours=1) == timedelta(0) for a, b in itertools.pairwise(starts))
    paris = ZoneInfo("Europe/Paris")
    # Every day ends with a row at 23:00: the sum each period starts from.
    evenings = {
        start.astimezone(paris).date() for start in starts if start.astimezone(paris).hour == 23
    }
    assert len(evenings) == 35
    assert starts[-1] + timedelta(hours=1) <= datetime.now(paris).astimezone(UTC)  # last midnight
    assert len(energy) < 35 * 8  # the hours something was drawn, not all 24
    sums = [row["sum"] for row in energy]
    assert sums == sorted(sums)
    assert 5 < sums[-1] < 35 * 1.5  # a laptop or two on most weekdays
    assert cost[-1]["sum"] == pytest.approx(sums[-1] * DEMO_PRICE)
    assert imports["sensor.amina_energy"]["metadata"]["unit_of_measurement"] == "kWh"


@pytest.mark.parametrize(
    ("version", "energy", "cost"),
    [
        ("2025.4.4", {"has_mean": False}, {"has_mean": False}),
        (
            "2026.10.4",
            {"mean_type": 0, "unit_class": "energy"},
            {"mean_type": 0, "unit_class": None},
        ),
    ],
)
async def test_the_metadata_is_the_form_that_home_assistant_release_wants(
    version: str, energy: dict[str, Any], cost: dict[str, Any]
) -> None:
    ws = Recorder(version)
    await import_history(ws, ENTITIES, seed=1, days=2)
    sent = {
        data["metadata"]["statistic_id"]: data["metadata"]
        for kind, data in ws.calls
        if kind == "recorder/import_statistics"
    }
    for entity_id, wanted in (("sensor.amina_energy", energy), ("sensor.amina_cost", cost)):
        extra = {
            k: v for k, v in sent[entity_id].items() if k in ("has_mean", "mean_type", "unit_class")
        }
        assert extra == wanted


def test_weekends_are_quiet_and_the_same_seed_gives_the_same_past() -> None:
    first = datetime(2026, 10, 5, tzinfo=ZoneInfo("Europe/Paris"))  # a Monday
    days = simulated_days(random.Random(7), first, 70)
    assert days == simulated_days(random.Random(7), first, 70)
    weekdays = sum(sum(day) > 0 for index, day in enumerate(days) if index % 7 < 5)
    weekends = sum(sum(day) > 0 for index, day in enumerate(days) if index % 7 >= 5)
    assert weekdays > 3 * weekends
    assert all(sum(day[:8]) == 0 and sum(day[20:]) == 0 for day in days)  # opening hours


def test_the_dashboard_charts_consumption_per_user_and_the_strip_power() -> None:
    assert user_sensors(ENTITIES) == {
        "U1": {"energy": "sensor.amina_energy", "cost": "sensor.amina_cost"}
    }
    devices = {"d1": {"name": "Amina"}}
    dashboard = build_dashboard([{**e, "device_id": "d1"} for e in ENTITIES], devices, names={})
    views = {view["path"]: view for view in dashboard["views"]}
    users = [row["entity"] for card in views["users"]["cards"] for row in card.get("entities", [])]
    assert not any("link" in entity for entity in users)
    charts = views["consumption"]["cards"]
    assert [(c["type"], c.get("period")) for c in charts] == [
        ("statistics-graph", "day"),
        ("statistics-graph", "week"),
        ("history-graph", None),
        ("history-graph", None),
    ]
    assert "sensor.amina_energy" in charts[0]["entities"]
    assert charts[2]["entities"] == ["sensor.strip_power", "number.strip_budget"]
