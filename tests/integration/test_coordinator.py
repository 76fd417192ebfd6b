"""The coordinator: push from the agent's event stream, and what an outage looks like."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import CONF_SCAN_INTERVAL, DOMAIN
from tests.integration.devices import device_with
from tests.support.agent import RunningAgent

from .conftest import AgentFactory, wait_for

INTEGRATION_LOGGER = "custom_components.smartmulti"


def _integration_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name.startswith(INTEGRATION_LOGGER) and record.levelno == level
    ]


async def test_a_relay_change_on_the_agent_shows_without_waiting_for_a_poll(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_SCAN_INTERVAL: 3600})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    coordinator = mock_config_entry.runtime_data.coordinator
    await wait_for(lambda: coordinator.stream_connected)
    assert hass.states.get("switch.desk_2").state == "on"

    agent.agent.controller.set_override(2, False)  # e.g. a manager's command from elsewhere

    await wait_for(lambda: hass.states.get("switch.desk_2").state == "off", limit_s=2.0)
    assert coordinator.update_interval is None  # no poll is even scheduled while pushed to


async def test_a_commands_late_answer_never_hides_a_newer_state_from_the_stream(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    """A busy Home Assistant may read a command's answer after the stream's next event."""
    coordinator = init_integration.runtime_data.coordinator
    controller = agent.agent.controller
    await wait_for(lambda: coordinator.stream_connected)
    send = coordinator.client.set_relay

    async def answered_late(outlet_id: int, on: bool | None) -> object:
        answer = await send(outlet_id, on)  # the real agent applies the command
        controller.set_override(outlet_id, False)  # then someone else's command
        await wait_for(lambda: coordinator.data.state.outlets[outlet_id].override is False)
        return answer  # the answer, older than the state the stream has shown

    with patch.object(coordinator.client, "set_relay", answered_late):
        await coordinator.async_set_relay(2, True)

    assert coordinator.data.state.outlets[2].override is False
    assert hass.states.get("select.desk_2_control").state == "off"


async def test_an_update_writes_only_the_entities_whose_state_changed(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    await wait_for(lambda: coordinator.stream_connected)
    hard_limit = hass.states.get("sensor.coworking_strip_hard_limit")
    power = hass.states.get("sensor.coworking_strip_total_power")
    assert hard_limit is not None
    assert power is not None
    # Home Assistant moves last_reported in place on the state object it keeps.
    hard_limit_reported, power_reported = hard_limit.last_reported, power.last_reported

    # Several pushes later the power has been written again; the hard limit has not.
    await wait_for(
        lambda: hass.states.get("sensor.coworking_strip_total_power").last_reported > power_reported
    )
    agent.agent.controller.set_override(2, False)
    await wait_for(lambda: hass.states.get("switch.desk_2").state == "off")

    assert hass.states.get("sensor.coworking_strip_hard_limit") is hard_limit
    assert hard_limit.last_reported == hard_limit_reported


async def test_strip_fields_follow_the_plan_the_agent_follows(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.coworking_strip_power_budget", "value": 500},
        blocking=True,
    )

    await wait_for(lambda: hass.states.get("sensor.coworking_strip_power_limit").state == "500.0")
    assert hass.states.get("sensor.coworking_strip_mode").state == "planned"


@pytest.mark.usefixtures("fast_reconnect")
async def test_agent_stopped_makes_entities_unavailable_with_one_warning_then_back(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
    start_test_agent: AgentFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    caplog.set_level(logging.DEBUG, logger=INTEGRATION_LOGGER)
    caplog.clear()

    await agent.stop()
    await wait_for(lambda: hass.states.get("switch.desk_1").state == STATE_UNAVAILABLE)
    assert hass.states.get("sensor.coworking_strip_total_power").state == STATE_UNAVAILABLE
    await asyncio.sleep(0.5)  # the stream retries several times meanwhile
    await coordinator.async_refresh()  # and so does the fallback poll
    await coordinator.async_refresh()

    warnings = _integration_records(caplog, logging.WARNING)
    assert len(warnings) == 1
    assert (
        warnings[0]
        .getMessage()
        .startswith(
            f"SmartMulti strip {agent.serial} at {agent.host}:{agent.port} is unavailable: "
        )
    )
    assert not _integration_records(caplog, logging.ERROR)
    assert not _integration_records(caplog, logging.INFO)
    assert len(_integration_records(caplog, logging.DEBUG)) >= 3  # the retries, quietly

    await start_test_agent(port=agent.port)  # same data directory: same strip, same token
    await wait_for(lambda: hass.states.get("switch.desk_1").state != STATE_UNAVAILABLE)
    await wait_for(lambda: coordinator.stream_connected)

    assert [record.getMessage() for record in _integration_records(caplog, logging.INFO)] == [
        f"SmartMulti strip {agent.serial} at {agent.host}:{agent.port} is available again"
    ]
    assert len(_integration_records(caplog, logging.WARNING)) == 1


async def test_a_poll_that_fails_while_unstreamed_makes_entities_unavailable(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    coordinator = init_integration.runtime_data.coordinator

    await agent.stop()
    await coordinator.async_refresh()

    assert hass.states.get("sensor.desk_1_power").state == STATE_UNAVAILABLE


async def _restart(
    agent: RunningAgent, start_test_agent: AgentFactory, *, forget: str = "", **kwargs: object
) -> RunningAgent:
    """Stop the agent, delete the files of its data dir that match ``forget``, start it again."""
    await agent.stop()
    for path in agent.data_dir.glob(forget) if forget else ():
        path.unlink()
    return await start_test_agent(port=agent.port, **kwargs)


@pytest.mark.usefixtures("fast_reconnect")
async def test_an_agent_that_lost_its_saved_state_is_reported_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
    start_test_agent: AgentFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    epoch = coordinator.data.info.energy_epoch

    await _restart(agent, start_test_agent, forget="state.json*")  # and its backups
    await wait_for(lambda: coordinator.data.info.energy_epoch != epoch)

    assert "lost its saved state: its energy counters restart from 0" in caplog.text


@pytest.mark.usefixtures("fast_reconnect")
async def test_a_token_refused_after_an_agent_restart_starts_reauthentication(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
    start_test_agent: AgentFactory,
) -> None:
    await _restart(agent, start_test_agent, forget="token")  # the agent makes a new token

    await wait_for(lambda: hass.config_entries.flow.async_progress_by_handler(DOMAIN))
    flow = hass.config_entries.flow.async_progress_by_handler(DOMAIN)[0]
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert hass.states.get("switch.desk_1").state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("fast_reconnect")
async def test_an_agent_rebuilt_with_fewer_outlets_loses_the_missing_outlet(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
    start_test_agent: AgentFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    await _restart(agent, start_test_agent, outlets=3)

    await wait_for(
        lambda: (
            init_integration.state is ConfigEntryState.LOADED
            and len(init_integration.runtime_data.coordinator.data.state.outlets) == 3
        )
    )
    await hass.async_block_till_done()
    assert device_with(hass, (DOMAIN, f"{agent.serial}_outlet_4")) is None
    assert device_with(hass, (DOMAIN, f"{agent.serial}_outlet_3")) is not None
    assert hass.states.get("switch.lamp") is None


async def test_renaming_an_outlet_renames_its_device_and_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
    device_registry: dr.DeviceRegistry,
) -> None:
    agent.agent.controller.update_outlet(1, name="Window desk")  # e.g. from the options flow

    await wait_for(
        lambda: (
            hass.states.get("sensor.desk_1_power").attributes["friendly_name"]
            == "Window desk Power"
        )
    )
    device = device_with(hass, (DOMAIN, f"{agent.serial}_outlet_1"))
    assert device.name == "Window desk"


async def test_an_outlet_idle_for_a_while_turns_full_on_its_own(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with (
        patch("pi_agent.api.views.IDLE_W", 10_000.0),  # the agent reports every outlet idle
        patch("custom_components.smartmulti.client.models.FULL_AFTER", timedelta(milliseconds=300)),
    ):
        await wait_for(lambda: hass.states.get("sensor.desk_1_state").state == "full")
