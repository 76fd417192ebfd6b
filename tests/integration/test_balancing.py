"""Balancing one strip from Home Assistant: its entities reach the plan the real agent follows.

The budget, the strategy and its outlet count, the balancing switch and the batteries Home
Assistant knows of each reach the next plan, a battery's new percent at once rather than at the
next interval; a plan carries the draw expected of outlets switching on, its looks and the
outlets waiting for their room.
"""

from __future__ import annotations

from dataclasses import replace

from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.components.select import DOMAIN as SELECT_DOMAIN, SERVICE_SELECT_OPTION
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF
from homeassistant.core import HomeAssistant
import pytest

from custom_components.smartmulti.const import CONF_BALANCING_INTERVAL, CONF_BATTERY_SENSORS
from tests.support.agent import RunningAgent

from .balancing_support import BALANCED, BUDGET, STRATEGY, strip_planner
from .conftest import FAST_CYCLES, report_battery, wait_for


async def _set_number(hass: HomeAssistant, entity_id: str, value: float) -> None:
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: entity_id, "value": value}, True
    )


async def _select(hass: HomeAssistant, entity_id: str, option: str) -> None:
    await hass.services.async_call(
        SELECT_DOMAIN, SERVICE_SELECT_OPTION, {ATTR_ENTITY_ID: entity_id, "option": option}, True
    )


async def _strip_with_three_laptops(hass: HomeAssistant, agent: RunningAgent) -> None:
    """Desks 1-3 report 60 %, 20 % and 40 %, then the strip is set up, planning every second."""
    for outlet_id, percent in zip(BALANCED, (60, 20, 40), strict=True):
        await report_battery(hass, agent, outlet_id, percent)
    await strip_planner(hass, agent, **FAST_CYCLES)


def _on(agent: RunningAgent) -> set[int]:
    """Balanced outlets in the plan the agent follows."""
    plan = agent.agent.controller.plan
    assert plan is not None
    return set(plan.on) & set(BALANCED)


async def test_a_new_budget_is_in_force_within_one_cycle(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await strip_planner(hass, agent, balancing_interval=60)  # the next periodic cycle is far away

    await _set_number(hass, BUDGET, 300)

    await wait_for(lambda: agent.agent.controller.limit_w == 300.0, limit_s=2.0)
    assert hass.states.get(BUDGET).state == "300.0"
    await wait_for(lambda: hass.states.get("sensor.coworking_strip_power_limit").state == "300.0")


async def test_max_outlets_keeps_at_most_n_balanced_outlets_on(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await _strip_with_three_laptops(hass, agent)
    await _set_number(hass, "number.coworking_strip_max_outlets_on", 1)
    assert len(_on(agent)) > 1  # N only counts under its strategy

    await _select(hass, STRATEGY, "max_outlets")

    await wait_for(lambda: len(_on(agent)) == 1)
    off = set(BALANCED) - _on(agent)
    await wait_for(
        lambda: all(hass.states.get(f"sensor.desk_{i}_reason").state == "waiting_turn" for i in off)
    )


@pytest.mark.parametrize(
    ("strategy", "reason"),
    [("total_cap", "first_come"), ("battery_priority", "low_battery_first")],
)
async def test_the_next_plan_follows_the_chosen_strategy(
    hass: HomeAssistant, agent: RunningAgent, strategy: str, reason: str
) -> None:
    await _strip_with_three_laptops(hass, agent)

    await _select(hass, STRATEGY, strategy)

    await wait_for(lambda: hass.states.get("sensor.desk_2_reason").state == reason)
    assert hass.states.get(STRATEGY).state == strategy


async def test_battery_priority_gives_the_only_room_to_the_emptiest_laptop(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await _strip_with_three_laptops(hass, agent)
    await _select(hass, STRATEGY, "battery_priority")

    await _set_number(hass, BUDGET, 210)  # the lamp (40 W) and one desk (at most 165 W)

    await wait_for(lambda: _on(agent) == {2})
    await wait_for(lambda: hass.states.get("sensor.desk_1_reason").state == "waiting_budget")
    assert hass.states.get("sensor.desk_2_reason").state == "low_battery_first"
    # "Full in" is for the laptop that charges; the waiting one's depends on its turn.
    await wait_for(lambda: hass.states.get("sensor.desk_2_time_to_full").state != "unknown")
    assert 0 < float(hass.states.get("sensor.desk_2_time_to_full").state) <= 12 * 3600
    assert hass.states.get("sensor.desk_1_time_to_full").state == "unknown"


async def test_balancing_off_turns_every_balanced_outlet_on_under_the_guard(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await strip_planner(hass, agent, **FAST_CYCLES)
    await _set_number(hass, BUDGET, 210)
    await wait_for(lambda: len(_on(agent)) <= 1)

    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: "switch.coworking_strip_balancing"},
        blocking=True,
    )

    await wait_for(lambda: _on(agent) == set(BALANCED))
    plan = agent.agent.controller.plan
    assert plan is not None
    assert plan.budget_w == 210.0  # the guard still holds the strip to its budget
    await wait_for(lambda: hass.states.get("sensor.desk_1_reason").state == "balancing_off")
    assert hass.states.get("sensor.lamp_reason").state == "exception"


async def test_a_mapped_battery_sensor_reaches_the_engine(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    hass.states.async_set(
        "sensor.macbook_battery_level",
        "23",
        {"device_class": "battery", "unit_of_measurement": "%"},
    )
    planner = await strip_planner(
        hass, agent, **FAST_CYCLES, **{CONF_BATTERY_SENSORS: {"2": "sensor.macbook_battery_level"}}
    )

    def percent() -> float | None:
        decision = planner.result.decision(2) if planner.result else None
        return None if decision is None else decision.percent

    await wait_for(lambda: percent() == 23.0)
    decision = planner.result.decision(2)
    assert decision is not None
    assert not decision.estimated

    hass.states.async_set(
        "sensor.macbook_battery_level",
        "31",
        {"device_class": "battery", "unit_of_measurement": "%"},
    )
    await wait_for(lambda: percent() == 31.0)


async def test_a_plan_carries_the_draw_expected_of_outlets_switching_on(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    planner = await strip_planner(hass, agent)
    assert planner.result is not None

    sent = await planner.async_send(replace(planner.result.plan, reserve_w={1: 55.0}))

    assert sent
    plan = agent.agent.controller.plan
    assert plan is not None
    assert plan.reserve_w == {1: 55.0}


async def test_a_plan_names_its_looks_and_the_outlets_waiting_for_their_room(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    planner = await strip_planner(hass, agent)
    assert planner.result is not None
    lease = replace(planner.result.plan, on=(2, 3), looks=(2,), after_looks=(3,))

    sent = await planner.async_send(lease)

    assert sent
    plan = agent.agent.controller.plan
    assert plan is not None
    assert plan.looks == {2}
    assert plan.on == {2, 3}


async def test_the_outlets_waiting_behind_a_reading_are_sent_on(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    """A plan without looks may still have outlets waiting (behind a laptop switched on to
    read its draw): the agent is told them on, and its admission holds them for the room."""
    planner = await strip_planner(hass, agent)
    assert planner.result is not None
    lease = replace(planner.result.plan, on=(2, 3), looks=(), after_looks=(3,))

    sent = await planner.async_send(lease)

    assert sent
    plan = agent.agent.controller.plan
    assert plan is not None
    assert plan.looks == frozenset()
    assert plan.on == {2, 3}


async def test_a_battery_percent_reported_to_the_agent_is_planned_at_once(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    """A new percent starts a cycle as a plug change does, not at the next interval."""
    await report_battery(hass, agent, 1, 60)
    planner = await strip_planner(hass, agent, **{CONF_BALANCING_INTERVAL: 300})
    await wait_for(lambda: planner.data.state.outlets[1].battery is not None)
    cycles = planner.site.cycles

    await report_battery(hass, agent, 1, 35)

    def percent() -> float | None:
        decision = planner.result.decision(1) if planner.result else None
        return None if decision is None else decision.percent

    await wait_for(lambda: percent() == 35.0)
    assert planner.site.cycles > cycles


async def test_a_mapped_battery_sensor_change_is_planned_at_once(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    attributes = {"device_class": "battery", "unit_of_measurement": "%"}
    hass.states.async_set("sensor.macbook_battery_level", "23", attributes)
    planner = await strip_planner(
        hass,
        agent,
        **{
            CONF_BALANCING_INTERVAL: 300,
            CONF_BATTERY_SENSORS: {"2": "sensor.macbook_battery_level"},
        },
    )
    cycles = planner.site.cycles

    hass.states.async_set("sensor.macbook_battery_level", "31", attributes)

    def percent() -> float | None:
        decision = planner.result.decision(2) if planner.result else None
        return None if decision is None else decision.percent

    await wait_for(lambda: percent() == 31.0)
    assert planner.site.cycles > cycles
    assert hass.states.get("sensor.desk_2_battery").state == "31.0"
