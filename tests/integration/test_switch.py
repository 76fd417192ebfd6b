"""Switches and the control select: commands from Home Assistant reach the agent."""

from __future__ import annotations

from dataclasses import replace

from homeassistant.components.select import (
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_OPTION,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import DOMAIN
from tests.support.agent import RunningAgent

from .conftest import TEST_STRIP, AgentFactory, setup_entries, strip_entry, wait_for


async def _switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def _select(hass: HomeAssistant, entity_id: str, option: str) -> None:
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id, ATTR_OPTION: option},
        blocking=True,
    )


async def test_turning_a_desk_off_and_on_reaches_the_agent(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    outlet = agent.agent.controller.outlet(1)

    await _switch(hass, SERVICE_TURN_OFF, "switch.desk_1")
    assert outlet.override is False
    assert hass.states.get("select.desk_1_control").state == "off"  # at once, from the answer
    await wait_for(lambda: hass.states.get("switch.desk_1").state == STATE_OFF)
    assert not outlet.relay_on

    await _switch(hass, SERVICE_TURN_ON, "switch.desk_1")
    assert outlet.override is True
    assert hass.states.get("select.desk_1_control").state == "on"
    await wait_for(lambda: hass.states.get("switch.desk_1").state == STATE_ON)
    assert outlet.relay_on


async def test_control_auto_hands_a_held_outlet_back_to_the_agent(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    outlet = agent.agent.controller.outlet(2)
    await _select(hass, "select.desk_2_control", "off")
    await wait_for(lambda: hass.states.get("switch.desk_2").state == STATE_OFF)

    await _select(hass, "select.desk_2_control", "auto")

    assert outlet.override is None
    assert hass.states.get("select.desk_2_control").state == "auto"
    await wait_for(lambda: hass.states.get("switch.desk_2").state == STATE_ON)  # failsafe: on


async def test_exception_switch_writes_the_flag_to_the_agent(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    await _switch(hass, SERVICE_TURN_ON, "switch.desk_3_exception_outlet")

    assert agent.agent.controller.outlet(3).exception is True
    assert hass.states.get("switch.desk_3_exception_outlet").state == STATE_ON
    await wait_for(lambda: hass.states.get("sensor.desk_3_state").state == "exception")


async def test_switching_off_an_exception_outlet_raises_a_translated_error(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    with pytest.raises(HomeAssistantError) as raised:
        await _switch(hass, SERVICE_TURN_OFF, "switch.lamp")

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "exception_outlet"
    assert str(raised.value) == (
        "Lamp is an exception outlet: it always stays on. Turn its exception flag off first"
    )
    assert agent.agent.controller.outlet(4).relay_on


async def test_a_refused_setting_raises_a_translated_error(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data.coordinator

    with pytest.raises(HomeAssistantError) as raised:
        await coordinator.async_update_outlet(1, name="x" * 65)

    assert raised.value.translation_key == "command_failed"
    assert str(raised.value).startswith("The strip refused the command (invalid_value): name")


async def test_a_command_to_an_unreachable_agent_raises_a_translated_error(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    await agent.stop()

    with pytest.raises(HomeAssistantError) as raised:
        await coordinator.async_set_relay(1, None)

    assert raised.value.translation_key == "cannot_connect"
    assert str(raised.value).startswith(f"Cannot reach the SmartMulti agent at {agent.host}:")


async def test_a_commands_answer_shows_at_once_though_the_stream_moved_meanwhile(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    """An event applied while a command was in flight (here another outlet renamed) may be
    newer than the answer: what the command set is shown from the answer all the same, unless
    the stream changed that very field meanwhile (another admin's later command)."""
    # Sampled only by hand, so the stream carries a command's effect only when told to.
    agent = await start_test_agent(strip=replace(TEST_STRIP, sample_hz=0.001))
    entry = strip_entry(hass, agent)
    await setup_entries(hass, entry)
    coordinator = entry.runtime_data.coordinator
    controller = agent.agent.controller
    seen = coordinator._stream_events

    controller.update_outlet(3, name="Window")
    await agent.agent.sample_once()
    await wait_for(lambda: coordinator.data.state.outlets[3].name == "Window")
    answer = await coordinator.client.set_relay(1, False)
    coordinator._merge_outlet(answer, seen, ("override",))
    assert hass.states.get("select.desk_1_control").state == "off"

    seen = coordinator._stream_events
    answer = await coordinator.client.set_relay(1, None)
    controller.set_override(1, True)  # another admin, after
    await agent.agent.sample_once()
    await wait_for(lambda: coordinator.data.state.outlets[1].override is True)
    coordinator._merge_outlet(answer, seen, ("override",))
    assert hass.states.get("select.desk_1_control").state == "on"


async def test_a_commands_answer_does_not_undo_a_change_made_back_meanwhile(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    """The command's effect and another admin's undoing of it both came by the stream before
    the answer: the value is back to what it was when the command was sent, yet the answer is
    older than the stream, and showing it would hold a state the strip no longer has."""
    agent = await start_test_agent(strip=replace(TEST_STRIP, sample_hz=0.001))
    entry = strip_entry(hass, agent)
    await setup_entries(hass, entry)
    coordinator = entry.runtime_data.coordinator
    controller = agent.agent.controller
    controller.set_override(1, False)
    await agent.agent.sample_once()
    await wait_for(lambda: hass.states.get("select.desk_1_control").state == "off")

    seen = coordinator._stream_events
    answer = await coordinator.client.set_relay(1, None)
    await agent.agent.sample_once()
    await wait_for(lambda: coordinator.data.state.outlets[1].override is None)
    controller.set_override(1, False)  # another admin, after
    await agent.agent.sample_once()
    await wait_for(lambda: coordinator.data.state.outlets[1].override is False)
    coordinator._merge_outlet(answer, seen, ("override",))
    assert hass.states.get("select.desk_1_control").state == "off"
    assert controller.outlet(1).override is False
