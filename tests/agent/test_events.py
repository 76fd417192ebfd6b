"""The event stream: a snapshot on connect, then each change on the very sample it happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pi_agent.api.events import EventHub
from pi_agent.api.views import strip_view
from pi_agent.runtime import Agent
from pi_agent.simulation import SIM_STRIP
from tests.support.agent import build_agent


class Stream:
    """Reads SSE messages from a live response."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, within: float = 5.0) -> tuple[str, dict[str, Any]]:
        event, data = "message", ""
        async with asyncio.timeout(within):
            while True:
                line = (await self.response.content.readline()).decode().rstrip("\n")
                if line.startswith(":"):
                    continue
                if not line:
                    if data:
                        return event, json.loads(data)
                    continue
                field, _, value = line.partition(": ")
                if field == "event":
                    event = value
                elif field == "data":
                    data += value


@pytest.fixture
async def stepped(tmp_path: Path, socket_enabled: None) -> AsyncIterator[tuple[Agent, str]]:
    """An agent whose API serves while the test takes each sample by hand."""
    # No stagger or minimum on time, so a command acts on the very next sample.
    agent, _ = build_agent(tmp_path / "agent", strip=replace(SIM_STRIP, stagger_s=0, min_on_s=0))
    runner = await agent.start_server("127.0.0.1", 0)
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    await agent.sample_once()
    yield agent, f"http://127.0.0.1:{port}"
    agent.hub.close()
    await runner.cleanup()
    agent.shutdown_hardware()


@pytest.fixture
async def stream(stepped: tuple[Agent, str]) -> AsyncIterator[Stream]:
    agent, url = stepped
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            url + "/api/v1/events", headers={"Authorization": f"Bearer {agent.tokens.admin}"}
        ) as response,
    ):
        assert response.status == 200
        assert response.content_type == "text/event-stream"
        yield Stream(response)


async def test_stream_starts_with_a_full_snapshot(stream: Stream) -> None:
    event, data = await stream.next()
    assert event == "snapshot"
    assert len(data["outlets"]) == 16
    assert data["mode"] == "failsafe"


async def test_relay_change_arrives_from_the_sample_that_makes_it(
    stepped: tuple[Agent, str], stream: Stream
) -> None:
    agent, _ = stepped
    await stream.next()
    outlet = next(o for o in agent.controller.outlets if o.relay_on and not o.exception)
    agent.controller.set_override(outlet.id, False)
    await agent.sample_once()  # exactly one sample after the command
    while True:
        event, data = await stream.next(within=2.0)
        assert event == "update"
        changes = {o["id"]: o for o in data.get("outlets", [])}
        if outlet.id in changes and "relay" in changes[outlet.id]:
            break
    assert changes[outlet.id]["relay"] is False


async def test_unchanged_samples_send_nothing(stepped: tuple[Agent, str]) -> None:
    agent, _ = stepped
    hub = EventHub(refresh_s=3600)
    snapshot = strip_view(agent.controller, agent.now())
    queue, _ = hub.subscribe(snapshot)
    hub.publish(snapshot, 1.0)
    assert queue.empty()


@pytest.mark.parametrize("field", ["power_w", "drawn_max_w"])
async def test_measurement_wobble_inside_the_deadband_is_not_sent(
    stepped: tuple[Agent, str], field: str
) -> None:
    """A charger's most drawn creeps up by hundredths as its noise sets new records."""
    agent, _ = stepped
    hub = EventHub(refresh_s=3600)
    snapshot = strip_view(agent.controller, agent.now())
    queue, _ = hub.subscribe(snapshot)
    wobbled = json.loads(json.dumps(snapshot))
    wobbled["outlets"][0][field] += 0.3
    hub.publish(wobbled, 1.0)
    assert queue.empty()
    wobbled["outlets"][0][field] += 20
    hub.publish(wobbled, 2.0)
    assert f'"{field}"'.encode() in (queue.get_nowait() or b"")


async def test_slow_reader_is_dropped_rather_than_slowing_the_agent(
    stepped: tuple[Agent, str],
) -> None:
    agent, _ = stepped
    hub = EventHub(refresh_s=0.0)
    snapshot = strip_view(agent.controller, agent.now())
    queue, _ = hub.subscribe(snapshot)
    for second in range(1, 400):
        snapshot["total_power_w"] = float(second * 10)
        hub.publish(snapshot, float(second))
    assert not hub.has_subscribers
    drained = [queue.get_nowait() for _ in range(queue.qsize())]
    assert drained[-1] is None  # the stream ends; the client reconnects for a fresh snapshot


async def test_stream_ends_cleanly_when_the_agent_stops(
    stepped: tuple[Agent, str], stream: Stream
) -> None:
    agent, _ = stepped
    await stream.next()
    agent.hub.close()
    assert await asyncio.wait_for(stream.response.content.read(), 5) == b""


def test_a_key_gone_from_a_nested_object_is_sent() -> None:
    hub = EventHub()
    snapshot = {"time": 0.0, "faults": {"storage": "cannot save"}, "outlets": []}
    queue, _ = hub.subscribe(snapshot)
    hub.publish({**snapshot, "faults": {}}, 1.0)
    message = queue.get_nowait()
    assert message is not None
    assert b'"faults":{}' in message
