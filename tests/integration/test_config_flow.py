"""Every path of the config flow and of the options flow, against the real simulated agent."""

from __future__ import annotations

from ipaddress import ip_address
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
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
from tests.support.agent import RunningAgent, free_port

from .conftest import AgentFactory, circuit_entry

pytestmark = pytest.mark.usefixtures("mock_setup_entry")


def _address(agent: RunningAgent, **changes: object) -> dict[str, object]:
    return {CONF_HOST: agent.host, CONF_PORT: agent.port, CONF_TOKEN: agent.token} | changes


def _zeroconf(agent: RunningAgent, serial: str | None = None) -> ZeroconfServiceInfo:
    """What the agent advertises (pi_agent/discovery.py)."""
    properties = {"version": "0.1.0", "api": "/api/v1", "outlets": "4"}
    if serial is not None:
        properties["serial"] = serial
    return ZeroconfServiceInfo(
        ip_address=ip_address(agent.host),
        ip_addresses=[ip_address(agent.host)],
        hostname=f"smartmulti-{agent.serial}.local.",
        name=f"SmartMulti {agent.serial}._smartmulti._tcp.local.",
        port=agent.port,
        properties=properties,
        type="_smartmulti._tcp.local.",
    )


async def _user_flow(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result["flow_id"]


# ---------------------------------------------------------------------------------- user step


async def test_user_step_creates_an_entry_named_after_the_strip(
    hass: HomeAssistant, agent: RunningAgent, mock_setup_entry: AsyncMock
) -> None:
    flow_id = await _user_flow(hass)

    result = await hass.config_entries.flow.async_configure(flow_id, _address(agent))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Coworking strip"
    assert result["data"] == _address(agent)
    assert result["result"].unique_id == agent.serial
    assert len(mock_setup_entry.mock_calls) == 1


async def _assert_error_then_success(
    hass: HomeAssistant, agent: RunningAgent, wrong: dict[str, object], error: str
) -> None:
    flow_id = await _user_flow(hass)

    result = await hass.config_entries.flow.async_configure(flow_id, wrong)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(flow_id, _address(agent))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_step_shows_cannot_connect_when_nothing_answers(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    wrong = _address(agent, **{CONF_PORT: free_port()})
    await _assert_error_then_success(hass, agent, wrong, "cannot_connect")


async def test_user_step_shows_invalid_auth_for_a_wrong_token(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    wrong = _address(agent, **{CONF_TOKEN: "not-the-token"})
    await _assert_error_then_success(hass, agent, wrong, "invalid_auth")


async def test_user_step_explains_that_a_reporter_token_is_not_enough(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    wrong = _address(agent, **{CONF_TOKEN: agent.reporter_token})
    await _assert_error_then_success(hass, agent, wrong, "reporter_token")


async def test_user_step_shows_unknown_on_an_unexpected_error(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    flow_id = await _user_flow(hass)

    with patch(
        "custom_components.smartmulti.client.api.SmartMultiClient.info",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, _address(agent))

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}


async def test_user_step_aborts_when_the_strip_is_already_configured(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    flow_id = await _user_flow(hass)

    result = await hass.config_entries.flow.async_configure(flow_id, _address(agent))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# ---------------------------------------------------------------------------------- zeroconf


async def test_zeroconf_discovery_asks_for_the_token_then_creates_the_entry(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(agent, agent.serial)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zeroconf_confirm"
    assert result["description_placeholders"] == {
        "name": "Coworking strip",
        "serial": agent.serial,
        "host": agent.host,
        "port": str(agent.port),
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "not-the-token"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: agent.token}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == _address(agent)
    assert result["result"].unique_id == agent.serial


async def test_zeroconf_discovery_without_a_serial_asks_the_agent_who_it_is(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(agent, serial=None)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_zeroconf_discovery_of_a_known_strip_updates_its_address(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data=_address(agent, **{CONF_HOST: "192.0.2.7", CONF_PORT: 8450})
    )

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(agent, agent.serial)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data == _address(agent)


async def test_zeroconf_discovery_aborts_when_the_agent_does_not_answer(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await agent.stop()

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(agent, agent.serial)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


# ---------------------------------------------------------------------------------- reauth


async def test_reauth_stores_the_new_token(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data=_address(agent, **{CONF_TOKEN: "old-token"})
    )

    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: agent.token}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_TOKEN] == agent.token


# ---------------------------------------------------------------------------------- reconfigure


async def test_reconfigure_moves_the_strip_to_its_new_address(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data=_address(agent, **{CONF_HOST: "192.0.2.7", CONF_PORT: 8450})
    )

    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _address(agent, **{CONF_PORT: free_port()})
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _address(agent))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == _address(agent)


async def test_reconfigure_refuses_an_address_where_another_strip_answers(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    start_test_agent: AgentFactory,
) -> None:
    other = await start_test_agent("other")
    mock_config_entry.add_to_hass(hass)

    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _address(other))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"
    assert mock_config_entry.data == _address(agent)


# ---------------------------------------------------------------------------------- options


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
        mock_config_entry, data=_address(agent, **{CONF_TOKEN: "revoked"})
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


async def test_reconfigure_renames_a_circuit(hass: HomeAssistant) -> None:
    room = circuit_entry(hass, "Room", 3000.0)

    result = await room.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_circuit"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Room 1"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "circuit_renamed"
    assert (room.title, room.data[CONF_NAME]) == ("Room 1", "Room 1")


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
