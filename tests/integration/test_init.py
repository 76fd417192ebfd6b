"""Setting up and unloading a strip against the real simulated agent."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_TOKEN, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import CONF_SCAN_INTERVAL, DOMAIN
from tests.integration.devices import device_with
from tests.support.agent import RunningAgent, free_port


async def test_setup_and_unload_against_the_simulated_agent(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("switch.desk_1") is not None
    assert hass.states.get("sensor.coworking_strip_total_power") is not None

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("switch.desk_1").state == STATE_UNAVAILABLE


async def test_every_outlet_has_its_switch_and_sensors(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    for outlet in ("desk_1", "desk_2", "desk_3", "lamp"):
        for entity_id in (
            f"switch.{outlet}",
            f"switch.{outlet}_exception_outlet",
            f"select.{outlet}_control",
            *(
                f"sensor.{outlet}_{sensor}"
                for sensor in ("power", "energy", "state", "battery", "current", "voltage")
            ),
        ):
            assert entity_registry.async_get(entity_id), entity_id


async def test_the_strip_is_a_device_and_each_outlet_a_sub_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
    device_registry: dr.DeviceRegistry,
) -> None:
    strip = device_with(hass, (DOMAIN, agent.serial))
    assert strip is not None
    assert (strip.name, strip.manufacturer, strip.model, strip.sw_version) == (
        "Coworking strip",
        "SmartMulti",
        "SmartMulti strip",
        "0.1.0",
    )
    assert strip.serial_number == agent.serial
    assert strip.configuration_url == f"{agent.url}/api/v1/info"

    outlets = [
        device
        for device in dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
        if device.via_device_id == strip.id
    ]
    assert sorted(device.name for device in outlets) == ["Desk 1", "Desk 2", "Desk 3", "Lamp"]


async def test_setup_is_retried_while_the_agent_is_unreachable(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="sim-agent-1",
        data={"host": "127.0.0.1", "port": free_port(), CONF_TOKEN: "secret"},
    )
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_a_refused_token_starts_reauthentication(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_TOKEN: "not-the-token"}
    )

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_setup_waits_while_another_strip_answers_at_the_address(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, unique_id="sm-0123456789ab")

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "is strip sim-agent-1, not strip sm-0123456789ab" in str(mock_config_entry.reason)


async def test_a_new_polling_interval_applies_when_saved(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(init_integration, options={CONF_SCAN_INTERVAL: 120})
    await hass.async_block_till_done()

    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.poll_interval == timedelta(seconds=120)
