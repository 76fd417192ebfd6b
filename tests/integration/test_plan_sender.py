"""Plans the real agent refuses: an agent too old for a plan field (it names the field itself)
is sent plans without it from then on; a plan it finds wrong fails its cycle and turns
nothing off."""

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


def _sender(hass: HomeAssistant, agent: RunningAgent) -> PlanSender:
    session = async_get_clientsession(hass)
    return PlanSender(SmartMultiClient(agent.host, agent.port, agent.token, session=session), "s")


def _agent_without_plan_field(monkeypatch: pytest.MonkeyPatch, field_name: str) -> None:
    """The test's agents take plans as an agent from before ``field_name`` was a plan field
    does: the schema refuses the key as unknown (422 naming the bare field)."""
    schema = {k: v for k, v in validation.PLAN.schema.items() if str(k) != field_name}
    monkeypatch.setattr(server, "PLAN", vol.Schema(schema))


async def test_an_agent_too_old_for_reserves_gets_its_plans_without_them(
    hass: HomeAssistant, agent: RunningAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    _agent_without_plan_field(monkeypatch, "reserve_w")
    lease = Plan(on=(1, 2), priority=(1, 2, 3), budget_w=1234.0, ttl_s=30.0, reserve_w={1: 55.0})

    sent = await _sender(hass, agent).async_send(lease, kept_for_s=30.0)

    assert sent
    plan = agent.agent.controller.plan
    assert plan is not None
    assert (plan.budget_w, plan.reserve_w) == (1234.0, {})


async def test_an_agent_too_old_for_looks_gets_its_plans_without_them(
    hass: HomeAssistant,
    agent: RunningAgent,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The outlets waiting for the looks' room are left out with them, or such an agent would
    hold them on beside a look it does not release. Said once, not at every plan."""
    caplog.set_level(logging.INFO)
    _agent_without_plan_field(monkeypatch, "looks")
    sender = _sender(hass, agent)
    lease = Plan(
        on=(2, 3), priority=(2, 3, 1), budget_w=300.0, ttl_s=30.0, looks=(2,), after_looks=(3,)
    )

    assert await sender.async_send(lease, kept_for_s=30.0)
    assert await sender.async_send(lease, kept_for_s=30.0)

    plan = agent.agent.controller.plan
    assert plan is not None
    assert plan.looks == frozenset()
    assert plan.on == {2}
    assert caplog.text.count("does not take looks") == 1
    assert "Cannot send" not in caplog.text


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
