"""An impostor at the agent's address (a real loopback server, not a stand-in for the agent):
the reporter gives it nothing to replay elsewhere and cannot be made to hang or fill its memory.

What it answers is anyone's to choose: a redirect to another host, an answer that never ends,
one that is too large to hold, headers that trickle in. Each is the agent out of reach for the
reporter, said within its deadline, never its token sent on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import time

from aiohttp import web
import pytest

from smartmulti_reporter.client import MAX_ANSWER_BYTES, AgentClient, AgentUnavailable
from smartmulti_reporter.reporter import PAIR_MIN_WAIT_S, PAIR_RETRY_S

from .reporter_support import FakeBattery, reporter_for, running, serving, until

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Impostor:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.url = ""
        self.answer: Handler | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.path, request.headers.get("Authorization")))
        assert self.answer is not None
        return await self.answer(request)


@pytest.fixture
async def impostor(socket_enabled: None) -> AsyncIterator[Impostor]:
    service = Impostor()
    async with serving(service.handle) as service.url:
        yield service


async def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else(
    impostor: Impostor,
) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        if request.path == "/elsewhere":
            return web.json_response({"id": "p1", "status": "failed"})
        raise web.HTTPFound(f"{impostor.url}/elsewhere")

    impostor.answer = redirect
    client = AgentClient(impostor.url, "the-reporter-token", timeout_s=5.0)
    with pytest.raises(AgentUnavailable, match="redirect"):
        await asyncio.to_thread(client.start_pairing, True, "Amina", "a-proof")
    assert [path for path, _ in impostor.seen] == ["/api/v1/pairings"]


async def test_an_answer_that_never_ends_is_cut_at_the_deadline(impostor: Impostor) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b"{")
        for _ in range(600):
            await response.write(b" ")
            await asyncio.sleep(0.1)
        return response

    impostor.answer = trickle
    client = AgentClient(impostor.url, "t", timeout_s=1.0)
    started = time.monotonic()
    with pytest.raises(AgentUnavailable, match="did not answer within 1 s"):
        await asyncio.to_thread(client.start_pairing, True, "Amina")
    assert time.monotonic() - started < 5.0


async def test_headers_that_trickle_in_are_cut_at_the_deadline(socket_enabled: None) -> None:
    handlers: list[asyncio.Task[None]] = []

    async def trickle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        writer.write(b"HTTP/1.1 200 OK\r\n")
        try:
            for _ in range(600):
                writer.write(b"X-Slow: a\r\n")
                await writer.drain()
                await asyncio.sleep(0.1)
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = AgentClient(f"http://127.0.0.1:{port}", "t", timeout_s=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(AgentUnavailable, match="did not answer within 1 s"):
            await asyncio.to_thread(client.start_pairing, True, "Amina")
    finally:
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        server.close()
        await server.wait_closed()
    assert time.monotonic() - started < 5.0


async def test_an_answer_too_large_to_be_a_pairing_is_refused_unread(
    impostor: Impostor,
) -> None:
    async def huge(_request: web.Request) -> web.StreamResponse:
        padding = b" " * (MAX_ANSWER_BYTES * 20)
        return web.Response(body=b'{"id": "p1", "status": "failed"' + padding + b"}")

    impostor.answer = huge
    client = AgentClient(impostor.url, "t", timeout_s=5.0)
    with pytest.raises(AgentUnavailable, match="too large"):
        await asyncio.to_thread(client.start_pairing, True, "Amina")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the parser's recursion
        b'{"id": "p1", "status": "failed", "windows": ' + b"7" * 10_000 + b"}",  # over int digits
    ],
    ids=["nested", "long-number"],
)
async def test_json_the_parser_cannot_take_is_not_an_answer(
    impostor: Impostor, body: bytes
) -> None:
    async def answer(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, content_type="application/json")

    impostor.answer = answer
    client = AgentClient(impostor.url, "t", timeout_s=5.0)
    with pytest.raises(AgentUnavailable, match="not JSON"):
        await asyncio.to_thread(client.start_pairing, True, "Amina")


async def test_a_refused_report_is_not_sent_again_at_every_read(impostor: Impostor) -> None:
    async def refuse(_request: web.Request) -> web.StreamResponse:
        error = {"error": {"code": "invalid_value", "message": "user: too long"}}
        return web.json_response(error, status=422)

    impostor.answer = refuse
    reporter = reporter_for(impostor.url, "a-credential", FakeBattery(plugged=True), outlet=3)
    with running(reporter):
        await until(lambda: len(impostor.seen) >= 1)
        await asyncio.sleep(1.0)  # 20 reads of the battery
    assert len(impostor.seen) == 1


@pytest.mark.parametrize("retry_after_s", [1e300, -1e300])
async def test_a_wait_no_strip_asks_for_is_kept_within_bounds(
    impostor: Impostor, retry_after_s: float
) -> None:
    async def busy(_request: web.Request) -> web.StreamResponse:
        error = {"error": {"code": "busy", "message": "busy", "retry_after_s": retry_after_s}}
        return web.json_response(error, status=409)

    impostor.answer = busy
    reporter = reporter_for(impostor.url, "t", FakeBattery(plugged=True))
    await asyncio.to_thread(reporter.run_once)
    wait = reporter._pair_after - time.monotonic()
    assert PAIR_MIN_WAIT_S - 1.0 <= wait <= PAIR_RETRY_S + 3.0


@pytest.mark.parametrize(
    ("status", "challenge"),
    [(404, None), (200, "not a challenge"), (200, "0" * 31 + "g")],
    ids=["too old for challenges", "not a challenge", "not hexadecimal"],
)
async def test_a_pairing_carries_a_proof_only_over_a_challenge_the_agent_issued(
    impostor: Impostor, status: int, challenge: str | None
) -> None:
    """An agent too old for challenges, or one whose challenge is none, gets no proof: one
    without a challenge is the same at every pairing, so whoever received it could send it."""
    starts: list[dict[str, object]] = []

    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path == "/api/v1/proof-challenge":
            if status == 404:
                raise web.HTTPNotFound
            return web.json_response({"challenge": challenge, "expires_in_s": 120})
        if request.path == "/api/v1/pairings":
            starts.append(await request.json())
        return web.json_response(
            {"error": {"code": "strip_closed", "message": "closed"}}, status=409
        )

    impostor.answer = answer
    reporter = reporter_for(impostor.url, "t", FakeBattery(), link_secret="s" * 43, interval_s=5.0)
    with running(reporter):
        await until(lambda: ("/api/v1/proof-challenge", "Bearer t") in impostor.seen)
        if status == 404:
            await until(lambda: bool(starts))
    if status == 404:  # the pairing goes ahead, without a proof
        assert starts
        assert all("user_proof" not in start for start in starts)
    else:  # no pairing is started on a challenge that is none
        assert starts == []
