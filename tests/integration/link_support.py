"""The network between Home Assistant and an agent, as a loopback relay that can be cut.

A strip on Wi-Fi drops off the network while its agent goes on counting: the relay passes the
bytes of real HTTP and SSE untouched, and ``cut`` closes every connection and refuses new ones
until ``restore``, as a network that went away would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import contextlib
from dataclasses import dataclass, field

from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import DOMAIN
from tests.support.agent import RunningAgent

_CHUNK = 65536


@dataclass
class NetworkLink:
    """A relay from ``port`` on loopback to an agent; ``cut`` and ``restore`` it."""

    target_host: str
    target_port: int
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def restore(self) -> None:
        """Accept connections (on the same port once it had one)."""
        self._server = await asyncio.start_server(
            self._relay, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            agent_r, agent_w = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_w.transport.abort()
            return
        self._writers |= {client_w, agent_w}
        try:
            await asyncio.gather(_pipe(client_r, agent_w), _pipe(agent_r, client_w))
        finally:
            for writer in (client_w, agent_w):
                self._writers.discard(writer)
                writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


async def open_link(agent: RunningAgent) -> NetworkLink:
    """A link to ``agent``, open."""
    link = NetworkLink(agent.host, agent.port)
    await link.restore()
    return link


@pytest.fixture(name="linked_strip")
async def linked_strip_fixture(
    hass: HomeAssistant, agent: RunningAgent
) -> AsyncGenerator[tuple[MockConfigEntry, NetworkLink]]:
    """The strip's entry (not set up), reaching its agent through a link the test can cut."""
    link = await open_link(agent)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=agent.config.strip.name,
        unique_id=agent.serial,
        data={CONF_HOST: "127.0.0.1", CONF_PORT: link.port, CONF_TOKEN: agent.token},
    )
    entry.add_to_hass(hass)
    yield entry, link
    await link.cut()
