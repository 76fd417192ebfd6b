"""A strip's plan across its life in Home Assistant, against the real agent.

Set up, a strip hands its agent a plan leased for three cycles; unloaded, it leaves the agent to
its failsafe at once. An agent that restarts gets a plan at once, and the settings come back
after Home Assistant restarts. A reload keeps the site's engine and what it learned; balancing
options apply without one, which would drop the strip to its failsafe for a moment.
Diagnostics show the settings and the last plan.
"""

from __future__ import annotations

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartmulti.const import (
    CONF_BALANCING_INTERVAL,
    CONF_CIRCUIT,
    PLAN_TTL_CYCLES,
)
from tests.support.agent import RunningAgent

from .balancing_support import BALANCED, BUDGET, STRATEGY, strip_planner
from .conftest import AgentFactory, circuit_entry, setup_entries, wait_for


async def test_setup_hands_the_agent_a_plan_with_a_lease_of_three_cycles(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    planner = await strip_planner(hass, agent)

    plan = agent.agent.controller.plan
    assert plan is not None
    assert plan.ttl_s == PLAN_TTL_CYCLES * 10  # the default cycle: 10 s
    assert set(plan.priority) == set(BALANCED)
    assert plan.budget_w == 2000.0  # no budget set: the strip's hard limit
    await wait_for(lambda: agent.agent.controller.mode == "planned")
    assert planner.site.cycles >= 1


async def test_unloading_hands_the_strip_to_its_failsafe_at_once(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    planner = await strip_planner(hass, agent)
    entry = hass.config_entries.async_get_entry(planner.entry_id)
    assert entry is not None
    await wait_for(lambda: agent.agent.controller.mode == "planned")

    assert await hass.config_entries.async_unload(entry.entry_id)

    assert agent.agent.controller.plan is None
    await wait_for(lambda: agent.agent.controller.mode == "failsafe")
    assert not planner.site.strips


@pytest.mark.usefixtures("fast_reconnect")
async def test_an_agent_that_restarts_gets_its_plan_back_at_once(
    hass: HomeAssistant, agent: RunningAgent, start_test_agent: AgentFactory
) -> None:
    planner = await strip_planner(hass, agent)  # cycles every 10 s: the restart must not wait
    port = agent.port
    await agent.stop()
    await wait_for(lambda: hass.states.get(BUDGET).state == STATE_UNAVAILABLE)
    assert not planner.ready  # nothing is sent to it: its plan expires, its failsafe runs

    back = await start_test_agent(port=port)  # same data dir and serial: the agent restarted

    # The agent took back the plan it had saved (it has not expired); a fresh one comes at once.
    restored = back.agent.controller.plan
    await wait_for(lambda: back.agent.controller.plan not in (None, restored), limit_s=5.0)
    assert back.agent.controller.plan is not None
    assert back.agent.controller.plan.ttl_s == PLAN_TTL_CYCLES * 10


async def test_settings_are_restored_after_a_restart(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(BUDGET, "320"),
                {
                    "native_max_value": 2000.0,
                    "native_min_value": 0.0,
                    "native_step": 1.0,
                    "native_unit_of_measurement": "W",
                    "native_value": 320.0,
                },
            ),
            (State(STRATEGY, "battery_priority"), {}),
            (State("switch.coworking_strip_balancing", "off"), {}),
        ],
    )

    planner = await strip_planner(hass, agent)

    assert planner.settings.budget_w == 320.0
    assert planner.settings.strategy == "battery_priority"
    assert not planner.settings.enabled
    plan = agent.agent.controller.plan
    assert plan is not None
    assert plan.budget_w == 320.0  # the very first plan already


async def test_a_reloaded_strip_is_planned_again_by_the_same_engine(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    """The engine lives at the site, not in the entry: a reload keeps what it learned."""
    planner = init_integration.runtime_data.planner
    engine = planner.site.engine
    learned = engine.balancer(planner.strip_id)

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    again = init_integration.runtime_data.planner
    assert again is not planner
    assert again.site.engine is engine
    assert engine.balancer(again.strip_id) is learned
    await wait_for(lambda: again.result is not None and again.result.sent)
    await wait_for(lambda: agent.agent.controller.mode == "planned")


async def test_balancing_options_apply_without_reloading_the_strip(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    """A reload would release the plan: the strip would fall to its failsafe for a moment."""
    planner = await strip_planner(hass, agent)
    entry = hass.config_entries.async_get_entry(planner.entry_id)
    assert entry is not None
    room = circuit_entry(hass, "Room", 500.0)
    await setup_entries(hass, room)

    hass.config_entries.async_update_entry(
        entry, options={CONF_CIRCUIT: room.entry_id, CONF_BALANCING_INTERVAL: 1}
    )
    await hass.async_block_till_done()

    assert entry.runtime_data.planner is planner  # same entry, never reloaded
    assert planner.interval.total_seconds() == 1
    await wait_for(lambda: agent.agent.controller.limit_w <= 500.0)
    assert agent.agent.controller.mode == "planned"


async def test_diagnostics_show_the_settings_and_the_last_plan(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, agent: RunningAgent
) -> None:
    planner = await strip_planner(hass, agent)
    entry = hass.config_entries.async_get_entry(planner.entry_id)
    assert entry is not None

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    about = diagnostics["balancing"]
    assert about["settings"] == {
        "enabled": True,
        "strategy": "smart",
        "budget_w": None,
        "max_outlets": None,
    }
    assert about["last_cycle"]["sent"] is True
    assert about["last_cycle"]["lease"]["ttl_s"] == PLAN_TTL_CYCLES * 10
    assert about["site"]["strips"] == [agent.serial]
