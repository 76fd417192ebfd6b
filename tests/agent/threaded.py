"""A real agent running in its own thread and event loop, for synchronous clients (fuzzers)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
from pathlib import Path
import threading
from typing import Any

from pi_agent.runtime import Agent
from tests.support.agent import build_agent


@dataclass
class ThreadedAgent:
    agent: Agent
    url: str

    @property
    def token(self) -> str:
        return self.agent.tokens.admin

    def call(self, coro_fn: Any) -> Any:
        """Run ``coro_fn(agent)`` on the agent's loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coro_fn(self.agent), self._loop)
        return future.result(10)

    _loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]


@contextlib.contextmanager
def threaded_agent(data_dir: Path, **kwargs: Any) -> Iterator[ThreadedAgent]:
    agent, _ = build_agent(data_dir, **kwargs)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready: list[int] = []
    started = threading.Event()

    async def on_ready(port: int) -> None:
        ready.append(port)
        started.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(agent.run("127.0.0.1", 0, stop=stop, ready=on_ready))
        started.set()

    thread = threading.Thread(target=run, name="agent", daemon=True)
    thread.start()
    started.wait(30)
    if not ready:
        raise RuntimeError("agent did not start")
    handle = ThreadedAgent(agent, f"http://127.0.0.1:{ready[0]}")
    handle._loop = loop
    try:
        yield handle
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
