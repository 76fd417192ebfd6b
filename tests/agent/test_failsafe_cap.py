"""The circuit's cap on the failsafe (``failsafe_cap_w`` in a plan): strips sharing a circuit stay
within it together when Home Assistant stops planning them, whether their plans expire, are
dropped, or the agents restart meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pi_agent.simulation import SIM_STRIP
from pi_agent.storage import StateStore
from tests.support.agent import RunningAgent, build_agent, start_agent

from .api_support import (  # noqa: F401 (fixtures)
    Api,
    assert_error,
    fixture_agent,
    fixture_api,
    fixture_http,
)

CAP_W = 150.0
PLAN: dict[str, Any] = {"on": [1, 2, 3, 4], "priority": [1, 2, 3, 4], "budget_w": 400}


async def _until(api: Api, check: Callable[[dict[str, Any]], bool], limit_s: float = 10.0) -> dict:
    """The first state that passes ``check`` (the agent applies a change at its next sample)."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while True:
        state = await api.state()
        if check(state):
            return state
        assert asyncio.get_running_loop().time() < deadline, state
        await asyncio.sleep(0.1)


async def _post(api: Api, **fields: Any) -> None:
    status, body = await api.call("POST", "/api/v1/plan", body=PLAN | {"ttl_s": 30} | fields)
    assert status == 200, body


async def test_the_failsafe_holds_the_last_plans_cap_once_the_plan_expires(api: Api) -> None:
    assert SIM_STRIP.failsafe_budget_w > CAP_W
    await _post(api, ttl_s=1.5, failsafe_cap_w=CAP_W)
    state = await _until(api, lambda s: s["mode"] == "failsafe")
    assert state["failsafe_cap_w"] == CAP_W
    assert state["failsafe_budget_w"] == SIM_STRIP.failsafe_budget_w  # as configured
    state = await _until(api, lambda s: s["budget_w"] == CAP_W)
    # The guard holds the limit: once its hold is over, what is on fits in the cap.
    await _until(api, lambda s: s["total_power_w"] <= s["limit_w"] + 1.0)


async def test_a_dropped_plan_leaves_the_cap_and_a_plan_without_one_removes_it(
    api: Api,
) -> None:
    await _post(api, failsafe_cap_w=CAP_W)
    status, _ = await api.call("DELETE", "/api/v1/plan")
    assert status == 200
    state = await _until(api, lambda s: s["mode"] == "failsafe" and s["budget_w"] == CAP_W)
    assert state["plan"] is None
    assert state["failsafe_cap_w"] == CAP_W
    await _post(api)  # the strip was taken off its circuit
    assert (await api.state())["failsafe_cap_w"] is None
    await api.call("DELETE", "/api/v1/plan")
    await _until(api, lambda s: s["budget_w"] == SIM_STRIP.failsafe_budget_w)


async def test_an_agent_restarted_while_home_assistant_is_down_keeps_the_cap(
    tmp_path: Path, http: aiohttp.ClientSession, socket_enabled: None
) -> None:
    running = await start_agent(tmp_path / "agent", outlets=4)
    try:
        await _post(Api(running, http), ttl_s=1.0, failsafe_cap_w=CAP_W)  # saved at once
    finally:
        await running.stop()
    again: RunningAgent = await start_agent(tmp_path / "agent", outlets=4)
    try:
        api = Api(again, http)
        state = await _until(api, lambda s: s["budget_w"] == CAP_W)
        assert state["mode"] == "failsafe"
        assert state["failsafe_cap_w"] == CAP_W
    finally:
        await again.stop()


@pytest.mark.parametrize("bad", [-1.0, "150", True, None, [150], 1e9, 10**400])
async def test_a_cap_that_is_not_a_power_is_refused_and_nothing_changes(
    api: Api, bad: object
) -> None:
    await _post(api, failsafe_cap_w=CAP_W)
    before = await api.state()
    status, body = await api.call(
        "POST", "/api/v1/plan", body=PLAN | {"ttl_s": 30, "budget_w": 300, "failsafe_cap_w": bad}
    )
    assert_error(status, body, 422, "invalid_value")
    assert body["error"]["field"] == "failsafe_cap_w"
    after = await api.state()
    assert after["failsafe_cap_w"] == CAP_W
    assert after["plan"]["budget_w"] == before["plan"]["budget_w"] == 400


async def test_a_saved_cap_that_is_not_a_power_is_dropped_and_the_rest_restored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    agent, _ = build_agent(tmp_path, outlets=4)
    agent.controller.outlet(1).energy_wh = 5.0
    agent.controller.failsafe_cap_w = CAP_W
    assert await agent.persist()
    agent.shutdown_hardware()
    store = StateStore(tmp_path / "state.json")
    saved = store.load()
    assert saved is not None
    assert saved["failsafe_cap_w"] == CAP_W
    saved["failsafe_cap_w"] = "lots"
    store.save(saved)
    with caplog.at_level(logging.WARNING, logger="pi_agent.runtime"):
        again, _ = build_agent(tmp_path, outlets=4)
    assert again.controller.failsafe_cap_w is None
    assert again.controller.failsafe_budget_w == SIM_STRIP.failsafe_budget_w
    assert again.controller.outlet(1).energy_wh == 5.0
    assert "Not restored from the state file: the failsafe cap 'lots'" in caplog.text
