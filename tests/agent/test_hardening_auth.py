"""Bearer tokens a probe sends: bytes that are not ASCII, floods that must not stall valid
credentials, and 403 messages that say what each credential may do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pi_agent.auth import FailureThrottle, Tokens
from tests.support.agent import RunningAgent, start_agent

ADMIN_ONLY_ROUTE = ("GET", "/api/v1/state")
REPORTER_ROUTE = ("GET", "/api/v1/pairings/no-such-pairing")  # 404 once the token is accepted


@pytest.fixture
async def agent(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningAgent]:
    running = await start_agent(tmp_path / "agent")
    yield running
    await running.stop()


async def raw_request(agent: RunningAgent, authorization: bytes) -> tuple[int, dict[str, Any]]:
    """A GET /api/v1/state whose Authorization header carries these exact bytes (HTTP clients
    refuse to send bytes that are not Latin-1 text, a probe does not)."""
    reader, writer = await asyncio.open_connection(agent.host, agent.port)
    try:
        writer.write(
            b"GET /api/v1/state HTTP/1.1\r\nHost: strip\r\nConnection: close\r\n"
            b"Authorization: " + authorization + b"\r\n\r\n"
        )
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


async def call(
    agent: RunningAgent,
    method: str,
    path: str,
    token: str,
    *,
    source: str = "127.0.0.1",
    body: Any = None,
) -> tuple[int, dict[str, Any]]:
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.request(
            method,
            agent.url + path,
            headers={"Authorization": f"Bearer {token}"},
            json=body,
            timeout=aiohttp.ClientTimeout(total=15),
        ) as response,
    ):
        return response.status, await response.json()


# ---------------------------------------------------------------------- tokens that are not ASCII


@pytest.mark.parametrize(
    "token",
    [b"\xff\xfe", b"\xc3\xa9t\xc3\xa9-" + b"x" * 40, b"\xed\xa0\x80", b"laptop-\x80\x81"],
    ids=["not-utf8", "utf8-accents", "encoded-surrogate", "laptop-prefix"],
)
async def test_a_token_that_is_not_ascii_is_a_plain_401(
    agent: RunningAgent, token: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        status, body = await raw_request(agent, b"Bearer " + token)
    assert status == 401, body
    assert body["error"]["code"] == "unauthorized"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_comparing_a_token_that_is_not_ascii_refuses_it() -> None:
    tokens = Tokens(admin="a" * 32, reporter="r" * 32)
    assert tokens.scope_of("\udcff\udcfe") is None
    assert tokens.scope_of("é" * 32) is None
    assert tokens.scope_of("a" * 32) == "admin"
    assert tokens.scope_of("r" * 32) == "reporter"


async def test_tokens_that_are_not_ascii_are_slowed_down_like_any_wrong_token(
    agent: RunningAgent,
) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(8):
        status, _ = await raw_request(agent, b"Bearer \xff\xfe")
        assert status == 401
    started = loop.time()
    status, _ = await raw_request(agent, b"Bearer \xff\xfe")
    assert status == 401
    assert loop.time() - started >= 0.8  # the 9th failure of this address: 0.05 s x 2^4


# ---------------------------------------------------------------------- valid credentials and floods


async def test_valid_credentials_are_answered_promptly_while_one_address_floods_bad_tokens(
    agent: RunningAgent,
) -> None:
    credential_status, issued = await call(
        agent,
        "POST",
        "/api/v1/outlets/3/credential",
        agent.token,
        source="127.0.2.9",
        body={"user": "Amina"},
    )
    assert credential_status == 201, issued
    loop = asyncio.get_running_loop()
    answered: dict[int, int] = {}
    stop = asyncio.Event()

    async def flood() -> None:
        connector = aiohttp.TCPConnector(local_addr=("127.0.2.1", 0), force_close=True)
        async with aiohttp.ClientSession(connector=connector) as http:
            while not stop.is_set():
                async with http.get(
                    agent.url + "/api/v1/state",
                    headers={"Authorization": f"Bearer guess-{loop.time()}"},
                    timeout=aiohttp.ClientTimeout(total=15),
                ) as reply:
                    answered[reply.status] = answered.get(reply.status, 0) + 1
                    if reply.status == 429:
                        await asyncio.sleep(0.2)

    # 100 guesses in flight: more than the strip-wide budget lets wait (5 s at 10 a second).
    flooders = [asyncio.create_task(flood()) for _ in range(100)]
    flood_started = loop.time()
    try:
        await asyncio.sleep(2.5)  # the strip-wide budget is spent and a queue has built up
        assert answered.get(429, 0) > 0, answered

        async def timed(
            method: str, path: str, token: str, source: str, body: Any = None
        ) -> tuple[int, float]:
            started = loop.time()
            status, _ = await call(agent, method, path, token, source=source, body=body)
            return status, loop.time() - started

        admin = await timed("GET", "/api/v1/state", agent.token, "127.0.0.1")
        reporter = await timed(*REPORTER_ROUTE, agent.reporter_token, "127.0.2.2")
        laptop = await timed(
            "POST",
            "/api/v1/outlets/3/battery",
            issued["credential"],
            "127.0.2.3",
            {"percent": 40, "plugged": True},
        )
    finally:
        stop.set()
        flooded_s = loop.time() - flood_started
        await asyncio.gather(*flooders)
    assert admin[0] == 200
    assert reporter[0] == 404  # accepted: the pairing id is what is unknown
    assert laptop[0] == 200
    slowest = max(admin[1], reporter[1], laptop[1])
    assert slowest < 0.5, (admin, reporter, laptop)
    # The flood is bounded: 10 failed checks a second after a burst of 20, places taken at most
    # 5 s ahead; the rest waited, then were refused unseen.
    throttle = FailureThrottle()
    bound = throttle.strip_burst + throttle.strip_rate_per_s * (flooded_s + throttle.max_wait_s)
    assert answered.get(401, 0) <= bound + 1, (answered, flooded_s)


def test_only_an_address_past_its_free_failures_waits_before_its_token_is_compared() -> None:
    throttle = FailureThrottle(strip_rate_per_s=1, strip_burst=1, max_wait_s=1)
    for _ in range(10):
        throttle.failed("10.0.0.66", 5.0)
    # The flooding address waits for the strip-wide budget before its token is even compared.
    assert throttle.gate_before_checking("10.0.0.66", 5.0)
    # An address without failures is compared at once: only a failure takes from the budget.
    assert not throttle.gate_before_checking("10.0.0.7", 5.0)


def test_the_admin_token_forgives_an_address_its_failures() -> None:
    throttle = FailureThrottle(free_failures=2)
    for _ in range(3):
        throttle.failed("10.0.0.5", 1.0)
    assert throttle.gate_before_checking("10.0.0.5", 1.0)
    throttle.succeeded("10.0.0.5")
    assert not throttle.gate_before_checking("10.0.0.5", 1.0)


async def test_the_reporter_token_does_not_forgive_an_address_its_failures(
    agent: RunningAgent,
) -> None:
    """Every coworker holds the reporter token: showing it between guesses must not reset the
    slow-down of that address's guesses."""
    loop = asyncio.get_running_loop()
    for _ in range(8):
        status, _ = await call(agent, *ADMIN_ONLY_ROUTE, "guess")
        assert status == 401
    status, _ = await call(agent, *REPORTER_ROUTE, agent.reporter_token)
    assert status == 404
    started = loop.time()
    status, _ = await call(agent, *ADMIN_ONLY_ROUTE, "guess")
    assert status == 401
    assert loop.time() - started >= 0.8  # still its 9th failure: 0.05 s x 2^4


def test_failures_are_forgotten_after_a_quiet_while() -> None:
    throttle = FailureThrottle(free_failures=2, forget_after_s=300)
    for _ in range(3):
        throttle.failed("10.0.0.5", 1.0)
    assert throttle.gate_before_checking("10.0.0.5", 200.0)
    assert not throttle.gate_before_checking("10.0.0.5", 302.0)


# ---------------------------------------------------------------------- what each credential may do


async def test_the_reporter_token_on_an_admin_route_says_it_only_pairs(agent: RunningAgent) -> None:
    status, body = await call(agent, *ADMIN_ONLY_ROUTE, agent.reporter_token)
    assert status == 403
    message = body["error"]["message"]
    assert "reporter token" in message
    assert "pairing" in message
    assert "battery" not in message


async def test_a_laptop_credential_on_an_admin_route_says_it_only_reports_its_battery(
    agent: RunningAgent,
) -> None:
    status, issued = await call(
        agent, "POST", "/api/v1/outlets/3/credential", agent.token, body={"user": "Amina"}
    )
    assert status == 201
    for method, path in (ADMIN_ONLY_ROUTE, ("POST", "/api/v1/pairings")):
        status, body = await call(agent, method, path, issued["credential"], body={"plugged": True})
        assert status == 403
        message = body["error"]["message"]
        assert message.startswith("a laptop credential may only report its own outlet's battery")
        assert "outlet 3" in message
