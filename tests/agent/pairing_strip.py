"""A simulated strip and a laptop answering its pairing, for the pairing tests.

The simulated agent (15 laptops, a lamp on outlet 16) is sampled by hand on a manual clock, and a
laptop answers from the simulated world, whose plugged flag follows the laptop's relay.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pi_agent.api.views import pairing_view
from pi_agent.control.plan import Plan
from tests.support.agent import build_agent

LAPTOPS = range(1, 16)
LAMP = 16


class Strip:
    """The simulated agent, sampled by hand: five samples per second of a manual clock."""

    def __init__(self, data_dir: Path) -> None:
        self.now = 0.0
        self.agent, self.world = build_agent(data_dir, clock=lambda: self.now)
        self.controller = self.agent.controller
        self.pairing = self.controller.pairing
        self.relays: list[tuple[float, dict[int, bool]]] = []  # the world's contacts per sample
        self.over_limit: list[tuple[float, float, float]] = []  # (time, measured, limit)

    async def step(self) -> None:
        self.now += self.controller.strip.sample_period_s
        await self.agent.sample_once()
        self.relays.append((self.now, {o: self.world.relay(o) for o in range(1, 17)}))
        measured = sum(self.world.draw_w(o) for o in range(1, 17))
        if measured > self.controller.limit_w:
            self.over_limit.append((self.now, measured, self.controller.limit_w))

    async def run(self, seconds: float) -> None:
        for _ in range(round(seconds / self.controller.strip.sample_period_s)):
            await self.step()

    def plan(self, on: Iterable[int], budget_w: float = 1000.0, **kwargs: Any) -> None:
        on = sorted(on)
        self.controller.apply_plan(
            Plan(frozenset(on), tuple(on), budget_w, 3600.0, self.now, 0.0, **kwargs)
        )

    def on(self) -> set[int]:
        return {o.id for o in self.controller.outlets if o.relay_on}

    def clocks(self) -> dict[int, float]:
        return {o.id: o.last_switch_at for o in self.controller.outlets}


class Laptop:
    """A laptop's reporter answering from the world; its flag may lag the relay."""

    def __init__(self, strip: Strip, outlet_id: int, *, lag_s: float = 0.0) -> None:
        self.strip = strip
        self.outlet_id = outlet_id
        self.lag_s = lag_s

    def plugged(self) -> bool:
        if self.lag_s == 0.0 or not self.strip.relays:
            return self.strip.world.relay(self.outlet_id)
        seen = [s for t, s in self.strip.relays if t <= self.strip.now - self.lag_s + 1e-9]
        return (seen[-1] if seen else self.strip.relays[0][1])[self.outlet_id]


async def planned_strip(data_dir: Path, on: Iterable[int]) -> Strip:
    """A strip whose plan has switched ``on`` (1000 W budget) and whose relays are still."""
    strip = Strip(data_dir)
    strip.plan(on)
    await strip.run(8)
    assert strip.on() == {*on, LAMP}
    return strip


async def pair(
    strip: Strip, laptop: Laptop, *, answers: int | None = None, user_proof: str | None = None
) -> dict[str, Any]:
    """Run a pairing until its relays are released; stop answering after ``answers``."""
    run = strip.pairing.start(
        plugged=laptop.plugged(), user="Amina", now=strip.now, user_proof=user_proof
    )
    given = 0
    for _ in range(round(60 / strip.controller.strip.sample_period_s)):
        if not strip.pairing.active:
            break
        view = pairing_view(run)
        if view["observe"] and (answers is None or given < answers):
            strip.pairing.observe(run.id, view["window"], laptop.plugged(), strip.now)
            given += 1
        await strip.step()
    assert not strip.pairing.active
    return pairing_view(run)


def others(outlet: int) -> list[int]:
    return [o for o in LAPTOPS if o != outlet]
