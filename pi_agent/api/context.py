"""What the API needs from the running agent, and where a request finds it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from pi_agent.api.connections import ConnectionGuard
from pi_agent.api.events import EventHub
from pi_agent.auth import FailureThrottle, Tokens
from pi_agent.control.strip import StripController

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AgentContext(Protocol):
    """What the API needs from the running agent."""

    controller: StripController
    tokens: Tokens
    hub: EventHub
    throttle: FailureThrottle
    connections: ConnectionGuard

    def info(self) -> dict[str, Any]: ...

    def now(self) -> float: ...

    def settings_changed(self) -> None: ...

    async def save_settings(self) -> bool: ...

    async def next_sample(self) -> None: ...


CONTEXT: web.AppKey[AgentContext] = web.AppKey("context")
