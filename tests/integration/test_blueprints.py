"""Automations made from the blueprints, driven by a real calendar, real helpers and a real agent.

Time is Europe/Paris. The opening hours are Local Calendar events: Tuesday and Wednesday
09:00-18:00, nothing on Thursday (closed), Friday 09:00-18:00.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from datetime import datetime, timedelta
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# Imported before any test freezes time: pydantic (under the calendar's ical library) cannot
# define its date types while freezegun's fake date stands in for datetime.date.
from homeassistant.components.local_calendar import (  # noqa: F401
    calendar as local_calendar,
    config_flow as local_calendar_flow,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import CoreState, HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.smartmulti.billing.users import CONF_LIMIT, CONF_NOTIFY, CONF_NOTIFY_WARNING
from tests.support.agent import RunningAgent
from tests.support.blueprints import install_blueprints

from .billing_support import (  # noqa: F401 (a fixture)
    billing_entry,
    flush_energy_often,
    outlet_device,
    set_up,
    start_session,
)
from .conftest import (
    FAST_CYCLES,
    AgentFactory,
    circuit_entry,
    setup_entries,
    strip_entry,
    wait_for as wait_briefly,
)
from .test_orchestration import (
    BALANCED,
    CLOSED,
    LAMP,
    all_balanced_off,
    plan_budget,
    plan_is_closed,
    relays,
    strip_device,
)

PARIS = ZoneInfo("Europe/Paris")
CALENDAR = "calendar.opening_hours"
OPEN_DAYS = (15, 16, 18)  # April 2025: Tuesday, Wednesday, Friday; Thursday 17th is closed


def paris(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2025, 4, day, hour, minute, second, tzinfo=PARIS)


@pytest.fixture
async def blueprints(
    hass: HomeAssistant, tmp_path: Path, fast_reconnect: None
) -> AsyncGenerator[None]:
    """The blueprints installed; the automations made from them stopped at the end.

    Clock jumps outlast the event stream's read timeout: it reconnects quickly here.
    """
    install_blueprints(hass, tmp_path / "config")
    yield
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {ATTR_ENTITY_ID: "all"}, blocking=True
        )


async def opening_hours(hass: HomeAssistant) -> None:
    """A Local Calendar with the opening hours as events."""
    entry = MockConfigEntry(domain="local_calendar", data={"calendar_name": "Opening hours"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for day in OPEN_DAYS:
        await hass.services.async_call(
            "calendar",
            "create_event",
            {
                ATTR_ENTITY_ID: CALENDAR,
                "summary": "Open",
                "start_date_time": paris(day, 9).isoformat(),
                "end_date_time": paris(day, 18).isoformat(),
            },
            blocking=True,
        )


async def strip_in_paris(hass: HomeAssistant, agent: RunningAgent) -> MockConfigEntry:
    """The strip set up, planning every second, in a Home Assistant on Paris time."""
    await hass.config.async_set_time_zone("Europe/Paris")
    entry = strip_entry(hass, agent, **FAST_CYCLES)
    await setup_entries(hass, entry)
    return entry


async def start_automation(hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]) -> None:
    """An automation from the blueprint, set up as at Home Assistant's start."""
    hass.set_state(CoreState.not_running)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": blueprint,
                "alias": blueprint,
                "use_blueprint": {"path": f"smartmulti/{blueprint}.yaml", "input": inputs},
            }
        },
    )
    # As Home Assistant starts: the start event, the start-up jobs (automations arm their
    # triggers in one since 2026), then running and the started event.
    await hass.async_start()
    await hass.async_block_till_done()
    assert hass.states.get(f"automation.{blueprint}").state == "on"


async def advance(hass: HomeAssistant, freezer: Any, to: datetime) -> None:
    """Move the clock in steps, as a running Home Assistant lives it: of 10 minutes, then of
    one for the last half hour (entities poll every minute; calendars update their state so)."""
    while (now := datetime.now(PARIS)) < to:
        step = timedelta(minutes=1 if to - now <= timedelta(minutes=30) else 10)
        # The event loop's clock moves too: every timer due by then fires, in order.
        freezer.move_to(min(to, now + step))
        await hass.async_block_till_done()


async def wait_for(predicate: Callable[[], Any], limit_s: float = 15.0) -> None:
    """After a clock jump the strip may need a reconnection first: a longer wait."""
    await wait_briefly(predicate, limit_s)


async def stays(predicate: Callable[[], bool], seconds: float = 1.5) -> bool:
    """The predicate holds now and for a while (a few balancing cycles)."""
    for _ in range(int(seconds / 0.1)):
        if not predicate():
            return False
        await asyncio.sleep(0.1)
    return True


def automation_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the automations logged as errors (a refused action, a failed run)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR
        and record.name.startswith("homeassistant.components.automation")
    ]


async def connects_late(hass: HomeAssistant, entry: MockConfigEntry, after_s: float) -> None:
    """A strip whose agent answers only a few seconds after Home Assistant started."""
    await asyncio.sleep(after_s)
    assert await hass.config_entries.async_setup(entry.entry_id)


async def two_strips_one_connecting(
    hass: HomeAssistant, agent: RunningAgent, start_test_agent: AgentFactory
) -> tuple[RunningAgent, asyncio.Task[None]]:
    """Two strips; the second is not running yet when Home Assistant starts (it had been set up
    before, so its device and entities are known) and connects 3 s later."""
    other = await start_test_agent("other")
    first = await strip_in_paris(hass, agent)
    second = strip_entry(hass, other, **FAST_CYCLES)
    await setup_entries(hass, first, second)
    assert await hass.config_entries.async_unload(second.entry_id)
    # A background task: Home Assistant's start does not wait for it, as it does not wait for a
    # strip retrying its set-up.
    connecting = hass.async_create_background_task(connects_late(hass, second, 3), "connects late")
    return other, connecting


# ---------------------------------------------------------------------- closing hours


@pytest.mark.freeze_time("2025-04-15 15:00:00+00:00", tick=True)  # Tuesday 17:00 in Paris
async def test_closing_hours_shut_at_the_offset_warn_before_resume_at_opening_and_skip_closed_days(
    hass: HomeAssistant, agent: RunningAgent, blueprints: None, freezer: Any
) -> None:
    notify = async_mock_service(hass, "notify", "managers")
    await strip_in_paris(hass, agent)
    await opening_hours(hass)
    await start_automation(
        hass,
        "closing_hours",
        {
            "calendar": CALENDAR,
            "strips": [strip_device(hass, agent)],
            "closing_offset": {"hours": 0, "minutes": -10, "seconds": 0},
            "warning_target": "notify.managers",
            "warning_lead": {"minutes": 15},
        },
    )
    # Started during opening hours: open.
    await wait_for(lambda: relays(agent)[1] and relays(agent)[LAMP])
    assert hass.states.get(CLOSED).state == "off"

    await advance(hass, freezer, paris(15, 17, 34, 30))
    assert notify == []
    await advance(hass, freezer, paris(15, 17, 35, 5))
    await wait_for(lambda: len(notify) == 1)
    assert notify[0].data["message"].startswith("The space closes at 17:50")
    assert "15 minutes" in notify[0].data["message"]

    await advance(hass, freezer, paris(15, 17, 49, 50))
    assert hass.states.get(CLOSED).state == "off"
    assert not plan_is_closed(agent)
    await advance(hass, freezer, paris(15, 17, 50, 1))
    await wait_for(lambda: hass.states.get(CLOSED).state == "on")
    await wait_for(lambda: all_balanced_off(agent))
    assert relays(agent)[LAMP]  # the exception outlet stays on
    assert plan_is_closed(agent)

    await advance(hass, freezer, paris(16, 8, 59, 50))
    assert await stays(lambda: all_balanced_off(agent))
    await advance(hass, freezer, paris(16, 9, 0, 1))
    await wait_for(lambda: hass.states.get(CLOSED).state == "off")
    await wait_for(lambda: not plan_is_closed(agent) and any(relays(agent)[o] for o in BALANCED))

    await advance(hass, freezer, paris(16, 17, 50, 1))
    await wait_for(lambda: all_balanced_off(agent))
    # Thursday has no event: closed all day.
    await advance(hass, freezer, paris(17, 12))
    assert hass.states.get(CLOSED).state == "on"
    assert await stays(lambda: all_balanced_off(agent) and plan_is_closed(agent))
    await advance(hass, freezer, paris(18, 9, 0, 1))
    await wait_for(lambda: hass.states.get(CLOSED).state == "off")
    assert len(notify) == 2  # Wednesday's warning; none on Thursday


@pytest.mark.freeze_time("2025-04-15 20:00:00+00:00", tick=True)  # Tuesday 22:00 in Paris
async def test_a_restart_in_the_closed_period_keeps_the_strips_shut(
    hass: HomeAssistant, agent: RunningAgent, blueprints: None, freezer: Any
) -> None:
    entry = await strip_in_paris(hass, agent)
    await opening_hours(hass)
    inputs = {"calendar": CALENDAR, "keep_exceptions": False}  # every strip, lamp included
    await start_automation(hass, "closing_hours", inputs)
    await wait_for(lambda: not any(relays(agent).values()))

    # Home Assistant stops: the strip entry goes, the automation too; the agent runs on.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.services.async_call(
        "automation", "turn_off", {ATTR_ENTITY_ID: "automation.closing_hours"}, blocking=True
    )
    await advance(hass, freezer, paris(16, 2))
    assert plan_is_closed(agent)
    assert await stays(lambda: not any(relays(agent).values()))
    # ... and starts again in the night: the strip from storage, the automation at start-up.
    restarted_at = datetime.now(PARIS)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hass.set_state(CoreState.not_running)
    await hass.services.async_call(
        "automation", "turn_on", {ATTR_ENTITY_ID: "automation.closing_hours"}, blocking=True
    )
    # As Home Assistant starts: the start event, the start-up jobs (automations arm their
    # triggers in one since 2026), then running and the started event.
    await hass.async_start()
    await hass.async_block_till_done()

    assert hass.states.get("automation.closing_hours").attributes["last_triggered"] >= (
        restarted_at
    )
    assert hass.states.get(CLOSED).state == "on"
    assert await stays(lambda: not any(relays(agent).values()) and plan_is_closed(agent))
    await advance(hass, freezer, paris(16, 9, 0, 1))
    await wait_for(lambda: relays(agent)[LAMP] and hass.states.get(CLOSED).state == "off")


@pytest.mark.freeze_time("2025-04-15 20:00:00+00:00", tick=True)  # Tuesday 22:00 in Paris
async def test_a_restart_at_night_waits_for_a_strip_still_connecting_and_shuts_both(
    hass: HomeAssistant,
    agent: RunningAgent,
    start_test_agent: AgentFactory,
    blueprints: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other, late = await two_strips_one_connecting(hass, agent, start_test_agent)
    await opening_hours(hass)

    await start_automation(hass, "closing_hours", {"calendar": CALENDAR})  # every strip
    await late

    await wait_for(lambda: all_balanced_off(agent) and all_balanced_off(other))
    assert plan_is_closed(agent)
    assert plan_is_closed(other)
    assert automation_errors(caplog) == []  # not "could not be reached yet"


@pytest.mark.freeze_time("2025-04-15 05:00:00+00:00", tick=True)  # Tuesday 07:00 in Paris
async def test_a_restart_during_opening_hours_opens_strips_left_closed(
    hass: HomeAssistant, agent: RunningAgent, blueprints: None, freezer: Any
) -> None:
    await strip_in_paris(hass, agent)
    await hass.services.async_call("smartmulti", "shutdown", blocking=True)
    await wait_for(lambda: all_balanced_off(agent))
    await opening_hours(hass)
    # Home Assistant was down at 09:00 and starts at 10:00.
    freezer.move_to(paris(15, 10))

    await start_automation(hass, "closing_hours", {"calendar": CALENDAR})

    await wait_for(lambda: hass.states.get(CLOSED).state == "off")
    await wait_for(lambda: any(relays(agent)[o] for o in BALANCED))


# ---------------------------------------------------------------------- off-peak budget


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


# ---------------------------------------------------------------------- limit notifications


@pytest.mark.usefixtures("flush_energy_often")
async def test_limit_notifications_reach_each_user_with_their_figures(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry, blueprints: None
) -> None:
    alice_phone = async_mock_service(hass, "notify", "alice_phone")
    bob_phone = async_mock_service(hass, "notify", "mobile_app_bob")
    managers = async_mock_service(hass, "notify", "managers")
    billing = billing_entry(
        hass,
        {
            "Alice": {CONF_LIMIT: 0.00004},
            "Bob": {CONF_LIMIT: 0.00004, CONF_NOTIFY: "mobile_app_bob"},
            "Carol": {},
        },
    )
    await set_up(hass, mock_config_entry, billing)
    await start_automation(
        hass,
        "limit_notifications",
        {"user_targets": {"Alice": "notify.alice_phone"}, "default_target": "notify.managers"},
    )

    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 2))
    await start_session(hass, "Bob", outlet_device(hass, agent.serial, 3))
    await wait_for(lambda: len(alice_phone) == 2 and len(bob_phone) == 2, limit_s=10)

    warning: ServiceCall = alice_phone[0]
    reached: ServiceCall = alice_phone[1]
    assert warning.data["message"].startswith("Alice, you have used ")
    assert "of your 4e-05 kWh this month" in warning.data["message"]
    assert reached.data["message"].startswith("Alice, you have reached your limit of 4e-05 kWh")
    assert all(call.data["message"].startswith("Bob, ") for call in bob_phone)
    assert managers == []  # Carol has no limit; everyone else has their own target


@pytest.mark.usefixtures("flush_energy_often")
async def test_a_user_who_turned_the_warning_off_is_told_only_at_the_limit(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry, blueprints: None
) -> None:
    phone = async_mock_service(hass, "notify", "mobile_app_dana")
    limit = {CONF_LIMIT: 0.00004, CONF_NOTIFY: "mobile_app_dana", CONF_NOTIFY_WARNING: False}
    billing = billing_entry(hass, {"Dana": limit})
    await set_up(hass, mock_config_entry, billing)
    warnings = async_capture_events(hass, "smartmulti_limit_warning")
    await start_automation(hass, "limit_notifications", {})

    await start_session(hass, "Dana", outlet_device(hass, agent.serial, 2))
    await wait_for(lambda: len(phone) == 1, limit_s=10)

    assert [event.data["notify_warning"] for event in warnings] == [False]  # it fired
    assert phone[0].data["message"].startswith("Dana, you have reached your limit")
    assert await stays(lambda: len(phone) == 1)
