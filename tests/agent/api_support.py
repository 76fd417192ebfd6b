"""A real agent on loopback and a client for its HTTP API, with what every API test checks: the
error a refusal answers with, and what a refused request must leave as it was.

The fixtures are registered by name (``agent``, ``http``, ``api``), their functions named apart,
so that a test module importing them does not shadow the import with its tests' arguments.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.agent import RunningAgent, start_agent


@pytest.fixture(name="agent")
async def fixture_agent(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningAgent]:
    running = await start_agent(tmp_path / "agent")
    yield running
    await running.stop()


@pytest.fixture(name="http")
async def fixture_http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Api:
    def __init__(self, agent: RunningAgent, http: aiohttp.ClientSession) -> None:
        self.agent = agent
        self.http = http

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = "admin",
        body: Any = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        headers = {}
        if token is not None:
            value = {"admin": self.agent.token, "reporter": self.agent.reporter_token}.get(
                token, token
            )
            headers["Authorization"] = f"Bearer {value}"
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        async with self.http.request(
            method,
            self.agent.url + path,
            headers=headers,
            data=data,
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:
            if response.content_type == "text/event-stream":
                return response.status, None
            return response.status, await response.json()

    async def state(self) -> dict[str, Any]:
        status, body = await self.call("GET", "/api/v1/state")
        assert status == 200
        return body


@pytest.fixture(name="api")
def fixture_api(agent: RunningAgent, http: aiohttp.ClientSession) -> Api:
    return Api(agent, http)


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """What a rejected request must not change: settings, commands, plan."""
    return {
        "plan": state["plan"],
        "outlets": [
            {k: o[k] for k in ("name", "exception", "max_power_w", "override")}
            for o in state["outlets"]
        ],
    }
