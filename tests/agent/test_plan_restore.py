"""A saved plan taken back after a restart: its ttl runs on by the time the agent was away."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pi_agent.api.views import strip_view
from pi_agent.control.plan import MAX_TTL_S
from tests.support.agent import build_agent

from .harness import WALL0, Harness


def restarted(harness: Harness, away_s: float) -> Harness:
    """A new controller on the same strip, ``away_s`` of wall time later, its plan restored."""
    saved = harness.controller.plan_state()
    assert saved is not None
    fresh = Harness(len(harness.controller.outlets), exceptions=[3], loads=harness.loads)
    fresh.now = 5.0  # a new process: its monotonic clock has nothing to do with the old one
    offset = harness.now + away_s - fresh.now
    fresh.controller._wall = lambda: WALL0 + fresh.now + offset
    fresh.controller.restore_plan(saved, fresh.now)
    return fresh


def test_a_closed_plan_restored_keeps_the_strip_closed_until_its_expiry_and_after() -> None:
    harness = Harness(3, exceptions=[3], loads={1: 50, 2: 50, 3: 40})
    harness.plan([], budget_w=500, ttl_s=600, on_expiry="off")
    harness.run(2)
    fresh = restarted(harness, away_s=60)
    fresh.run(5)
    assert fresh.controller.mode == "planned"
    assert fresh.on() == {3}
    assert strip_view(fresh.controller, fresh.now)["plan"]["expires_in_s"] == pytest.approx(
        533, abs=2
    )
    fresh = restarted(harness, away_s=3600)  # expired while the agent was down
    fresh.run(5)
    assert fresh.controller.mode == "off"
    assert fresh.on() == {3}


def test_a_wall_clock_gone_back_counts_the_plan_as_expired_and_never_extends_it() -> None:
    harness = Harness(3, exceptions=[3], loads={1: 50, 2: 50, 3: 40}, min_on_s=0)
    harness.plan([1, 2], budget_w=500, ttl_s=600)
    harness.run(2)
    fresh = restarted(harness, away_s=-86400)
    fresh.step()
    assert fresh.controller.mode == "failsafe"
    harness.plan([], budget_w=500, ttl_s=600, on_expiry="off")
    fresh = restarted(harness, away_s=-86400)
    fresh.run(5)
    assert fresh.controller.mode == "off"
    assert fresh.on() == {3}


def test_a_saved_plan_naming_an_unknown_outlet_is_dropped_and_the_agent_starts(
    tmp_path: Path,
) -> None:
    agent, _ = build_agent(tmp_path / "agent", outlets=4)
    agent.store.save(
        {
            "serial": "x",
            "epoch": "e",
            "outlets": {},
            "plan": {"on": [9], "priority": [9], "budget_w": 1, "ttl_s": 9, "received_wall": 0},
        }
    )
    agent, _ = build_agent(tmp_path / "agent", outlets=4)
    assert agent.controller.plan is None
    assert agent.epoch == "e"


def test_a_plans_looks_are_saved_and_restored() -> None:
    harness = Harness(3, exceptions=[3])
    harness.plan([1, 2], budget_w=500, ttl_s=600, looks=frozenset({2}))
    saved = harness.controller.plan_state()
    assert saved is not None
    assert saved["looks"] == [2]
    fresh = restarted(harness, away_s=10)
    assert fresh.controller.plan is not None
    assert fresh.controller.plan.looks == frozenset({2})
    assert fresh.controller.plan_state() == saved


def test_a_plan_saved_without_looks_restores_with_none() -> None:
    harness = Harness(3, exceptions=[3])
    harness.plan([1, 2], budget_w=500, ttl_s=600)
    saved = harness.controller.plan_state()
    assert saved is not None
    del saved["looks"]
    fresh = Harness(3, exceptions=[3])
    fresh.controller.restore_plan(saved, fresh.now)
    assert fresh.controller.plan is not None
    assert fresh.controller.plan.looks == frozenset()


def test_a_saved_look_naming_an_unknown_outlet_is_refused() -> None:
    harness = Harness(3, exceptions=[3])
    harness.plan([1], budget_w=500, ttl_s=600, looks=frozenset({1}))
    saved = harness.controller.plan_state()
    assert saved is not None
    saved["looks"] = [9]
    with pytest.raises(ValueError, match="does not have"):
        Harness(3).controller.restore_plan(saved, 0.0)


@pytest.mark.parametrize("ttl_s", [1e300, math.inf, math.nan, -600.0])
def test_a_saved_ttl_no_plan_could_have_never_keeps_a_plan_beyond_the_longest_lease(
    ttl_s: float,
) -> None:
    """A state file whose checksum holds may still say what the API refuses (a bug, a hand
    edit): the plan restored from it ends within the longest lease a plan may have."""
    harness = Harness(3, exceptions=[3])
    harness.plan([1, 2], budget_w=500, ttl_s=600)
    saved = harness.controller.plan_state()
    assert saved is not None
    saved["ttl_s"] = ttl_s
    fresh = restarted_from(saved, away_s=10)
    fresh.step(dt=MAX_TTL_S + 1)
    assert fresh.controller.mode == "failsafe"


def restarted_from(saved: dict[str, object], away_s: float) -> Harness:
    fresh = Harness(3, exceptions=[3])
    fresh.wall_offset += away_s
    fresh.controller.restore_plan(saved, fresh.now)
    return fresh
