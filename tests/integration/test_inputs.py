"""What the engine is told: the battery rule, the clocks, manual overrides, the settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import State
import pytest

from custom_components.smartmulti.balancing import BatteryReport, OutletInput, Strategy
from custom_components.smartmulti.balancing.facts import freshest
from custom_components.smartmulti.client.models import AgentInfo, SmartMultiData, StripState
from custom_components.smartmulti.hints import OutletHints
from custom_components.smartmulti.planning.inputs import (
    StripSettings,
    sensor_battery,
    strip_input,
)

from .agent_json import AGENT_TIME, outlet_json, strip_json

NOW = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
RECEIVED = 500.0  # Home Assistant's monotonic clock then
INFO = AgentInfo("sm-1", "Strip", "0.1.0", 1, 3, "SmartMulti strip", True, None)


def _data(*outlets: dict[str, Any]) -> SmartMultiData:
    return SmartMultiData(INFO, StripState.from_dict(strip_json(*outlets)), RECEIVED)


def _input(
    data: SmartMultiData,
    *,
    settings: StripSettings | None = None,
    sensors: dict[int, State | None] | None = None,
    hints: dict[int, OutletHints] | None = None,
    later_s: float = 10.0,
) -> dict[int, OutletInput]:
    strip = strip_input(
        data,
        strip_id="sm-1",
        settings=settings or StripSettings(),
        monotonic_now=RECEIVED + later_s,
        utcnow=NOW,
        sensors=sensors or {},
        hints=hints or {},
        stale=False,
    )
    return {outlet.outlet_id: outlet for outlet in strip.outlets}


def _sensor(value: str, reported_s_ago: float) -> State:
    at = NOW - timedelta(seconds=reported_s_ago)
    return State("sensor.macbook_battery", value, last_changed=at, last_reported=at)


def _agent_report(percent: float, reported_s_ago: float) -> dict[str, Any]:
    # reported_at is the agent's wall clock; 10 s pass on Home Assistant's clock (later_s).
    return {
        "percent": percent,
        "plugged": True,
        "reported_at": AGENT_TIME + 10.0 - reported_s_ago,
    }


def test_the_fresher_battery_report_wins() -> None:
    data = _data(outlet_json(1, battery=_agent_report(80.0, reported_s_ago=120.0)))

    from_sensor = _input(data, sensors={1: _sensor("23", reported_s_ago=5.0)})[1].battery
    from_agent = _input(data, sensors={1: _sensor("23", reported_s_ago=600.0)})[1].battery

    # A sensor follows the laptop on its own integration's schedule: its percent may lag.
    assert from_sensor == BatteryReport(percent=23.0, plugged=True, age_s=5.0, may_lag=True)
    assert from_agent == BatteryReport(percent=80.0, plugged=True, age_s=120.0)


def test_a_tie_goes_to_the_agent() -> None:
    agent = BatteryReport(80.0, True, 30.0)
    sensor = BatteryReport(23.0, True, 30.0)

    assert freshest([agent, sensor]) is agent


def test_battery_ages_are_counted_on_the_agents_clock() -> None:
    """The agent's clock may be off by minutes (a Pi without a clock battery): only its own
    timestamps are compared with each other."""
    data = _data(outlet_json(1, battery=_agent_report(55.0, reported_s_ago=42.0)))

    battery = _input(data, later_s=10.0)[1].battery

    assert battery is not None
    assert battery.age_s == pytest.approx(42.0)


@pytest.mark.parametrize(
    "value", [STATE_UNAVAILABLE, STATE_UNKNOWN, "charging", "120", "-1", "nan"]
)
def test_a_sensor_state_that_is_not_a_percent_is_no_report(value: str) -> None:
    assert sensor_battery(_sensor(value, 1.0), NOW, plugged=True) is None


def test_a_sensor_repeating_its_value_is_still_fresh() -> None:
    """``last_reported`` moves when an unchanged value is written again; ``last_changed``
    does not."""
    state = State(
        "sensor.macbook_battery",
        "64",
        last_changed=NOW - timedelta(hours=2),
        last_reported=NOW - timedelta(seconds=20),
    )

    report = sensor_battery(state, NOW, plugged=False)

    assert report == BatteryReport(percent=64.0, plugged=False, age_s=20.0)


def test_seconds_since_switch_come_from_the_agents_clock_and_are_none_before_any_switch() -> None:
    data = _data(outlet_json(1), outlet_json(2, last_switch_at=None))

    outlets = _input(data, later_s=10.0)

    assert outlets[1].seconds_since_switch == pytest.approx(40.0)
    assert outlets[2].seconds_since_switch is None


def test_an_outlet_forced_on_is_an_exception_and_one_forced_off_is_left_out() -> None:
    data = _data(outlet_json(1, override=True), outlet_json(2, override=False), outlet_json(3))

    outlets = _input(data)

    assert outlets[1].exception
    assert 2 not in outlets
    assert not outlets[3].exception


def test_the_budget_is_the_hard_limit_until_one_is_set() -> None:
    data = _data()

    def budget(settings: StripSettings) -> float:
        return strip_input(
            data,
            strip_id="sm-1",
            settings=settings,
            monotonic_now=RECEIVED,
            utcnow=NOW,
            sensors={},
            hints={},
            stale=False,
        ).budget_w

    assert budget(StripSettings()) == 1000.0
    assert budget(StripSettings(budget_w=300.0)) == 300.0


@pytest.mark.parametrize(
    ("strategy", "max_on"), [(Strategy.MAX_OUTLETS, 2), (Strategy.SMART, None)]
)
def test_the_outlet_count_reaches_the_engine_only_under_max_outlets(
    strategy: Strategy, max_on: int | None
) -> None:
    strip = strip_input(
        _data(),
        strip_id="sm-1",
        settings=StripSettings(strategy=strategy, max_outlets=2),
        monotonic_now=RECEIVED,
        utcnow=NOW,
        sensors={},
        hints={},
        stale=False,
    )

    assert strip.strategy is strategy
    assert strip.max_on == max_on


def test_a_users_departure_is_put_on_the_engines_clock() -> None:
    hints = {1: OutletHints(tier=2, departure=NOW + timedelta(hours=1), target_percent=80.0)}

    outlet = _input(_data(), hints=hints, later_s=10.0)[1]

    assert outlet.departure_at == pytest.approx(RECEIVED + 10.0 + 3600.0)
    assert (outlet.tier, outlet.target_percent) == (2, 80.0)
