"""Strips found by zeroconf: a new one added with its token, a known one followed to a new
address only when the agent there proves it is that strip, anything else refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from ipaddress import ip_address

from aiohttp import ClientSession, web
from homeassistant.config_entries import SOURCE_ZEROCONF
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.flows.agent import address_proof as integration_proof
from pi_agent.api.address_proof import address_proof as agent_proof
from tests.support.agent import RunningAgent

from .conftest import AgentFactory
from .flow_support import address

pytestmark = pytest.mark.usefixtures("mock_setup_entry")


def _zeroconf(
    agent: RunningAgent, serial: str | None = None, port: int | None = None
) -> ZeroconfServiceInfo:
    """What the agent advertises (pi_agent/discovery.py); ``port``: another one, as anyone on
    the LAN may advertise."""
    properties = {"version": "0.1.0", "api": "/api/v1", "outlets": "4"}
    if serial is not None:
        properties["serial"] = serial
    return ZeroconfServiceInfo(
        ip_address=ip_address(agent.host),
        ip_addresses=[ip_address(agent.host)],
        hostname=f"smartmulti-{agent.serial}.local.",
        name=f"SmartMulti {agent.serial}._smartmulti._tcp.local.",
        port=agent.port if port is None else port,
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


@contextlib.asynccontextmanager
async def _impostor(real: RunningAgent, *, relay_proofs: bool) -> AsyncIterator[_Impostor]:
    """Something on the LAN that says it is ``real``: it forwards ``/info``, and, if
    ``relay_proofs``, the address proof too, to the real agent; it notes every token sent."""
    impostor = _Impostor()

    async def forward(request: web.Request) -> web.Response:
        if auth := request.headers.get("Authorization"):
            impostor.tokens.append(auth)
        if request.path.endswith("/address-proof") and not relay_proofs:
            raise web.HTTPNotFound
        async with (
            ClientSession() as http,
            http.request(
                request.method, real.url + request.path, data=await request.read()
            ) as answer,
        ):
            return web.Response(
                status=answer.status, body=await answer.read(), content_type="application/json"
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    impostor.port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        yield impostor
    finally:
        await runner.cleanup()


class _Impostor:
    def __init__(self) -> None:
        self.port = 0
        self.tokens: list[str] = []


@pytest.mark.parametrize("relay_proofs", [True, False])
async def test_zeroconf_never_moves_a_strip_to_an_address_that_cannot_prove_it_is_that_strip(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    relay_proofs: bool,
) -> None:
    """A stranger on the LAN advertises the strip's serial and answers its identity (even
    relaying the address proof to the real agent): moving the strip there would hand the
    stranger the admin token with the next request. It stays where it is, and the stranger
    gets no token."""
    mock_config_entry.add_to_hass(hass)
    async with _impostor(agent, relay_proofs=relay_proofs) as impostor:
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_ZEROCONF},
            data=_zeroconf(agent, agent.serial, port=impostor.port),
        )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unproven_address"
    assert mock_config_entry.data == address(agent)
    assert impostor.tokens == []
    assert "cannot prove it holds that strip's token" in caplog.text


@pytest.mark.parametrize(
    ("host", "seen_as"),
    [
        ("192.168.1.20", "192.168.1.20"),
        ("::ffff:192.168.1.20", "192.168.1.20"),
        ("fe80::1%eth0", "fe80::1"),
        ("2001:db8::0:1", "2001:db8::1"),
    ],
)
def test_home_assistant_and_the_agent_make_the_same_address_proof(host: str, seen_as: str) -> None:
    token, nonce = "t" * 43, "0123456789abcdef" * 2
    assert integration_proof(token, nonce, host, 8450) == agent_proof(token, nonce, seen_as, 8450)
    assert integration_proof(token, nonce, host, 8450) != agent_proof(token, nonce, seen_as, 8451)
    assert integration_proof(token, nonce, host, 8450) != agent_proof("u" * 43, nonce, host, 8450)
