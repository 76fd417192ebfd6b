"""Every path of the config flow against the real simulated agent: a strip added by hand, its
token renewed, its address changed, and a circuit renamed (zeroconf: ``test_zeroconf.py``).
"""

from __future__ import annotations

from unittest.mock import AsyncMock, patch

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import DOMAIN
from tests.support.agent import RunningAgent, free_port

from .conftest import AgentFactory, circuit_entry
from .flow_support import address

pytestmark = pytest.mark.usefixtures("mock_setup_entry")


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

    result = await hass.config_entries.flow.async_configure(flow_id, address(agent))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Coworking strip"
    assert result["data"] == address(agent)
    assert result["result"].unique_id == agent.serial
    assert len(mock_setup_entry.mock_calls) == 1


async def _assert_error_then_success(
    hass: HomeAssistant, agent: RunningAgent, wrong: dict[str, object], error: str
) -> None:
    flow_id = await _user_flow(hass)

    result = await hass.config_entries.flow.async_configure(flow_id, wrong)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(flow_id, address(agent))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_step_shows_cannot_connect_when_nothing_answers(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    wrong = address(agent, **{CONF_PORT: free_port()})
    await _assert_error_then_success(hass, agent, wrong, "cannot_connect")


async def test_user_step_shows_invalid_auth_for_a_wrong_token(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    wrong = address(agent, **{CONF_TOKEN: "not-the-token"})
    await _assert_error_then_success(hass, agent, wrong, "invalid_auth")


async def test_user_step_explains_that_a_reporter_token_is_not_enough(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    wrong = address(agent, **{CONF_TOKEN: agent.reporter_token})
    await _assert_error_then_success(hass, agent, wrong, "reporter_token")


async def test_user_step_shows_unknown_on_an_unexpected_error(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    flow_id = await _user_flow(hass)

    with patch(
        "custom_components.smartmulti.client.api.SmartMultiClient.info",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, address(agent))

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}


@pytest.mark.parametrize(
    "typed",
    [
        "http://{host}:{port}",
        "http://{host}:{port}/",
        "{host}:{port}",
        "  {host}  ",
        "HTTP://{host}:{port}",
    ],
)
async def test_user_step_takes_the_agents_url_as_its_host_and_port(
    hass: HomeAssistant, agent: RunningAgent, typed: str
) -> None:
    """What the agent's log or a browser shows is what a manager pastes: the port in it wins
    over the port field's default."""
    flow_id = await _user_flow(hass)
    host = typed.format(host=agent.host, port=agent.port)
    port_field = 8450 if "{port}" in typed else agent.port

    result = await hass.config_entries.flow.async_configure(
        flow_id, address(agent, **{CONF_HOST: host, CONF_PORT: port_field})
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == address(agent)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "https://{host}",
        "{host}/api/v1",
        "admin@{host}",
        "my strip",
        "[{host}",
        "http://",
    ],
)
async def test_user_step_shows_invalid_host_on_the_host_for_what_is_no_address(
    hass: HomeAssistant, agent: RunningAgent, typed: str
) -> None:
    flow_id = await _user_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id, address(agent, **{CONF_HOST: typed.format(host=agent.host)})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "invalid_host"}

    result = await hass.config_entries.flow.async_configure(flow_id, address(agent))
    assert result["type"] is FlowResultType.CREATE_ENTRY


def _not_an_agent(status: int, body: str, content_type: str) -> web.Application:
    """A web server that is no SmartMulti agent: every path gets the same answer."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type=content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (401, '{"message": "401: Unauthorized"}', "application/json"),  # Home Assistant's API
        (403, "Forbidden", "text/plain"),
        (200, "<html><body>Router login</body></html>", "text/html"),
        (200, '{"hello": "world"}', "application/json"),
        (404, "Not Found", "text/plain"),
    ],
)
async def test_user_step_says_what_answers_is_no_smartmulti_agent(
    hass: HomeAssistant, agent: RunningAgent, status: int, body: str, content_type: str
) -> None:
    """A manager typing the address of Home Assistant itself, a router or a printer: it
    answers, so "cannot connect" would be wrong and "the agent refused this token" more so
    (the agent's identity needs no token)."""
    runner = web.AppRunner(_not_an_agent(status, body, content_type))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        await _assert_error_then_success(
            hass, agent, address(agent, **{CONF_PORT: port}), "not_agent"
        )
    finally:
        await runner.cleanup()


async def test_a_token_pasted_with_spaces_or_a_line_break_is_the_token(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    """The token is copied from a file (``cat /var/lib/smartmulti/token``): its line break
    and stray spaces come along, in every step that asks for it."""
    pasted = f"  {agent.token}\n"
    flow_id = await _user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, address(agent, **{CONF_TOKEN: pasted})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == address(agent)


async def test_a_token_pasted_with_a_line_break_renews_the_token(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    pasted = f"  {agent.token}\n"
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data=address(agent, **{CONF_TOKEN: "old-token"})
    )
    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TOKEN: pasted})
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_TOKEN] == agent.token


async def test_user_step_aborts_when_the_strip_is_already_configured(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    flow_id = await _user_flow(hass)

    result = await hass.config_entries.flow.async_configure(flow_id, address(agent))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# ---------------------------------------------------------------------------------- zeroconf


async def test_reauth_stores_the_new_token(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data=address(agent, **{CONF_TOKEN: "old-token"})
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


async def test_reauth_refuses_the_token_of_another_strip_now_at_the_address(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    start_test_agent: AgentFactory,
) -> None:
    """The strip's Pi was swapped for another strip's: its token works there, but taking it
    would bind this strip's entities and billing to the other strip."""
    other = await start_test_agent("other")
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data=address(other, **{CONF_TOKEN: "old-token"})
    )
    before = dict(mock_config_entry.data)

    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: other.token}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"
    assert mock_config_entry.data == before


# ---------------------------------------------------------------------------------- reconfigure


async def test_reconfigure_moves_the_strip_to_its_new_address(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data=address(agent, **{CONF_HOST: "192.0.2.7", CONF_PORT: 8450})
    )

    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address(agent, **{CONF_PORT: free_port()})
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], address(agent))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == address(agent)


async def test_reconfigure_refuses_an_address_where_another_strip_answers(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    start_test_agent: AgentFactory,
) -> None:
    other = await start_test_agent("other")
    mock_config_entry.add_to_hass(hass)

    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], address(other))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"
    assert mock_config_entry.data == address(agent)


async def test_reconfigure_refuses_what_is_no_address_and_keeps_the_strips(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)

    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address(agent, **{CONF_HOST: f"{agent.host}/admin"})
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "invalid_host"}
    assert mock_config_entry.data == address(agent)


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


@pytest.mark.parametrize(
    "name",
    [
        "Ground\u202efloor",  # a direction override: shown as another circuit's name
        "Room\x00",
        "Room\nA",
        "Room\u2028A",
    ],
)
async def test_a_circuit_name_with_a_hidden_or_control_character_is_refused(
    hass: HomeAssistant, name: str
) -> None:
    """As a user's name: circuits are told apart by their names, in the forms and entities."""
    room = circuit_entry(hass, "Room", 3000.0)

    result = await room.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_NAME: name})

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NAME: "invalid_name"}
    assert room.title == "Room"
