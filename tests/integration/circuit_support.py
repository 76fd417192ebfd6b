"""Strips on circuits under watch: at every turn of the event loop, what each agent enforces (its
plan's budget while the plan runs, its failsafe's otherwise) and what its failsafe would take
if Home Assistant stopped now (its failsafe budget within its circuit's cap); and an agent too
busy to take plans."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
import pytest

from pi_agent.api import server
from pi_agent.api.errors import ApiError
from tests.support.agent import RunningAgent


def enforced_w(running: RunningAgent) -> float:
    """The budget the agent's guard holds from its next sample (exception outlets aside)."""
    controller = running.agent.controller
    plan, now = controller.plan, running.agent.now()
    hard = controller.strip.hard_limit_w
    if plan is not None and now < plan.expires_at:
        return min(hard, plan.budget_w)
    return min(hard, controller.failsafe_budget_w)


def failsafe_w(running: RunningAgent) -> float:
    """What the agent's failsafe takes once its plan runs out (Home Assistant stopped now)."""
    controller = running.agent.controller
    return min(controller.strip.hard_limit_w, controller.failsafe_budget_w)


@dataclass
class Watch:
    """The highest sums seen, over the agents watched."""

    agents: Sequence[RunningAgent]
    enforced: list[float] = field(default_factory=list)
    failsafe: list[float] = field(default_factory=list)

    def look(self) -> None:
        self.enforced.append(sum(enforced_w(r) for r in self.agents))
        self.failsafe.append(sum(failsafe_w(r) for r in self.agents))

    def clear(self) -> None:
        self.enforced.clear()
        self.failsafe.clear()


@contextlib.contextmanager
def watching(agents: Sequence[RunningAgent]) -> Iterator[Watch]:
    watch = Watch(agents)

    async def run() -> None:
        while True:
            watch.look()
            await asyncio.sleep(0)

    task = asyncio.get_running_loop().create_task(run())
    try:
        yield watch
    finally:
        watch.look()
        task.cancel()


def busy_for_plans(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """The agent serving on ``port`` (across its restarts) answers every plan 503, as a Pi too
    busy to take it, while its event stream flows on: Home Assistant still sees it, but no
    plan reaches it."""
    read_json = server.read_json

    async def busy(request: web.Request, schema: Any) -> dict[str, Any]:
        if schema is server.PLAN and request.url.port == port:
            raise ApiError(503, "busy", "too busy to take a plan")
        return await read_json(request, schema)

    monkeypatch.setattr(server, "read_json", busy)
