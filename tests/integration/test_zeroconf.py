"""Strips found by zeroconf: a new one added with its token, a known one followed to a new
address only when the agent there proves it is that strip, anything else refused.
"""

from __future__ import annotations

from ipaddress import ip_address

from homeassistant.config_entries import SOURCE_ZEROCONF
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import DOMAIN
from tests.support.agent import RunningAgent

from .conftest import AgentFactory
from .flow_support import address

pytestmark = pytest.mark.usefixtures("mock_setup_entry")


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
    assert result["data"] == address(agent)
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
        mock_config_entry, data=address(agent, **{CONF_HOST: "192.0.2.7", CONF_PORT: 8450})
    )

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(agent, agent.serial)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data == address(agent)


async def test_zeroconf_never_moves_a_strip_to_an_address_where_another_strip_answers(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    start_test_agent: AgentFactory,
) -> None:
    """An advertisement naming a configured strip's serial, from an address where another
    strip (or anything else) answers: moving the strip there would send its token to that
    address and bind its entities and billing to another strip. The agent that answers
    decides: here it is a new strip to add."""
    other = await start_test_agent("other")
    mock_config_entry.add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(other, agent.serial)
    )

    assert mock_config_entry.data == address(agent)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zeroconf_confirm"
    assert result["description_placeholders"]["serial"] == other.serial


async def test_zeroconf_of_a_known_strip_at_its_address_asks_it_nothing(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    """Every advertisement of a configured strip that has not moved ends at once."""
    mock_config_entry.add_to_hass(hass)
    await agent.stop()

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(agent, agent.serial)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_zeroconf_confirm_refuses_another_strip_that_took_the_discovered_address(
    hass: HomeAssistant, agent: RunningAgent, start_test_agent: AgentFactory
) -> None:
    """A discovery waits in the list; meanwhile another strip answers at its address, and the
    manager types that strip's token: the entry would carry the first strip's serial with the
    other's address and token."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(agent, agent.serial)
    )
    assert result["step_id"] == "zeroconf_confirm"
    await agent.stop()
    other = await start_test_agent("other", port=agent.port)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: other.token}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"
    assert not hass.config_entries.async_entries(DOMAIN)


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
