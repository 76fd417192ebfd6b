"""Each outlet's battery sensor and the battery the balancer is given, against a real agent.

Reports older than the strip's limit are made by putting them on the agent's outlet with a past
time (the agent stamps a posted report with its clock, so the API cannot post an old one), and,
for a Home Assistant sensor, by writing its state with a past timestamp.
"""

from __future__ import annotations

import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.balancing import BatteryReport
from custom_components.smartmulti.const import CONF_BATTERY_MAX_AGE, CONF_BATTERY_SENSORS
from custom_components.smartmulti.planning.strip import StripPlanner
from pi_agent.control.outlet import BatteryReport as AgentBatteryReport
from tests.support.agent import RunningAgent

from .conftest import FAST_CYCLES, report_battery, setup_entries, strip_entry, wait_for

MACBOOK = "sensor.macbook_battery_level"
BATTERY_ATTRIBUTES = {"device_class": "battery", "unit_of_measurement": "%"}


async def _strip(hass: HomeAssistant, agent: RunningAgent, **options: Any) -> StripPlanner:
    entry: MockConfigEntry = strip_entry(hass, agent, **FAST_CYCLES, **options)
    await setup_entries(hass, entry)
    planner: StripPlanner = entry.runtime_data.planner
    await wait_for(lambda: planner.result is not None)
    return planner


def _report_from_the_past(
    agent: RunningAgent, outlet_id: int, percent: float, age_s: float
) -> None:
    """A report the laptop sent ``age_s`` ago (its reporter has been silent since)."""
    agent.agent.controller.outlet(outlet_id).battery = AgentBatteryReport(
        percent, True, received_at=agent.agent.now() - age_s, reported_at=time.time() - age_s
    )


async def _switched_on_a_minute_ago(agent: RunningAgent, outlet_id: int) -> None:
    """The engine estimates a laptop's charge once the outlet's draw has settled after its
    switch-on (5 s): rather than wait, the desk was switched on a minute ago."""
    outlet = agent.agent.controller.outlet(outlet_id)
    await wait_for(lambda: outlet.relay_on and outlet.last_switch_wall is not None)
    outlet.last_switch_wall = time.time() - 60.0


def _estimate(planner: StripPlanner, outlet_id: int) -> float | None:
    decision = planner.result.decision(outlet_id) if planner.result else None
    return decision.percent if decision is not None and decision.estimated else None


async def _engine_battery(
    planner: StripPlanner, outlet_id: int, expected: BatteryReport | None
) -> BatteryReport | None:
    """The battery the engine is given for the outlet, once a cycle gave it ``expected``'s
    percent (or nothing)."""

    def given() -> BatteryReport | None:
        strip = planner.last_input
        if strip is None:
            return None
        return next(o.battery for o in strip.outlets if o.outlet_id == outlet_id)

    def settled() -> bool:
        battery = given()
        if expected is None:
            return battery is None
        return battery is not None and battery.percent == expected.percent

    await wait_for(settled)
    return given()


def _battery(hass: HomeAssistant, outlet: str) -> tuple[str, dict[str, Any]]:
    state = hass.states.get(f"sensor.{outlet}_battery")
    assert state is not None
    return state.state, dict(state.attributes)


def _shown(hass: HomeAssistant, outlet: str) -> tuple[str, Any, Any, Any]:
    """The battery sensor's state, source, age (minutes) and stale flag."""
    state, attributes = _battery(hass, outlet)
    return state, attributes["source"], attributes["age"], attributes["stale"]


async def test_a_reporters_battery_is_shown_with_its_source_and_age(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await _strip(hass, agent)

    await report_battery(hass, agent, 2, 42.0)
    await wait_for(lambda: _battery(hass, "desk_2")[0] == "42.0")
    _report_from_the_past(agent, 3, 57.0, age_s=5 * 60 + 10)
    await wait_for(lambda: _battery(hass, "desk_3")[0] == "57.0")

    assert _shown(hass, "desk_2") == ("42.0", "reporter", 0, False)
    assert _shown(hass, "desk_3") == ("57.0", "reporter", 5, False)


async def test_a_fresher_mapped_sensor_is_used_by_the_balancer_and_shown_as_the_source(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    _report_from_the_past(agent, 2, 80.0, age_s=180.0)
    hass.states.async_set(MACBOOK, "23", BATTERY_ATTRIBUTES)
    planner = await _strip(hass, agent, **{CONF_BATTERY_SENSORS: {"2": MACBOOK}})

    given = await _engine_battery(planner, 2, BatteryReport(23.0, True, 0.0))

    assert given is not None
    assert given.age_s < 60.0
    assert _shown(hass, "desk_2") == ("23.0", "home_assistant", 0, False)


async def test_the_agents_report_is_used_when_it_is_fresher_than_the_mapped_sensor(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    hass.states.async_set(MACBOOK, "23", BATTERY_ATTRIBUTES, timestamp=time.time() - 240.0)
    planner = await _strip(hass, agent, **{CONF_BATTERY_SENSORS: {"2": MACBOOK}})

    await report_battery(hass, agent, 2, 64.0)

    await _engine_battery(planner, 2, BatteryReport(64.0, True, 0.0))
    await wait_for(lambda: _battery(hass, "desk_2")[0] == "64.0")
    assert _shown(hass, "desk_2") == ("64.0", "reporter", 0, False)


async def test_the_estimate_is_shown_when_there_is_no_report(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await _switched_on_a_minute_ago(agent, 1)
    planner = await _strip(hass, agent)

    await wait_for(lambda: _estimate(planner, 1) is not None)
    await wait_for(lambda: _battery(hass, "desk_1")[0] == str(_estimate(planner, 1)))

    assert _battery(hass, "desk_1")[1] == {
        "source": "estimate",
        "age": None,
        "stale": False,
        "device_class": "battery",
        "unit_of_measurement": "%",
        "state_class": "measurement",
        "friendly_name": "Desk 1 Battery",
    }


async def test_a_stale_agent_report_is_ignored_by_the_balancer_and_shown_as_stale(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await _switched_on_a_minute_ago(agent, 3)
    _report_from_the_past(agent, 3, 57.0, age_s=20 * 60)
    planner = await _strip(hass, agent)
    await report_battery(hass, agent, 2, 42.0)  # a fresh one beside it: the cycles did see both
    await _engine_battery(planner, 2, BatteryReport(42.0, True, 0.0))

    assert await _engine_battery(planner, 3, None) is None
    await wait_for(lambda: _battery(hass, "desk_3")[0] == str(_estimate(planner, 3)))
    assert _shown(hass, "desk_3")[1:] == ("estimate", 20, True)


async def test_a_mapped_sensor_not_updated_for_longer_is_ignored_by_the_balancer_and_shown_as_stale(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await _switched_on_a_minute_ago(agent, 2)
    hass.states.async_set(MACBOOK, "23", BATTERY_ATTRIBUTES, timestamp=time.time() - 11 * 60)
    planner = await _strip(hass, agent, **{CONF_BATTERY_SENSORS: {"2": MACBOOK}})
    await report_battery(hass, agent, 1, 42.0)
    await _engine_battery(planner, 1, BatteryReport(42.0, True, 0.0))

    assert await _engine_battery(planner, 2, None) is None
    await wait_for(lambda: _battery(hass, "desk_2")[0] == str(_estimate(planner, 2)))
    assert _shown(hass, "desk_2")[1:] == ("estimate", 11, True)


async def test_the_age_limit_is_a_strip_option_applied_without_a_reload(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    _report_from_the_past(agent, 3, 57.0, age_s=12 * 60)
    planner = await _strip(hass, agent)
    assert await _engine_battery(planner, 3, None) is None  # 10 minutes by default
    entry = hass.config_entries.async_get_entry(planner.entry_id)
    assert entry is not None

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "battery"}
    )
    assert result["step_id"] == "battery"
    with pytest.raises(InvalidData):  # the engine ignores reports over 15 minutes old anyway
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_BATTERY_MAX_AGE: 16}
        )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_BATTERY_MAX_AGE: 15}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {**FAST_CYCLES, CONF_BATTERY_MAX_AGE: 15}
    assert entry.runtime_data.planner is planner
    given = await _engine_battery(planner, 3, BatteryReport(57.0, True, 0.0))
    assert given is not None
    assert given.age_s >= 12 * 60
    await wait_for(lambda: _shown(hass, "desk_3") == ("57.0", "reporter", 12, False))


async def test_the_strip_shows_how_many_laptops_have_only_an_estimate(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    """The manager's count of laptops a reporter would help: desk 1's estimated laptop is in
    it until its reporter posts."""
    await _switched_on_a_minute_ago(agent, 1)
    planner = await _strip(hass, agent)
    entity_id = "sensor.coworking_strip_laptops_without_battery_report"

    def shown() -> str | None:
        state = hass.states.get(entity_id)
        return None if state is None else state.state

    def counted() -> int | None:
        return None if planner.result is None else planner.result.strip_plan.unreported

    await wait_for(lambda: _estimate(planner, 1) is not None)
    await wait_for(lambda: shown() == str(counted()))
    before = counted()
    assert before is not None
    assert before >= 1

    await report_battery(hass, agent, 1, 42.0)
    await _engine_battery(planner, 1, BatteryReport(42.0, True, 0.0))
    await wait_for(lambda: _estimate(planner, 1) is None and shown() == str(counted()))
    decision = planner.result.decision(1) if planner.result else None
    assert decision is not None
    assert not decision.estimated
    assert hass.states.get(entity_id).attributes["state_class"] == "measurement"
