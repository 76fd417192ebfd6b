"""Fixtures for the integration's tests: a real simulated agent on loopback, and a config entry.

Nothing is mocked between Home Assistant and the agent: the integration talks HTTP and SSE to
an agent running in this event loop (``tests/support/agent.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, PropertyMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_HOST, CONF_PORT, CONF_TOKEN, MAJOR_VERSION
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.smartmulti.const import (
    CONF_BALANCING_INTERVAL,
    CONF_KIND,
    CONF_MAX_POWER,
    CONF_PARENT,
    DOMAIN,
    KIND_CIRCUIT,
)
from custom_components.smartmulti.entry_kinds import is_strip_entry
from pi_agent.config import StripConfig
from tests.support.agent import RunningAgent, start_agent
from tests.support.blueprints import install_blueprints

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

# Balancing tests plan every second rather than every ten.
FAST_CYCLES = {CONF_BALANCING_INTERVAL: 1}


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
async def blueprints(
    hass: HomeAssistant, tmp_path: Path, fast_reconnect: None
) -> AsyncGenerator[None]:
    """The blueprints installed; the automations made from them stopped at the end.

    Clock jumps outlast the event stream's read timeout: it reconnects quickly here.
    """
    install_blueprints(hass, tmp_path / "config")
    yield
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {ATTR_ENTITY_ID: "all"}, blocking=True
        )


class ReleaseSnapshots(HomeAssistantSnapshotExtension):
    """Home Assistant's snapshot format, with one folder per supported release.

    Registry entries change shape between releases (new fields, sets that became lists), so
    the oldest supported release keeps its own in ``snapshots_oldest`` (beside, not inside,
    so neither run takes the other's for unused snapshots).
    """

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        folder = Path(super().dirname(test_location=test_location))
        return str(folder if MAJOR_VERSION >= 2026 else folder.with_name("snapshots_oldest"))


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format (its plugin's fixture loses to syrupy's own)."""
    return snapshot.use_extension(ReleaseSnapshots)


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
async def mock_setup_entry(hass: HomeAssistant) -> AsyncGenerator[AsyncMock]:
    """Config-flow tests stop at the entry: setting it up is tested on its own. An entry
    "set up" so holds nothing to unload, so the entries are unloaded while the stand-in is
    still in place: Home Assistant's own unloading when the test ends would run the real
    ``async_unload_entry`` on an entry the real setup never saw."""
    with (
        patch("custom_components.smartmulti.async_setup_entry", return_value=True) as mock_setup,
        patch("custom_components.smartmulti.async_unload_entry", return_value=True),
    ):
        yield mock_setup
        await hass.async_block_till_done()
        for entry in hass.config_entries.async_entries(DOMAIN):
            if entry.state is ConfigEntryState.LOADED:
                await hass.config_entries.async_unload(entry.entry_id)


def strip_entry(hass: HomeAssistant, running: RunningAgent, **options: Any) -> MockConfigEntry:
    """A strip's config entry for ``running``, added to Home Assistant (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=running.config.strip.name,
        unique_id=running.serial,
        data={CONF_HOST: running.host, CONF_PORT: running.port, CONF_TOKEN: running.token},
        options=options,
    )
    entry.add_to_hass(hass)
    return entry


def circuit_entry(
    hass: HomeAssistant, name: str, max_power_w: float, parent: MockConfigEntry | None = None
) -> MockConfigEntry:
    """A circuit's config entry, added to Home Assistant (not set up)."""
    options: dict[str, Any] = {CONF_MAX_POWER: max_power_w}
    if parent is not None:
        options[CONF_PARENT] = parent.entry_id
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=name,
        data={CONF_KIND: KIND_CIRCUIT, "name": name},
        options=options,
    )
    entry.add_to_hass(hass)
    return entry


async def setup_entries(hass: HomeAssistant, *entries: MockConfigEntry) -> None:
    """Set up entries; strips wait for their event stream.

    The first setup of the domain sets up every entry already added, hence the state check.
    """
    for entry in entries:
        if entry.state is ConfigEntryState.NOT_LOADED:
            assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for entry in entries:
        if is_strip_entry(entry):
            coordinator = entry.runtime_data.coordinator
            await wait_for(lambda coordinator=coordinator: coordinator.stream_connected)


def restore_budget_and_strategy(
    hass: HomeAssistant, budget_w: float, strategy: str, *strips: str
) -> None:
    """The strips' settings as a manager left them, in force from the very first plan.

    ``strips`` are the entity id prefixes of the strips (their names).
    """
    cache: list[tuple[State, dict[str, object]]] = []
    for strip in strips:
        cache.append(
            (
                State(f"number.{strip}_power_budget", str(budget_w)),
                {
                    "native_max_value": 1000.0,
                    "native_min_value": 0.0,
                    "native_step": 1.0,
                    "native_unit_of_measurement": "W",
                    "native_value": budget_w,
                },
            )
        )
        cache.append((State(f"select.{strip}_balancing_strategy", strategy), {}))
    mock_restore_cache_with_extra_data(hass, cache)


async def report_battery(
    hass: HomeAssistant,
    running: RunningAgent,
    outlet_id: int,
    percent: float = 50.0,
    *,
    plugged: bool = True,
    user: str | None = None,
) -> dict[str, Any]:
    """What a laptop's reporter does: post its battery to the agent.

    The reporter holds its outlet's credential, as a manager issues it for a laptop whose outlet
    is known (``user`` names it; another user gets a new one, which revokes the previous one);
    the answer says whether to pair again.
    """
    session = async_get_clientsession(hass)
    credentials: dict[int, tuple[str | None, str]] = running.extra.setdefault("credentials", {})
    held = credentials.get(outlet_id)
    if held is None or (user is not None and held[0] != user):
        async with session.post(
            f"{running.url}/api/v1/outlets/{outlet_id}/credential",
            json={} if user is None else {"user": user},
            headers={"Authorization": f"Bearer {running.token}"},
        ) as response:
            assert response.status == 201, await response.text()
            held = (user, (await response.json())["credential"])
            credentials[outlet_id] = held
    body: dict[str, Any] = {"percent": percent, "plugged": plugged}
    async with session.post(
        f"{running.url}/api/v1/outlets/{outlet_id}/battery",
        json=body,
        headers={"Authorization": f"Bearer {held[1]}"},
    ) as response:
        assert response.status == 200
        answer: dict[str, Any] = await response.json()
        return answer


async def run_reporters(running: RunningAgent, interval_s: float) -> None:
    """Every simulated laptop runs a reporter: its battery reaches the agent every interval.

    The simulation's own reporters (``pi_agent.simulation``) report for 70 % of the laptops
    every 30 s of real time; an accelerated hour needs all of them, more often.
    """
    world, controller = running.world, running.agent.controller
    while True:
        for outlet_id in range(1, world.outlets + 1):
            if (status := world.battery(outlet_id)) is not None:
                controller.report_battery(
                    outlet_id, status.percent, status.plugged, running.agent.now()
                )
        await asyncio.sleep(interval_s)


@dataclass
class DrawRecord:
    """The true draw (the simulated worlds', not the meters') at every sample of one agent."""

    samples: list[tuple[float, float]] = field(default_factory=list)  # (agent time, watts)

    def over(self, budget_w: float, tolerance: float) -> list[float]:
        """How long each run of consecutive samples over ``budget_w`` lasted, in seconds.

        ``tolerance`` is relative: the meters the agent trusts are that accurate.
        """
        runs: list[float] = []
        start: float | None = None
        last = 0.0
        for at, watts in self.samples:
            if watts > budget_w * (1.0 + tolerance):
                start = at if start is None else start
                last = at
            elif start is not None:
                runs.append(last - start)
                start = None
        if start is not None:
            runs.append(last - start)
        return runs


async def record_draws(clock: RunningAgent, worlds: list[RunningAgent], record: DrawRecord) -> None:
    """After each of ``clock``'s samples, the sum of every world's true draw."""
    while True:
        await clock.agent.next_sample()
        total = sum(
            running.world.draw_w(outlet_id)
            for running in worlds
            for outlet_id in range(1, running.world.outlets + 1)
        )
        record.samples.append((clock.agent.now(), total))
