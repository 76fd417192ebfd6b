"""Connections to the API: bounded in number and in how long they may say nothing.

The API must stay reachable for Home Assistant while anyone on the LAN opens connections and
sends nothing, half a request or a body that never ends. Each such connection costs a file
descriptor, and the process has a fixed number: once they are gone the agent can neither accept
Home Assistant nor save its counters. So:

- a connection that has not sent a complete request header within ``header_timeout_s`` of
  opening (or of its previous answer, between keep-alive requests) is closed;
- at most ``max_connections`` are open; when one more arrives, the oldest connection that never
  presented a valid token goes (idle ones before busy ones), then the oldest that presented
  only a coworker's credential (the reporter token, which every coworker holds, or a laptop
  credential); one that presented the admin token never goes for a newcomer: if every
  connection is Home Assistant's, the newcomer goes. Otherwise any coworker could fill the cap
  with connections kept alive on the reporter token and keep Home Assistant out;
- the cap leaves room below the process's file-descriptor limit for the state file and the
  meters, whatever that limit is.

Request bodies have their own time-out where they are read (``validation.read_json``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import logging
import resource
import time
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

_LOGGER = logging.getLogger(__name__)

MAX_CONNECTIONS = 512
HEADER_TIMEOUT_S = 10.0
# Home Assistant keeps its connection alive between requests; one idle longer is closed.
KEEPALIVE_S = 30.0
# Descriptors kept back for everything that is not a connection: state file, meters, logs.
RESERVED_FDS = 64
SWEEP_S = 0.5


def connection_cap(wanted: int = MAX_CONNECTIONS) -> int:
    """``wanted``, or fewer if the process may not open that many files beside its own."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(8, min(wanted, (soft - RESERVED_FDS) // 2))


@dataclass(slots=True)
class _Connection:
    handler: RequestHandler
    opened_at: float
    idle_since: float
    busy: bool = False
    authenticated: bool = False  # presented a valid credential of any scope
    admin: bool = False  # presented the admin token: Home Assistant's


class ConnectionGuard:
    """Tracks every open connection of one server; evicts and times them out."""

    def __init__(
        self,
        *,
        max_connections: int | None = None,
        header_timeout_s: float = HEADER_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_connections = connection_cap() if max_connections is None else max_connections
        self.header_timeout_s = header_timeout_s
        self._clock = clock
        self._open: dict[int, _Connection] = {}  # by id of the transport
        self.evicted = 0
        self.timed_out = 0

    def __len__(self) -> int:
        return len(self._open)

    # ------------------------------------------------------------------ server hooks

    def opened(self, handler: RequestHandler, transport: asyncio.BaseTransport) -> None:
        now = self._clock()
        self._open[id(transport)] = _Connection(handler, now, now)
        while len(self._open) > self.max_connections:
            victim = self._victim(id(transport))
            self._close(victim)
            self.evicted += 1

    def closed(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None:
            self._open.pop(id(transport), None)

    def _victim(self, newcomer: int) -> int:
        others = [(k, c) for k, c in self._open.items() if not c.admin and k != newcomer]
        if not others:
            return newcomer
        # Strangers before coworkers, idle before busy, oldest first.
        key, _ = min(
            others, key=lambda item: (item[1].authenticated, item[1].busy, item[1].opened_at)
        )
        return key

    def _close(self, key: int) -> None:
        connection = self._open.pop(key, None)
        if connection is None:
            return
        transport = connection.handler.transport
        if transport is not None:
            transport.abort()

    # ------------------------------------------------------------------ request hooks

    def request_started(self, request: web.BaseRequest) -> None:
        connection = self._get(request)
        if connection is not None:
            connection.busy = True

    def request_finished(self, request: web.BaseRequest) -> None:
        connection = self._get(request)
        if connection is not None:
            connection.busy = False
            connection.idle_since = self._clock()

    def authenticated(self, request: web.BaseRequest, *, admin: bool) -> None:
        """The request presented a valid credential; ``admin``: the admin token."""
        connection = self._get(request)
        if connection is not None:
            connection.authenticated = True
            connection.admin = connection.admin or admin

    def _get(self, request: web.BaseRequest) -> _Connection | None:
        transport = request.transport
        return None if transport is None else self._open.get(id(transport))

    # ------------------------------------------------------------------ time-outs

    def sweep(self) -> None:
        """Close connections silent for too long: no header yet, or idle between requests."""
        now = self._clock()
        expired = [
            key
            for key, c in self._open.items()
            if not c.busy
            and now - c.idle_since > (KEEPALIVE_S if c.authenticated else self.header_timeout_s)
        ]
        for key in expired:
            self._close(key)
        self.timed_out += len(expired)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            self.sweep()


class GuardedRunner(web.AppRunner):
    """An ``AppRunner`` whose server reports every connection to a ``ConnectionGuard``."""

    def __init__(self, app: web.Application, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=KEEPALIVE_S, **kwargs)
        self.guard = guard

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        guard = self.guard
        made, lost = server.connection_made, server.connection_lost

        def connection_made(handler: RequestHandler, transport: asyncio.Transport) -> None:
            made(handler, transport)
            guard.opened(handler, transport)

        def connection_lost(handler: RequestHandler, exc: BaseException | None = None) -> None:
            with contextlib.suppress(Exception):
                guard.closed(handler.transport)
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign]
        server.connection_lost = connection_lost  # type: ignore[method-assign]
        return server
