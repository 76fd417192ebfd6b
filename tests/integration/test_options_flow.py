"""Every path of the options flow against the real simulated agent: a strip's outlets (saved on
the agent, which may refuse them or be gone), its polling interval, its circuit and balancing
interval, a new circuit made on the way, and a circuit's own limit and parent.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_NAME, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import (
    CONF_BALANCING_INTERVAL,
    CONF_BATTERY_SENSOR,
    CONF_BATTERY_SENSORS,
    CONF_CIRCUIT,
    CONF_EXCEPTION,
    CONF_KIND,
    CONF_MAX_POWER,
    CONF_OUTLET,
    CONF_PARENT,
    CONF_SCAN_INTERVAL,
    DOMAIN,
    KIND_CIRCUIT,
    NO_CIRCUIT,
)
from custom_components.smartmulti.flows.circuits import NEW_CIRCUIT
from tests.support.agent import RunningAgent

from .conftest import circuit_entry
from .flow_support import address

pytestmark = pytest.mark.usefixtures("mock_setup_entry")


async def _options_step(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> ConfigFlowResult:
    """The entry's options flow, past its menu to ``step``."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


async def test_options_rename_an_outlet_and_make_it_an_exception_on_the_agent(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)

    result = await _options_step(hass, mock_config_entry, "outlet")
    assert result["step_id"] == "outlet"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_OUTLET: "2"}
    )
    assert result["step_id"] == "outlet_settings"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_NAME: "  ", CONF_EXCEPTION: True}
    )
    assert result["errors"] == {CONF_NAME: "invalid_name"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_NAME: "Window screen", CONF_EXCEPTION: True}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    outlet = agent.agent.controller.outlet(2)
    assert (outlet.name, outlet.exception) == ("Window screen", True)
    assert mock_config_entry.options == {}


async def test_options_outlets_abort_when_the_agent_does_not_answer(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    await agent.stop()

    result = await _options_step(hass, mock_config_entry, "outlet")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_options_set_the_fallback_polling_interval(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)

    result = await _options_step(hass, mock_config_entry, "polling")
    assert result["step_id"] == "polling"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 120}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {CONF_SCAN_INTERVAL: 120}


async def _choose_outlet(hass: HomeAssistant, entry: MockConfigEntry, outlet: str) -> str:
    result = await _options_step(hass, entry, "outlet")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_OUTLET: outlet}
    )
    assert result["step_id"] == "outlet_settings"
    return result["flow_id"]


async def test_options_show_the_agents_refusal_of_a_name_on_the_name(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    flow_id = await _choose_outlet(hass, mock_config_entry, "1")

    result = await hass.config_entries.options.async_configure(
        flow_id,
        {CONF_NAME: "Desk\t1", CONF_EXCEPTION: False},  # the agent refuses tabs
    )

    assert result["errors"] == {CONF_NAME: "invalid_name"}


async def test_options_show_a_wrong_token_when_saving_an_outlet(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    flow_id = await _choose_outlet(hass, mock_config_entry, "1")
    hass.config_entries.async_update_entry(
        mock_config_entry, data=address(agent, **{CONF_TOKEN: "revoked"})
    )

    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_NAME: "Desk 1", CONF_EXCEPTION: False}
    )

    assert result["errors"] == {"base": "invalid_auth"}


async def test_options_show_cannot_connect_when_the_agent_goes_away_before_saving(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    flow_id = await _choose_outlet(hass, mock_config_entry, "1")
    await agent.stop()

    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_NAME: "Desk 1", CONF_EXCEPTION: False}
    )

    assert result["errors"] == {"base": "cannot_connect"}


# ---------------------------------------------------------------------------------- circuits


async def _balancing_options(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    result = await _options_step(hass, entry, "balancing")
    assert result["step_id"] == "balancing"
    return result["flow_id"]


async def test_options_put_a_strip_on_a_new_circuit_under_another(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    site = circuit_entry(hass, "Site", 9000.0)
    flow_id = await _balancing_options(hass, mock_config_entry)

    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_CIRCUIT: NEW_CIRCUIT, CONF_BALANCING_INTERVAL: 15}
    )
    assert result["step_id"] == "new_circuit"
    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_NAME: " Room 2 ", CONF_MAX_POWER: 3000, CONF_PARENT: site.entry_id}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    room = next(
        entry for entry in hass.config_entries.async_entries(DOMAIN) if entry.title == "Room 2"
    )
    assert room.data == {CONF_KIND: KIND_CIRCUIT, CONF_NAME: "Room 2"}
    assert room.options == {CONF_MAX_POWER: 3000.0, CONF_PARENT: site.entry_id}
    assert mock_config_entry.options == {
        CONF_CIRCUIT: room.entry_id,
        CONF_BALANCING_INTERVAL: 15,
    }


async def test_a_new_top_level_circuit_has_no_parent(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    flow_id = await _balancing_options(hass, mock_config_entry)
    await hass.config_entries.options.async_configure(
        flow_id, {CONF_CIRCUIT: NEW_CIRCUIT, CONF_BALANCING_INTERVAL: 10}
    )

    await hass.config_entries.options.async_configure(
        flow_id, {CONF_NAME: "Site", CONF_MAX_POWER: 9000, CONF_PARENT: NO_CIRCUIT}
    )

    (site,) = [e for e in hass.config_entries.async_entries(DOMAIN) if e.title == "Site"]
    assert site.options == {CONF_MAX_POWER: 9000.0}


@pytest.mark.parametrize(("name", "error"), [("  ", "invalid_name"), ("site", "circuit_exists")])
async def test_a_new_circuit_needs_a_new_name(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    name: str,
    error: str,
) -> None:
    mock_config_entry.add_to_hass(hass)
    circuit_entry(hass, "Site", 9000.0)
    flow_id = await _balancing_options(hass, mock_config_entry)
    await hass.config_entries.options.async_configure(
        flow_id, {CONF_CIRCUIT: NEW_CIRCUIT, CONF_BALANCING_INTERVAL: 10}
    )

    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_NAME: name, CONF_MAX_POWER: 3000, CONF_PARENT: NO_CIRCUIT}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NAME: error}


async def test_circuit_options_never_offer_the_circuit_or_one_below_it_as_its_parent(
    hass: HomeAssistant,
) -> None:
    site = circuit_entry(hass, "Site", 9000.0)
    room = circuit_entry(hass, "Room", 3000.0, parent=site)
    circuit_entry(hass, "Desk row", 1000.0, parent=room)
    other = circuit_entry(hass, "Annex", 2000.0)

    result = await hass.config_entries.options.async_init(site.entry_id)

    assert result["step_id"] == "circuit"
    parents = [
        option["value"] for option in result["data_schema"].schema[CONF_PARENT].config["options"]
    ]
    assert parents == [NO_CIRCUIT, other.entry_id]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MAX_POWER: 8000, CONF_PARENT: other.entry_id}
    )
    assert site.options == {CONF_MAX_POWER: 8000.0, CONF_PARENT: other.entry_id}


# ---------------------------------------------------------------------------------- balancing


async def test_options_put_a_strip_on_a_circuit_and_set_its_balancing_interval(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    room = circuit_entry(hass, "Room", 3000.0)
    flow_id = await _balancing_options(hass, mock_config_entry)

    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_CIRCUIT: room.entry_id, CONF_BALANCING_INTERVAL: 20}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {CONF_CIRCUIT: room.entry_id, CONF_BALANCING_INTERVAL: 20}


async def test_options_take_a_strip_off_its_circuit(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    room = circuit_entry(hass, "Room", 3000.0)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_CIRCUIT: room.entry_id, CONF_SCAN_INTERVAL: 60}
    )

    flow_id = await _balancing_options(hass, mock_config_entry)
    await hass.config_entries.options.async_configure(
        flow_id, {CONF_CIRCUIT: NO_CIRCUIT, CONF_BALANCING_INTERVAL: 10}
    )

    assert mock_config_entry.options == {CONF_SCAN_INTERVAL: 60, CONF_BALANCING_INTERVAL: 10}


async def test_options_map_a_battery_sensor_to_an_outlet_then_clear_it(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.states.async_set("sensor.macbook_battery_level", "57", {"device_class": "battery"})

    flow_id = await _choose_outlet(hass, mock_config_entry, "2")
    await hass.config_entries.options.async_configure(
        flow_id,
        {
            CONF_NAME: "Desk 2",
            CONF_EXCEPTION: False,
            CONF_BATTERY_SENSOR: "sensor.macbook_battery_level",
        },
    )
    assert mock_config_entry.options == {
        CONF_BATTERY_SENSORS: {"2": "sensor.macbook_battery_level"}
    }

    flow_id = await _choose_outlet(hass, mock_config_entry, "2")
    await hass.config_entries.options.async_configure(
        flow_id, {CONF_NAME: "Desk 2", CONF_EXCEPTION: False}
    )
    assert mock_config_entry.options == {}
