"""What the reporter's tests share: the battery they set, the reporter's loop in a thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
import contextlib
from dataclasses import dataclass
import random
import threading

from aiohttp import web

from smartmulti_reporter.backoff import Backoff
from smartmulti_reporter.battery import Battery, BatteryReading
from smartmulti_reporter.client import AgentClient
from smartmulti_reporter.reporter import Reporter, Settings


@dataclass
class FakeBattery:
    """The laptop's battery as the test sets it: the one piece of hardware replaced."""

    percent: float = 55.0
    plugged: bool = False

    def __call__(self) -> Battery:
        return Battery(self.percent, self.plugged)


def reporter_for(
    url: str,
    token: str,
    source: Callable[[], BatteryReading | None],
    *,
    outlet: int | None = None,
    interval_s: float = 30.0,
    link_secret: str | None = None,
) -> Reporter:
    return Reporter(
        AgentClient(url, token, timeout_s=10.0),
        source,
        Settings(
            user="Amina",
            outlet=outlet,
            interval_s=interval_s,
            poll_s=0.05,
            link_secret=link_secret,
        ),
        backoff=Backoff(base_s=0.05, cap_s=0.2, rng=random.Random(1)),
    )


@contextlib.contextmanager
def running(reporter: Reporter) -> Iterator[threading.Thread]:
    """The reporter's loop in a thread; it must still be alive (no crash) when stopped."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reporter.run()
        except BaseException as err:  # surfaced in the test, not lost in the thread
            errors.append(err)

    thread = threading.Thread(target=run, name="reporter", daemon=True)
    thread.start()
    try:
        yield thread
        assert thread.is_alive(), errors
    finally:
        reporter.stop_event.set()
        thread.join(20)
    assert not errors


async def until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Wait for ``condition`` (a deadline against hangs, not a measurement)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def serving(
    handle: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> AsyncIterator[str]:
    """A real HTTP service on loopback answering every request with ``handle``: its URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
