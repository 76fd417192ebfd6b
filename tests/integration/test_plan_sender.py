"""Plans the real agent finds wrong: each fails its cycle and turns nothing off (an agent too
old for a plan field, which names the field itself, is in ``test_balancing.py``)."""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from custom_components.smartmulti.client import SmartMultiClient
from custom_components.smartmulti.planning.plan import Plan
from custom_components.smartmulti.planning.sender import PlanSender
from tests.support.agent import RunningAgent


def _sender(hass: HomeAssistant, agent: RunningAgent) -> PlanSender:
    session = async_get_clientsession(hass)
    return PlanSender(SmartMultiClient(agent.host, agent.port, agent.token, session=session), "s")


@pytest.mark.parametrize(
    ("wrong", "said"),
    [
        # Outlet 4 is the lamp, an exception outlet (made one after the plan, say): nothing
        # to look at.
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
