"""The off-peak budget blueprint, driven by a real agent: the budget is set at start-up and at each
change of period, by the clock or by a tariff entity, for strips and circuits alike.

At start-up it waits for a strip still connecting; a strip whose agent stays unreachable is
skipped after two minutes, the others get their budget, and nothing is reported as an error.
Time is Europe/Paris.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from tests.support.agent import RunningAgent

from .blueprint_support import (
    PARIS,
    advance,
    automation_errors,
    paris,
    start_automation,
    strip_in_paris,
    two_strips_one_connecting,
    wait_for,
)
from .conftest import FAST_CYCLES, AgentFactory, circuit_entry, setup_entries, strip_entry
from .orchestration_support import plan_budget, strip_device


@pytest.mark.freeze_time("2025-04-15 19:55:00+00:00", tick=True)  # Tuesday 21:55 in Paris
async def test_offpeak_schedule_sets_the_budget_at_start_up_and_at_each_change(
    hass: HomeAssistant, agent: RunningAgent, blueprints: None, freezer: Any
) -> None:
    await strip_in_paris(hass, agent)
    budget = "number.coworking_strip_power_budget"
    await start_automation(
        hass,
        "offpeak_budget",
        {
            "targets": [strip_device(hass, agent)],
            "peak_budget": 400,
            "offpeak_budget": 1500,
            "offpeak_start": "22:00:00",
            "offpeak_end": "06:00:00",
        },
    )
    await wait_for(lambda: hass.states.get(budget).state == "400.0")
    await wait_for(lambda: plan_budget(agent) == 400.0)

    await advance(hass, freezer, paris(15, 22, 0, 1))
    await wait_for(lambda: hass.states.get(budget).state == "1500.0")
    await wait_for(lambda: plan_budget(agent) == 1500.0)
    await advance(hass, freezer, paris(16, 6, 0, 1))
    await wait_for(lambda: hass.states.get(budget).state == "400.0")
    await wait_for(lambda: plan_budget(agent) == 400.0, limit_s=15)


@pytest.mark.parametrize(
    ("start", "end", "before", "after"),
    [("02:00:00", "07:00:00", 400, 1500), ("22:00", "02:30", 1500, 400)],
    ids=["start", "end"],
)
@pytest.mark.freeze_time("2025-03-29 23:55:00+00:00", tick=True)  # 00:55, summer time at 2:00
async def test_an_offpeak_change_the_clocks_skip_applies_when_they_have_skipped_it(
    hass: HomeAssistant,
    agent: RunningAgent,
    blueprints: None,
    freezer: Any,
    start: str,
    end: str,
    before: int,
    after: int,
) -> None:
    """Off-peak hours from 02:00 (a common French plan), or until 02:30: on the night summer
    time begins that time does not exist (the clocks go from 01:59:59 to 03:00:00), and the
    change still happens, at the first minute after."""
    await strip_in_paris(hass, agent)
    budget = "number.coworking_strip_power_budget"
    await start_automation(
        hass,
        "offpeak_budget",
        {
            "targets": [strip_device(hass, agent)],
            "peak_budget": 400,
            "offpeak_budget": 1500,
            "offpeak_start": start,
            "offpeak_end": end,
        },
    )
    await wait_for(lambda: hass.states.get(budget).state == f"{before}.0")

    await advance(hass, freezer, datetime(2025, 3, 30, 3, 1, tzinfo=PARIS))
    await wait_for(lambda: hass.states.get(budget).state == f"{after}.0")
    await wait_for(lambda: plan_budget(agent) == after)


@pytest.mark.freeze_time("2025-04-15 19:55:00+00:00", tick=True)  # Tuesday 21:55 in Paris
async def test_offpeak_at_start_up_waits_for_a_strip_still_connecting_and_sets_both(
    hass: HomeAssistant,
    agent: RunningAgent,
    start_test_agent: AgentFactory,
    blueprints: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other, late = await two_strips_one_connecting(hass, agent, start_test_agent)
    targets = [strip_device(hass, agent), strip_device(hass, other)]

    await start_automation(
        hass, "offpeak_budget", {"targets": targets, "peak_budget": 400, "offpeak_budget": 1500}
    )
    await late

    await wait_for(lambda: plan_budget(agent) == 400.0 and plan_budget(other) == 400.0)
    assert automation_errors(caplog) == []  # not "not running in Home Assistant"


async def test_offpeak_skips_a_strip_that_does_not_run_and_sets_the_others(
    hass: HomeAssistant,
    agent: RunningAgent,
    start_test_agent: AgentFactory,
    blueprints: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A strip whose agent stays unreachable is waited for two minutes (at start-up, or when
    automations are reloaded), then skipped; the others get their budget and nothing is
    reported as an error."""
    other, late = await two_strips_one_connecting(hass, agent, start_test_agent)
    late.cancel()
    inputs = {
        "targets": [strip_device(hass, agent), strip_device(hass, other)],
        "peak_budget": 400,
        "offpeak_budget": 1500,
        "offpeak_start": "00:00:00",  # off peak all day (but its last second)
        "offpeak_end": "23:59:59",
    }
    config = {
        "id": "offpeak",
        "alias": "offpeak",
        "use_blueprint": {"path": "smartmulti/offpeak_budget.yaml", "input": inputs},
    }
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()

    hass.bus.async_fire("automation_reloaded")
    for _ in range(3):
        await asyncio.sleep(0.1)
    assert hass.states.get("automation.offpeak").attributes["current"] == 1  # waiting
    # Two minutes pass: the timers of its two-second delays fire one after the other.
    for _ in range(300):
        if hass.states.get("automation.offpeak").attributes["current"] == 0:
            break
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
        await asyncio.sleep(0.05)
    assert hass.states.get("automation.offpeak").attributes["current"] == 0
    await wait_for(lambda: plan_budget(agent) == 1500.0)
    assert automation_errors(caplog) == []


async def test_offpeak_tariff_entity_drives_a_circuits_budget_and_the_strips_plan(
    hass: HomeAssistant, agent: RunningAgent, blueprints: None
) -> None:
    circuit = circuit_entry(hass, "Ground floor", 3000)
    entry = strip_entry(hass, agent, circuit=circuit.entry_id, **FAST_CYCLES)
    await setup_entries(hass, circuit, entry)
    assert await async_setup_component(
        hass, "input_select", {"input_select": {"tariff": {"options": ["HP", "HC"]}}}
    )
    budget = "number.ground_floor_power_budget"
    circuit_device = next(
        device.id
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), circuit.entry_id)
    )
    await start_automation(
        hass,
        "offpeak_budget",
        {
            "targets": [circuit_device],
            "peak_budget": 300,
            "offpeak_budget": 1200,
            "tariff_entity": "input_select.tariff",
            "offpeak_value": "hc",
        },
    )
    await wait_for(lambda: hass.states.get(budget).state == "300.0")
    await wait_for(lambda: (plan_budget(agent) or float("inf")) <= 300.0)

    await hass.services.async_call(
        "input_select",
        "select_option",
        {ATTR_ENTITY_ID: "input_select.tariff", "option": "HC"},
        blocking=True,
    )
    await wait_for(lambda: hass.states.get(budget).state == "1200.0")
    await wait_for(lambda: plan_budget(agent) == 1200.0)
    await hass.services.async_call(
        "input_select",
        "select_option",
        {ATTR_ENTITY_ID: "input_select.tariff", "option": "HP"},
        blocking=True,
    )
    await wait_for(lambda: (plan_budget(agent) or float("inf")) <= 300.0)
