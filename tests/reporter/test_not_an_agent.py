"""Whatever answers at the agent's address may not be the agent: the reporter keeps running.

A stranger's service on loopback (not a stand-in for the agent: the real one is in
``test_reporter.py``) answers the pairing requests with JSON that is not a pairing. The reporter
must neither crash nor take an outlet from it, and must cancel what it started.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import json
import threading
from typing import Any

from aiohttp import web
import pytest

from smartmulti_reporter.client import AgentClient, AgentUnavailable
from smartmulti_reporter.pairing import pair

from .reporter_support import FakeBattery, reporter_for, running, serving, until

RUNNING = {"id": "p1", "status": "running", "observe": True, "window": 0}


@dataclass
class Stranger:
    """Answers a pairing's start with ``start``, every later request with ``later``."""

    start: Any
    later: Any = None
    requests: list[str] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(f"{request.method} {request.path}")
        body = self.start if request.path == "/api/v1/pairings" else self.later
        return web.Response(text=json.dumps(body), content_type="application/json")


@pytest.fixture
async def stranger(socket_enabled: None) -> AsyncIterator[Stranger]:
    service = Stranger(start=None)
    async with serving(service.handle) as service.url:
        yield service


@pytest.mark.parametrize(
    ("start", "problem"),
    [
        ({}, "no id"),
        ({"id": 7, "status": "running"}, "no id"),
        ({"id": "p1"}, "no status"),
        ({"id": "p1", "status": "running"}, "no observe flag"),
        ({**RUNNING, "window": "0"}, "window '0'"),
        ({"id": "p1", "status": "paired", "outlet": "3"}, "outlet '3'"),
        ({"id": "p1", "status": "paired", "outlet": 3, "confidence": "high"}, "confidence"),
        ({"id": "p1", "status": "paired", "outlet": 3, "credential": 42}, "credential 42"),
    ],
)
async def test_an_answer_that_is_not_a_pairing_is_said_and_retried_later(
    stranger: Stranger, start: dict[str, Any], problem: str
) -> None:
    stranger.start = start
    client = AgentClient(stranger.url, "t", timeout_s=5.0)
    with pytest.raises(AgentUnavailable, match=f"not a pairing: {problem}"):
        await asyncio.to_thread(pair, client, lambda: True, "Amina", pause=threading.Event().wait)


async def test_a_bad_answer_in_the_middle_cancels_the_pairing_it_started(
    stranger: Stranger,
) -> None:
    stranger.start, stranger.later = RUNNING, ["not", "an", "object"]
    client = AgentClient(stranger.url, "t", timeout_s=5.0)
    with pytest.raises(AgentUnavailable):
        await asyncio.to_thread(pair, client, lambda: True, "Amina", pause=threading.Event().wait)
    assert stranger.requests[-1] == "DELETE /api/v1/pairings/p1"
    stranger.requests.clear()
    stranger.later = {"id": "p1", "status": "running", "observe": True, "window": None}
    with pytest.raises(AgentUnavailable, match="window None"):
        await asyncio.to_thread(pair, client, lambda: True, "Amina", pause=threading.Event().wait)
    assert stranger.requests[-1] == "DELETE /api/v1/pairings/p1"


async def test_the_reporter_keeps_running_and_takes_no_outlet_from_a_stranger(
    stranger: Stranger,
) -> None:
    stranger.start = {"id": "p1", "status": "paired", "outlet": "3", "credential": "c"}
    reporter = reporter_for(stranger.url, "t", FakeBattery(plugged=True))
    with running(reporter):
        await until(lambda: reporter.failures >= 3)
    assert reporter.outlet is None
    assert reporter.credential is None
    assert reporter.posts == 0
