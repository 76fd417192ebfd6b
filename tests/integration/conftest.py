"""Fixtures for the integration's tests: a real simulated agent on loopback, and a config entry.

Nothing is mocked between Home Assistant and the agent: the integration talks HTTP and SSE to
an agent running in this event loop (``tests/support/agent.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, PropertyMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.smartmulti.const import DOMAIN
from pi_agent.config import StripConfig
from tests.support.agent import RunningAgent, start_agent

# A strip that obeys at once: no minimum on/off times, no stagger, and a budget that lets every
# outlet on, so a relay command shows on the next sample (5 Hz).
TEST_STRIP = StripConfig(
    name="Coworking strip",
    hard_limit_w=2000.0,
    failsafe_budget_w=2000.0,
    min_on_s=0.0,
    min_off_s=0.0,
    stagger_s=0.0,
    settle_s=0.0,
)
OUTLETS = 4  # three desks with laptops, and a lamp (an exception outlet) on the last one

type AgentFactory = Callable[..., Awaitable[RunningAgent]]


async def wait_for(predicate: Callable[[], Any], limit_s: float = 5.0) -> None:
    """Let the event loop (Home Assistant and the agent) run until ``predicate()`` is true.

    Polling on purpose: the conditions are Home Assistant states, which signal no event.
    """
    async with asyncio.timeout(limit_s):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@pytest.fixture
async def start_test_agent(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> AsyncGenerator[AgentFactory]:
    """Start agents (``name`` picks the data dir, so the serial); all are stopped at the end.

    Entries are unloaded before the agents stop, so no test ends with a reconnecting stream.
    """
    started: list[RunningAgent] = []

    async def start(name: str = "agent", **kwargs: Any) -> RunningAgent:
        kwargs.setdefault("outlets", OUTLETS)
        kwargs.setdefault("strip", TEST_STRIP)
        running = await start_agent(tmp_path / name, **kwargs)
        started.append(running)
        return running

    yield start
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    for running in started:
        await running.stop()


@pytest.fixture
async def agent(start_test_agent: AgentFactory) -> RunningAgent:
    """The strip's agent: serial ``sim-agent-1``, four outlets, a lamp on outlet 4."""
    return await start_test_agent()


@pytest.fixture
def mock_config_entry(agent: RunningAgent) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Coworking strip",
        unique_id=agent.serial,
        data={CONF_HOST: agent.host, CONF_PORT: agent.port, CONF_TOKEN: agent.token},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The entry set up against the agent, with its event stream connected."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = mock_config_entry.runtime_data.coordinator
    await wait_for(lambda: coordinator.stream_connected)
    return mock_config_entry


@pytest.fixture
def fast_reconnect() -> Generator[None]:
    """Reconnect the event stream within tenths of a second instead of seconds."""
    with (
        patch("custom_components.smartmulti.const.RECONNECT_MIN_S", 0.05),
        patch("custom_components.smartmulti.const.RECONNECT_MAX_S", 0.2),
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format (its plugin's fixture loses to syrupy's own)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create the entities that are disabled by default, enabled (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Config-flow tests stop at the entry: setting it up is tested on its own."""
    with patch("custom_components.smartmulti.async_setup_entry", return_value=True) as mock_setup:
        yield mock_setup
