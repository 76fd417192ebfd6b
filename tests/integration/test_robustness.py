"""The integration under a misbehaving network and agent: nothing escapes, nothing piles up.

The real agent cannot send garbage or hang on purpose, so two of these tests talk to a hostile
double on loopback that serves the agent's routes with broken or slow answers; everything else
uses the real agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
import json
import logging
from typing import Any

from aiohttp import web
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import DOMAIN
from tests.support.agent import RunningAgent

from .conftest import AgentFactory, wait_for

TOKEN = "hostile-double-token-0123456789"


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Warnings or errors that carry an exception: a traceback in Home Assistant's log."""
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and (r.exc_info or "Traceback" in r.getMessage())
    ]


def relay_state(hass: HomeAssistant) -> str:
    state = hass.states.get("switch.desk_1")
    assert state is not None
    return state.state


async def test_flapping_agent_recovers_with_no_traceback_and_no_task_growth(
    hass: HomeAssistant,
    start_test_agent: AgentFactory,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
    fast_reconnect: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks_before = len(asyncio.all_tasks())
    port, current = agent.port, agent
    for _ in range(12):  # up and down every second or so, for half a minute
        await current.stop()
        await asyncio.sleep(1.0)
        current = await start_test_agent(port=port)
        await asyncio.sleep(1.0)
    coordinator = init_integration.runtime_data.coordinator
    await wait_for(lambda: coordinator.stream_connected, 15)
    await wait_for(lambda: relay_state(hass) != STATE_UNAVAILABLE, 15)
    assert not tracebacks(caplog)
    assert len(asyncio.all_tasks()) <= tasks_before + 3  # the agents' own tasks, not a pile-up
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and "unavailable" in r.getMessage()
    ]
    assert len(warnings) <= 12  # at most one per outage, never one per retry


def _snapshot(outlets: int = 2) -> dict[str, Any]:
    return {
        "time": 1.8e9, "mode": "failsafe", "hard_limit_w": 1000.0, "failsafe_budget_w": 400.0,
        "limit_w": 400.0, "total_power_w": 0.0, "total_energy_wh": 0.0, "min_on_s": 60.0,
        "min_off_s": 30.0, "guard": {"trips": 0, "over_limit": False}, "plan": None,
        "outlets": [
            {"id": i, "name": f"Desk {i}", "exception": False, "max_power_w": 100.0,
             "relay": False, "target": False, "override": None, "power_w": 0.0,
             "current_a": 0.0, "voltage_v": 230.0, "energy_wh": 1.0, "battery": None,
             "fault": None, "state": "off", "last_switch_at": None, "switch_age_s": None}
            for i in range(1, outlets + 1)
        ],
    }  # fmt: skip


GARBAGE = [
    b"event: update\ndata: {not json\n\n",
    b"event: update\ndata: [1, 2, 3]\n\n",
    b'event: update\ndata: {"outlets": "nope"}\n\n',
    b'event: update\ndata: {"outlets": [{"id": 99, "relay": true}]}\n\n',
    b'event: update\ndata: {"outlets": [{"id": 1, "power_w": "lots"}]}\n\n',
    b'event: update\ndata: {"outlets": [{"relay": true}]}\n\n',
    b'event: update\ndata: {"mode": 42, "total_power_w": null}\n\n',
    b"event: mystery\ndata: {}\n\n",
    b"data: " + b"x" * 200_000 + b"\n\n",
    b'event: snapshot\ndata: {"outlets": []}\n\n',
    b'event: update\ndata: {"outlets": [{"id": 1, "relay": tr',  # truncated: connection dropped
]


class HostileAgent:
    """Serves the agent's routes; its event stream sends ``GARBAGE`` then one good update."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.streams = 0
        self.requests = 0  # of every route
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.stopping = asyncio.Event()

    async def stall(self, seconds: float) -> None:
        """Hang for ``seconds``, or until the double stops (no handler outlives the test)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.stopping.wait()

    async def start(self) -> None:
        self.stopping.clear()
        app = web.Application()
        app.router.add_get("/api/v1/info", self.info)
        app.router.add_get("/api/v1/state", self.state)
        app.router.add_get("/api/v1/events", self.events)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)  # the same port once known
        await site.start()
        self.port = next(a[1] for a in self.runner.addresses if isinstance(a, tuple))

    async def stop(self) -> None:
        assert self.runner is not None
        self.stopping.set()
        await self.runner.cleanup()

    async def info(self, request: web.Request) -> web.Response:
        self.requests += 1
        await self.stall(self.delay_s)
        return web.json_response(
            {"serial": "hostile-1", "name": "Hostile", "version": "0.1.0", "api_version": 1,
             "outlets": 2, "model": "SmartMulti strip", "simulated": True, "energy_epoch": "e1"}
        )  # fmt: skip

    async def state(self, request: web.Request) -> web.Response:
        self.requests += 1
        await self.stall(self.delay_s)
        return web.json_response(_snapshot())

    async def events(self, request: web.Request) -> web.StreamResponse:
        self.streams += 1
        self.requests += 1
        await self.stall(self.delay_s)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(f"event: snapshot\ndata: {json.dumps(_snapshot())}\n\n".encode())
        if self.streams == 1:
            for message in GARBAGE:
                await response.write(message)
            return response  # the last message is cut off mid-way
        good = {"outlets": [{"id": 1, "relay": True, "state": "on", "power_w": 50.0}]}
        await response.write(f"event: update\ndata: {json.dumps(good)}\n\n".encode())
        await self.stall(30)
        return response


@pytest.fixture
async def hostile(socket_enabled: None) -> AsyncIterator[Callable[..., Awaitable[HostileAgent]]]:
    started: list[HostileAgent] = []

    async def start(**kwargs: Any) -> HostileAgent:
        double = HostileAgent(**kwargs)
        await double.start()
        started.append(double)
        return double

    yield start
    for double in started:
        await double.stop()


async def setup_against(hass: HomeAssistant, port: int) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="hostile-1",
        data={CONF_HOST: "127.0.0.1", CONF_PORT: port, CONF_TOKEN: TOKEN},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_malformed_and_truncated_events_are_survived_and_good_data_still_lands(
    hass: HomeAssistant,
    hostile: Callable[..., Awaitable[HostileAgent]],
    fast_reconnect: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    double = await hostile()
    entry = await setup_against(hass, double.port)
    await wait_for(lambda: double.streams >= 2, 10)
    await wait_for(lambda: relay_state(hass) == "on", 10)
    assert not tracebacks(caplog)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_slow_agent_makes_entities_unavailable_without_piling_up_requests(
    hass: HomeAssistant,
    hostile: Callable[..., Awaitable[HostileAgent]],
    fast_reconnect: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    double = await hostile(delay_s=0.0)
    entry = await setup_against(hass, double.port)
    await wait_for(lambda: relay_state(hass) != STATE_UNAVAILABLE, 10)
    tasks_before = len(asyncio.all_tasks())
    double.delay_s = 3600.0  # it stops answering in time: every request hangs
    await double.stop()  # drop the live stream; the next connections meet the slow agent
    requests = double.requests
    await double.start()
    await wait_for(lambda: double.requests > requests)  # the integration is waiting on it
    await asyncio.sleep(3)
    assert relay_state(hass) == STATE_UNAVAILABLE
    assert len(asyncio.all_tasks()) <= tasks_before + 5
    assert not tracebacks(caplog)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_the_token_never_appears_in_the_log(
    hass: HomeAssistant,
    start_test_agent: AgentFactory,
    fast_reconnect: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = await start_test_agent()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=agent.serial,
        data={CONF_HOST: agent.host, CONF_PORT: agent.port, CONF_TOKEN: agent.token},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.desk_1"}, blocking=True
    )
    await agent.stop()
    await asyncio.sleep(1)
    assert agent.token not in caplog.text
    assert all(agent.token not in str(r.args) for r in caplog.records)
