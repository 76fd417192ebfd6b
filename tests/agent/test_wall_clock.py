"""A Raspberry Pi has no real-time clock: it boots with its wall clock at its last shutdown
(fake-hwclock) or in 1970, and NTP steps it, by hours or years, forward or back, at any moment.

Within a process the plan's lease runs on the monotonic clock, which no step moves; across a
restart its age can only come from the wall clock, so what is saved must be in the wall clock's
frame of the moment it is saved, and a plan whose age came from a wall clock that was behind
must age once NTP shows how far behind it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
import math
from pathlib import Path

import aiohttp
import pytest

from pi_agent.api.views import strip_view
from pi_agent.runtime import Agent
from pi_agent.simulation import SIM_STRIP
from tests.support.agent import build_agent

from .harness import WALL0, Harness

HOUR = 3600.0
DAY = 86400.0
YEAR = 365 * DAY
LOADS = {1: 50.0, 2: 50.0, 3: 40.0}


def restarted(harness: Harness, away_s: float, *, wall_at_boot: float | None = None) -> Harness:
    """A new process on the same strip ``away_s`` of real time after ``harness`` last stepped,
    its plan restored from what ``harness`` would save. Its wall clock reads the true time
    (``WALL0`` plus the time since the first process began), or ``wall_at_boot`` if given."""
    saved = harness.controller.plan_state()
    assert saved is not None
    fresh = Harness(3, exceptions=[3], loads=LOADS, min_on_s=0)
    fresh.now = 5.0  # a new process: its monotonic clock has nothing to do with the old one
    true_wall = WALL0 + harness.now + away_s
    fresh.wall_offset = (true_wall if wall_at_boot is None else wall_at_boot) - fresh.now
    fresh.controller.restore_plan(saved, fresh.now)
    return fresh


def expires_in(harness: Harness) -> float:
    plan = strip_view(harness.controller, harness.now)["plan"]
    assert plan is not None
    return float(plan["expires_in_s"])


def test_a_plan_received_before_ntp_stepped_the_clock_forward_survives_a_restart() -> None:
    """Booted a day behind (fake-hwclock), the plan came before NTP's step: a restart a minute
    later finds the plan with its lease running on, not expired at once."""
    harness = Harness(3, exceptions=[3], loads=LOADS, min_on_s=0)
    harness.wall_offset = WALL0 - DAY
    harness.plan([1, 2], budget_w=500, ttl_s=600)
    harness.run(2)
    harness.wall_offset = WALL0  # NTP synchronised
    harness.run(2)
    fresh = restarted(harness, away_s=60)
    fresh.step()
    assert fresh.controller.mode == "planned"
    assert expires_in(fresh) == pytest.approx(600 - 64, abs=1)


def test_a_plan_received_before_ntp_stepped_the_clock_back_is_not_extended() -> None:
    """The clock was 400 s ahead when the plan came, NTP stepped it back at 500 s, the agent
    restarted at 550 s: the plan's 600 s end 50 s later, not 450 s later."""
    harness = Harness(3, exceptions=[3], loads=LOADS, min_on_s=0)
    harness.wall_offset = WALL0 + 400
    harness.plan([1, 2], budget_w=500, ttl_s=600)
    harness.run(500)
    harness.wall_offset = WALL0
    harness.step()
    fresh = restarted(harness, away_s=49.8)
    fresh.step()
    assert fresh.controller.mode == "planned"
    assert expires_in(fresh) == pytest.approx(50, abs=1)
    fresh.run(51)
    assert fresh.controller.mode == "failsafe"


def test_a_restored_plan_expires_once_ntp_shows_the_agent_was_away_longer() -> None:
    """The Pi was off two days; it booted with the clock of its shutdown (fake-hwclock), so the
    restored plan seemed young. NTP's step shows the day's plan long expired: the failsafe
    takes over at the next sample, not a day later."""
    harness = Harness(3, exceptions=[3], loads=LOADS, min_on_s=0)
    harness.plan([1, 2], budget_w=500, ttl_s=DAY)
    harness.run(2)
    fresh = restarted(harness, away_s=2 * DAY, wall_at_boot=harness.wall())
    fresh.step()
    assert fresh.controller.mode == "planned"  # nothing yet says how long the Pi was off
    fresh.wall_offset += 2 * DAY  # NTP synchronised
    fresh.step()
    assert fresh.controller.mode == "failsafe"


def test_a_restored_plan_ages_by_ntps_forward_step_and_no_more() -> None:
    harness = Harness(3, exceptions=[3], loads=LOADS, min_on_s=0)
    harness.plan([1, 2], budget_w=500, ttl_s=DAY, on_expiry="off")
    harness.run(2)
    fresh = restarted(harness, away_s=HOUR, wall_at_boot=harness.wall())
    fresh.step()
    assert expires_in(fresh) == pytest.approx(DAY - 2, abs=1)
    fresh.wall_offset += HOUR
    fresh.step()
    assert fresh.controller.mode == "planned"
    assert expires_in(fresh) == pytest.approx(DAY - 2 - HOUR, abs=1)
    fresh.wall_offset -= YEAR  # a bad step back never gives the plan its time back
    fresh.step()
    assert expires_in(fresh) == pytest.approx(DAY - 2 - HOUR, abs=1)
    # Once its end has passed, the closed strip stays closed.
    fresh.step(dt=DAY - 2 - HOUR + 1)
    assert fresh.controller.mode == "off"
    assert fresh.on() == {3}


def test_a_live_plan_runs_its_ttl_whatever_the_wall_clock_does() -> None:
    harness = Harness(3, exceptions=[3], loads=LOADS, min_on_s=0)
    harness.plan([1, 2], budget_w=500, ttl_s=600)
    harness.run(100)
    harness.wall_offset += YEAR
    harness.run(100)
    harness.wall_offset -= 2 * YEAR
    harness.run(399)
    assert harness.controller.mode == "planned"
    assert harness.on() == {1, 2, 3}
    harness.run(2)
    assert harness.controller.mode == "failsafe"


def test_the_plans_expiry_shown_follows_the_wall_clock_through_a_step() -> None:
    harness = Harness(3, exceptions=[3], loads=LOADS)
    harness.plan([1, 2], budget_w=500, ttl_s=600)
    harness.run(10)
    harness.wall_offset += YEAR
    harness.run(10)
    view = strip_view(harness.controller, harness.now)
    assert view["plan"]["expires_at"] == pytest.approx(view["time"] + 580, abs=0.5)


# ---------------------------------------------------------------- the whole agent, over HTTP


class Clocks:
    """The agent's two clocks: monotonic (``now``) and the wall clock NTP steps."""

    def __init__(self, wall: float) -> None:
        self.now = 0.0
        self.wall_offset = wall

    def wall(self) -> float:
        return self.now + self.wall_offset


def stepped_agent(data_dir: Path, clocks: Clocks) -> Agent:
    agent, _ = build_agent(
        data_dir,
        outlets=4,
        strip=replace(SIM_STRIP, stagger_s=0, min_on_s=0),
        clock=lambda: clocks.now,
        wall_clock=clocks.wall,
    )
    return agent


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_a_plan_posted_before_ntp_synchronised_survives_a_restart(
    tmp_path: Path, socket_enabled: None, http: aiohttp.ClientSession
) -> None:
    """Booted in 1970 (no fake-hwclock), the agent gets its plan over HTTP, NTP steps the clock
    to today, the agent restarts: the plan is back with the rest of its lease."""
    clocks = Clocks(wall=0.0)
    agent = stepped_agent(tmp_path / "agent", clocks)
    runner = await agent.start_server("127.0.0.1", 0)
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        await agent.sample_once()
        plan = {"on": [1], "priority": [1], "budget_w": 300, "ttl_s": 600, "on_expiry": "off"}
        async with http.post(
            f"http://127.0.0.1:{port}/api/v1/plan",
            json=plan,
            headers={"Authorization": f"Bearer {agent.tokens.admin}"},
        ) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["expires_at"] == pytest.approx(600, abs=1)
        clocks.now += 1
        await agent.sample_once()
        clocks.wall_offset = WALL0  # NTP synchronised
        clocks.now += 1
        await agent.sample_once()
    finally:
        await runner.cleanup()
        agent.shutdown_hardware()
    assert await agent.persist()

    clocks = Clocks(wall=WALL0 + 2 + 30 - 3)  # the restart 30 s later, in a new process
    clocks.now = 3.0
    fresh = stepped_agent(tmp_path / "agent", clocks)
    await fresh.sample_once()
    assert fresh.controller.mode == "planned"
    shown = strip_view(fresh.controller, clocks.now)["plan"]
    assert shown["expires_in_s"] == pytest.approx(600 - 32, abs=1)
    assert shown["expires_at"] == pytest.approx(clocks.wall() + 600 - 32, abs=1)
    fresh.shutdown_hardware()


# ---------------------------------------------------------------- minimum off time, restarted


async def running(data_dir: Path, clocks: Clocks, seconds: float) -> Agent:
    agent = stepped_agent(data_dir, clocks)
    for _ in range(round(seconds / agent.config.strip.sample_period_s)):
        clocks.now += agent.config.strip.sample_period_s
        await agent.sample_once()
    return agent


def laptops_on(agent: Agent) -> set[int]:
    return {o.id for o in agent.controller.outlets if o.relay_on and not o.exception}


async def first_on_after(agent: Agent, clocks: Clocks, ids: set[int], within_s: float) -> float:
    """Sample until one of ``ids`` is on; how long that took (``within_s`` if none)."""
    started = clocks.now
    while clocks.now - started < within_s:
        clocks.now += agent.config.strip.sample_period_s
        await agent.sample_once()
        if laptops_on(agent) & ids:
            break
    return clocks.now - started


async def restarted_agent(
    tmp_path: Path, *, crash: bool, wall_at_boot: float | None = None
) -> tuple[Agent, Clocks, set[int]]:
    """A strip whose laptops' outlets are on, stopped (SIGTERM, or killed after a save), and
    started again 2 s later (systemd's ``RestartSec``) with its wall clock at ``wall_at_boot``
    (default: the true time)."""
    clocks = Clocks(wall=WALL0)
    agent = await running(tmp_path / "agent", clocks, 10)
    was_on = laptops_on(agent)
    assert was_on
    if crash:
        assert await agent.persist()  # the last periodic save; the kill takes the relays off
        agent.hardware.close()
    else:
        agent.shutdown_hardware()
        assert await agent.persist()
    true_wall = clocks.wall() + 2
    clocks = Clocks(wall=true_wall if wall_at_boot is None else wall_at_boot)
    return stepped_agent(tmp_path / "agent", clocks), clocks, was_on


@pytest.mark.parametrize("crash", [False, True], ids=["sigterm", "kill"])
async def test_a_relay_stays_off_its_minimum_off_time_across_a_restart(
    tmp_path: Path, crash: bool
) -> None:
    """A crash loop (``Restart=always``, 2 s apart) must not flap the relays faster than the
    minimum off time allows."""
    fresh, clocks, was_on = await restarted_agent(tmp_path, crash=crash)
    min_off_s = fresh.config.strip.min_off_s
    assert await first_on_after(fresh, clocks, was_on, min_off_s) >= min_off_s - 2 - 0.3
    fresh.shutdown_hardware()


async def test_a_wall_clock_gone_back_at_a_restart_holds_the_whole_minimum_off_time(
    tmp_path: Path,
) -> None:
    fresh, clocks, was_on = await restarted_agent(tmp_path, crash=False, wall_at_boot=0.0)
    min_off_s = fresh.config.strip.min_off_s
    assert await first_on_after(fresh, clocks, was_on, min_off_s) >= min_off_s - 0.3
    fresh.shutdown_hardware()


async def test_a_relay_off_long_before_a_restart_goes_on_at_once(tmp_path: Path) -> None:
    fresh, clocks, was_on = await restarted_agent(tmp_path, crash=False, wall_at_boot=WALL0 + DAY)
    assert await first_on_after(fresh, clocks, was_on, 5) <= 1
    fresh.shutdown_hardware()


async def test_a_state_file_from_before_the_switch_times_holds_no_relay_off(
    tmp_path: Path,
) -> None:
    clocks = Clocks(wall=WALL0)
    agent = stepped_agent(tmp_path / "agent", clocks)
    agent.store.save({"serial": "x", "epoch": "e", "outlets": {"1": {"energy_wh": 1.0}}})
    fresh = await running(tmp_path / "agent", clocks, 0)
    assert all(o.last_switch_at == -math.inf for o in fresh.controller.outlets)
    assert fresh.controller.outlet(1).energy_wh == 1.0
    fresh.shutdown_hardware()
    agent.hardware.close()
