"""shutdown, resume and set_budget against a real agent: relays, plans, storage, errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.billing.sessions import EndReason
from custom_components.smartmulti.client import SmartMultiClient
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.planning.plan import CLOSED_PLAN_TTL_S
from custom_components.smartmulti.planning.strip import StripPlanner
from tests.support.agent import RunningAgent

from .billing_support import alice_in_session, ledger, outlet_device
from .conftest import FAST_CYCLES, circuit_entry, setup_entries, strip_entry, wait_for
from .orchestration_support import (
    CLOSED,
    LAMP,
    all_balanced_off,
    plan_budget,
    plan_is_closed,
    relays,
    strip_device,
)

BUDGET = "number.coworking_strip_power_budget"


async def call(hass: HomeAssistant, service: str, data: dict[str, Any] | None = None) -> None:
    await hass.services.async_call(DOMAIN, service, data or {}, blocking=True)


async def strip(hass: HomeAssistant, running: RunningAgent) -> MockConfigEntry:
    """A strip planned every second, with its balanced outlets on (laptops charging)."""
    entry = strip_entry(hass, running, **FAST_CYCLES)
    await setup_entries(hass, entry)
    await wait_for(lambda: relays(running)[1] and relays(running)[LAMP])
    return entry


async def test_shutdown_switches_balanced_outlets_off_keeps_exceptions_on_and_renews_the_plan(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    entry = await strip(hass, agent)
    planner: StripPlanner = entry.runtime_data.planner

    await call(hass, "shutdown")  # no target: every strip

    await wait_for(lambda: all_balanced_off(agent))
    assert relays(agent)[LAMP]
    plan = agent.agent.controller.plan
    assert plan is not None
    assert (plan.on_expiry, plan.exceptions_on, plan.ttl_s) == ("off", True, CLOSED_PLAN_TTL_S)
    state = hass.states.get(CLOSED)
    assert state.state == "on"
    assert state.attributes["exceptions_off"] is False
    assert hass.states.get("sensor.desk_1_reason").state == "closed"
    assert hass.states.get("sensor.lamp_reason").state == "exception"
    # Cycles go on renewing the closed plan; nothing is switched on meanwhile.
    cycles = planner.site.cycles
    received = plan.received_at
    await wait_for(lambda: planner.site.cycles >= cycles + 2)
    await wait_for(lambda: agent.agent.controller.plan.received_at > received)
    assert plan_is_closed(agent)
    assert all_balanced_off(agent)


async def test_shutdown_with_exceptions_switches_the_lamp_off_and_resume_opens_again(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await strip(hass, agent)

    await call(
        hass, "shutdown", {"device_id": strip_device(hass, agent), "include_exceptions": True}
    )

    await wait_for(lambda: not any(relays(agent).values()))
    assert agent.agent.controller.plan.exceptions_on is False
    assert hass.states.get(CLOSED).attributes["exceptions_off"] is True
    assert hass.states.get("sensor.lamp_reason").state == "closed"

    await call(hass, "resume", {"entity_id": CLOSED})

    await wait_for(lambda: relays(agent)[1] and relays(agent)[LAMP])
    plan = agent.agent.controller.plan
    assert (plan.on_expiry, plan.exceptions_on) == ("failsafe", True)
    assert hass.states.get(CLOSED).state == "off"


async def test_a_manual_on_command_given_before_closing_is_handed_back(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    await strip(hass, agent)
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.desk_2"}, blocking=True
    )
    assert agent.agent.controller.outlet(2).override is True

    await call(hass, "shutdown")

    assert agent.agent.controller.outlet(2).override is None
    await wait_for(lambda: all_balanced_off(agent))


async def test_a_manual_on_command_the_stream_has_not_carried_yet_is_handed_back_too(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    """Another admin's command (a second Home Assistant, the agent's CLI) a moment before
    closing: the stream carries it only with the agent's next sample, so closing asks."""
    entry = await strip(hass, agent)
    other_admin = SmartMultiClient(
        agent.host, agent.port, agent.token, session=async_get_clientsession(hass)
    )
    await other_admin.set_relay(3, True)
    await entry.runtime_data.planner.async_shut_down(include_exceptions=False)

    assert agent.agent.controller.outlet(3).override is None
    await wait_for(lambda: all_balanced_off(agent))


async def test_a_closed_strip_stays_closed_across_unload_and_setup(
    hass: HomeAssistant, agent: RunningAgent, hass_storage: dict[str, Any]
) -> None:
    entry = await strip(hass, agent)
    await call(hass, "shutdown")
    await wait_for(lambda: all_balanced_off(agent))

    assert await hass.config_entries.async_unload(entry.entry_id)
    # Not handed to the failsafe (which would switch outlets on at night): the closed plan holds.
    assert plan_is_closed(agent)
    assert entry.entry_id in hass_storage["smartmulti.site"]["data"]["closed"]
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(CLOSED).state == "on"
    planner: StripPlanner = entry.runtime_data.planner
    cycles = planner.site.cycles
    await wait_for(lambda: planner.site.cycles >= cycles + 2)
    assert plan_is_closed(agent)
    assert all_balanced_off(agent)


async def test_shutdown_ends_the_open_sessions_of_the_closed_strips(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    await alice_in_session(hass, mock_config_entry, 2)
    (session,) = ledger(hass).open_sessions()

    await call(hass, "shutdown")

    assert ledger(hass).open_sessions() == []
    assert not session.open
    assert session.end_reason == EndReason.CLOSING


@pytest.mark.freeze_time("2025-04-15 08:00:00+00:00", tick=True)
async def test_set_budget_for_a_while_then_the_previous_budget_returns(
    hass: HomeAssistant, agent: RunningAgent, freezer: Any, fast_reconnect: None
) -> None:
    await strip(hass, agent)
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: BUDGET, "value": 800}, blocking=True
    )

    await call(
        hass,
        "set_budget",
        {"entity_id": BUDGET, "power": 300, "duration": {"minutes": 30}},
    )

    assert hass.states.get(BUDGET).state == "300.0"
    await wait_for(lambda: plan_budget(agent) == 300.0)
    freezer.tick(timedelta(minutes=29))
    await hass.async_block_till_done()
    assert hass.states.get(BUDGET).state == "300.0"
    freezer.tick(timedelta(minutes=1, seconds=1))
    await wait_for(lambda: hass.states.get(BUDGET).state == "800.0")
    # The clock jumped past the event stream's read timeout: the strip reconnects first.
    await wait_for(lambda: plan_budget(agent) == 800.0, limit_s=15)


@pytest.mark.freeze_time("2025-04-15 08:00:00+00:00", tick=True)
async def test_a_manual_change_or_another_set_budget_cancels_the_return(
    hass: HomeAssistant, agent: RunningAgent, freezer: Any
) -> None:
    await strip(hass, agent)
    circuit = circuit_entry(hass, "Ground floor", 3000)
    await setup_entries(hass, circuit)
    circuit_budget = "number.ground_floor_power_budget"
    await call(hass, "set_budget", {"entity_id": BUDGET, "power": 300, "duration": "00:30:00"})
    await call(
        hass, "set_budget", {"entity_id": circuit_budget, "power": 1000, "duration": "00:30:00"}
    )

    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: BUDGET, "value": 500}, blocking=True
    )
    await call(hass, "set_budget", {"entity_id": circuit_budget, "power": 1500})
    freezer.tick(timedelta(minutes=31))
    await hass.async_block_till_done()

    assert hass.states.get(BUDGET).state == "500.0"
    assert hass.states.get(circuit_budget).state == "1500.0"


@pytest.mark.freeze_time("2025-04-15 08:00:00+00:00", tick=True)
async def test_a_temporary_budget_still_ends_after_a_reload(
    hass: HomeAssistant, agent: RunningAgent, freezer: Any
) -> None:
    entry = await strip(hass, agent)
    await call(hass, "set_budget", {"device_id": strip_device(hass, agent), "power": 300})
    await call(
        hass,
        "set_budget",
        {"device_id": strip_device(hass, agent), "power": 200, "duration": {"hours": 1}},
    )

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(BUDGET).state == "200.0"
    freezer.move_to(dt_util.utcnow() + timedelta(hours=1, seconds=1))
    await wait_for(lambda: hass.states.get(BUDGET).state == "300.0")


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("shutdown", {"device_id": "outlet:2"}, "not_a_strip"),
        ("resume", {"device_id": "nonexistent"}, "unknown_device"),
        ("set_budget", {"power": 100}, "no_budget_target"),
        ("set_budget", {"device_id": "outlet:2", "power": 100}, "not_a_budget_target"),
        ("set_budget", {"entity_id": BUDGET, "power": 5000}, "budget_too_high"),
    ],
)
async def test_bad_targets_and_values_raise_translated_errors(
    hass: HomeAssistant, agent: RunningAgent, service: str, data: dict[str, Any], key: str
) -> None:
    await strip(hass, agent)
    if data.get("device_id") == "outlet:2":
        data = {**data, "device_id": outlet_device(hass, agent.serial, 2)}

    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, service, data)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    assert str(raised.value)  # the translated message
    assert "{" not in str(raised.value)
    assert hass.states.get(CLOSED).state == "off"
    assert hass.states.get(BUDGET).state == "2000.0"
