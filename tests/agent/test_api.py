"""What the agent's HTTP API does with the requests it accepts, on a real agent on loopback.

Outlet settings persist; manual commands are held until released, refused on an exception outlet
and dropped when the outlet becomes one; plans show in the state. The hard limit bounds the
exception outlets, and a plan's budget below what they draw is clamped and reported.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from .api_support import (  # noqa: F401 (fixtures)
    Api,
    assert_error,
    comparable,
    fixture_agent,
    fixture_api,
    fixture_http,
)


async def test_patch_renames_an_outlet_and_persists_it(api: Api) -> None:
    status, body = await api.call(
        "PATCH", "/api/v1/outlets/2", body={"name": "Window desk", "max_power_w": 90}
    )
    assert status == 200
    assert (body["name"], body["max_power_w"]) == ("Window desk", 90)
    await api.agent.agent.persist()
    saved = json.loads((api.agent.data_dir / "state.json").read_text())
    assert saved["data"]["outlets"]["2"]["name"] == "Window desk"


async def test_manual_relay_command_is_held_and_released(api: Api) -> None:
    status, body = await api.call("POST", "/api/v1/outlets/4/relay", body={"on": False})
    assert status == 200
    assert body["override"] is False
    status, body = await api.call("POST", "/api/v1/outlets/4/relay", body={"on": None})
    assert body["override"] is None


async def test_manual_relay_command_on_an_exception_outlet_is_409(api: Api) -> None:
    status, body = await api.call("POST", "/api/v1/outlets/16/relay", body={"on": False})
    assert_error(status, body, 409, "exception_outlet")


async def test_an_outlet_made_an_exception_drops_its_held_command(api: Api) -> None:
    """An exception outlet is always on: a command held from before would only contradict it
    in the state (and in Home Assistant)."""
    status, body = await api.call("POST", "/api/v1/outlets/2/relay", body={"on": False})
    assert (status, body["override"]) == (200, False)
    status, body = await api.call("PATCH", "/api/v1/outlets/2", body={"exception": True})
    assert status == 200, body
    assert (body["exception"], body["override"]) == (True, None)


async def test_plan_is_accepted_and_shown_in_the_state(api: Api) -> None:
    plan = {"on": [1, 2], "priority": [2, 1], "budget_w": 400, "ttl_s": 30}
    status, body = await api.call("POST", "/api/v1/plan", body=plan)
    assert status == 200
    assert body["accepted"] is True
    state = await api.state()
    assert state["plan"]["on"] == [1, 2]
    assert state["plan"]["priority"] == [2, 1]
    assert state["limit_w"] in (400, state["failsafe_budget_w"])  # in force from the next sample


async def test_a_plans_looks_are_accepted_and_shown_in_the_state(api: Api) -> None:
    state = await api.state()
    assert all(o["found_empty"] is False for o in state["outlets"])
    plan = {"on": [1, 2], "priority": [2, 1], "budget_w": 400, "ttl_s": 30, "looks": [2]}
    status, body = await api.call("POST", "/api/v1/plan", body=plan)
    assert status == 200, body
    assert (await api.state())["plan"]["looks"] == [2]


async def test_deleting_the_plan_returns_to_failsafe(api: Api) -> None:
    await api.call(
        "POST", "/api/v1/plan", body={"on": [], "priority": [], "budget_w": 400, "ttl_s": 30}
    )
    status, _ = await api.call("DELETE", "/api/v1/plan")
    assert status == 200
    assert (await api.state())["plan"] is None


async def test_exception_outlets_that_would_exceed_the_hard_limit_are_refused(api: Api) -> None:
    state = await api.state()
    hard = state["hard_limit_w"]
    refused = None
    used = sum(o["max_power_w"] for o in state["outlets"] if o["exception"])
    for outlet in state["outlets"]:
        if outlet["exception"]:
            continue
        status, body = await api.call(
            "PATCH", f"/api/v1/outlets/{outlet['id']}", body={"exception": True}
        )
        if used + outlet["max_power_w"] <= hard:
            assert status == 200, body
            used += outlet["max_power_w"]
            continue
        before = comparable(await api.state())
        assert_error(status, body, 422, "invalid_value")
        assert body["error"]["field"] == "exception"
        assert comparable(await api.state()) == before
        refused = outlet["id"]
        break
    assert refused is not None
    exceptions = [o for o in (await api.state())["outlets"] if o["exception"]]
    assert sum(o["max_power_w"] for o in exceptions) <= hard


async def test_a_plan_budget_below_the_exceptions_draw_is_clamped_and_reported(api: Api) -> None:
    plan = {"on": [], "priority": [], "budget_w": 0, "ttl_s": 60}
    lamp_w = 0.0
    for _ in range(50):  # the lamp (outlet 16) is on from the first sample
        lamp_w = (await api.state())["outlets"][15]["power_w"]
        if lamp_w > 0:
            break
        await asyncio.sleep(0.1)
    assert lamp_w > 0
    status, body = await api.call("POST", "/api/v1/plan", body=plan)
    assert status == 200
    assert body["limit_clamped"] is True
    assert body["limit_w"] == pytest.approx(lamp_w, abs=2)
    await asyncio.sleep(0.5)
    state = await api.state()
    assert state["budget_w"] == 0
    assert state["limit_clamped"] is True
    assert state["outlets"][15]["relay"] is True
    assert [o["id"] for o in state["outlets"] if o["relay"]] == [16]
