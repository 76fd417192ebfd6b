"""Plans the real agent refuses: an agent too old for a plan field is sent plans without it
from then on; a plan the agent finds wrong fails its cycle and turns nothing off."""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
import voluptuous as vol

from custom_components.smartmulti.client import SmartMultiClient
from custom_components.smartmulti.planning.plan import Plan
from custom_components.smartmulti.planning.sender import PlanSender
from pi_agent.api import server, validation
from tests.support.agent import RunningAgent

# Outlet 4 is the lamp (an exception outlet); desks 1-3 are balanced.
LOOK_AT_2 = Plan(
    on=(1, 2, 3), priority=(1, 3, 2), budget_w=300.0, ttl_s=30.0, looks=(2,), after_looks=(3,)
)


def _sender(hass: HomeAssistant, agent: RunningAgent) -> PlanSender:
    session = async_get_clientsession(hass)
    return PlanSender(SmartMultiClient(agent.host, agent.port, agent.token, session=session), "s")


def _older_agent(monkeypatch: pytest.MonkeyPatch, without: str) -> None:
    """The agent's plan schema as an agent from before ``without`` was a plan field."""
    schema = {k: v for k, v in validation.PLAN.schema.items() if str(k) != without}
    monkeypatch.setattr(server, "PLAN", vol.Schema(schema))


async def test_an_agent_too_old_for_looks_is_sent_plans_without_them(
    hass: HomeAssistant,
    agent: RunningAgent,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    _older_agent(monkeypatch, "looks")
    sender = _sender(hass, agent)

    assert await sender.async_send(LOOK_AT_2, kept_for_s=30.0)
    assert await sender.async_send(LOOK_AT_2, kept_for_s=30.0)

    plan = agent.agent.controller.plan
    assert plan is not None
    # Without looks the agent would hold the look for its minimum on time: what waits for its
    # room is not switched on beside it.
    assert plan.looks == frozenset()
    assert plan.on == {1, 2}
    assert caplog.text.count("does not take looks") == 1
    assert "Cannot send" not in caplog.text


async def test_an_agent_too_old_for_reserves_is_sent_plans_without_them(
    hass: HomeAssistant, agent: RunningAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    _older_agent(monkeypatch, "reserve_w")
    sender = _sender(hass, agent)

    plan = Plan(on=(1, 2), priority=(1, 2), budget_w=300.0, ttl_s=30.0, reserve_w={1: 45.0})
    assert await sender.async_send(plan, kept_for_s=30.0)

    held = agent.agent.controller.plan
    assert held is not None
    assert held.on == {1, 2}
    assert held.reserve_w == {}


@pytest.mark.parametrize(
    ("wrong", "said"),
    [
        # The lamp became an exception outlet after the plan was made: nothing to look at.
        (
            Plan(on=(1, 2, 4), priority=(1, 2), budget_w=300.0, ttl_s=30.0, looks=(4,)),
            "is an exception outlet",
        ),
        (Plan(on=(1, 2), priority=(1, 2), budget_w=300.0, ttl_s=30.0, looks=(3,)), "is not in on"),
        (
            Plan(on=(1,), priority=(1,), budget_w=300.0, ttl_s=30.0, reserve_w={7: 40.0}),
            "no outlet 7",
        ),
    ],
)
async def test_a_plan_the_agent_finds_wrong_fails_its_cycle_and_keeps_looks_and_reserves(
    hass: HomeAssistant,
    agent: RunningAgent,
    caplog: pytest.LogCaptureFixture,
    wrong: Plan,
    said: str,
) -> None:
    caplog.set_level(logging.INFO)
    sender = _sender(hass, agent)

    assert not await sender.async_send(wrong, kept_for_s=30.0)
    assert said in caplog.text
    assert "agent too old" not in caplog.text
    assert agent.agent.controller.plan is None  # the wrong plan was not followed in part

    right = Plan(
        on=(1, 2, 3),
        priority=(1, 3, 2),
        budget_w=300.0,
        ttl_s=30.0,
        reserve_w={1: 45.0},
        looks=(2,),
        after_looks=(3,),
    )
    assert await sender.async_send(right, kept_for_s=30.0)
    held = agent.agent.controller.plan
    assert held is not None
    assert held.looks == {2}
    assert held.on == {1, 2, 3}
    assert held.reserve_w == {1: 45.0}
    assert "accepts balancing plans again" in caplog.text
