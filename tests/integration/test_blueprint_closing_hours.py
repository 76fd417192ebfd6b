"""The closing-hours blueprint, driven by a real calendar and a real agent: the strips shut at the
offset before closing, with a warning before, open again at opening and stay shut on closed days.

A restart in the closed period keeps them shut, waiting for a strip still connecting; a restart
during opening hours opens strips left closed.

Time is Europe/Paris. The opening hours are Local Calendar events: Tuesday and Wednesday
09:00-18:00, nothing on Thursday (closed), Friday 09:00-18:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import CoreState, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from tests.support.agent import RunningAgent

from .blueprint_support import (
    CALENDAR,
    PARIS,
    advance,
    automation_errors,
    opening_hours,
    paris,
    start_automation,
    stays,
    strip_in_paris,
    two_strips_one_connecting,
    wait_for,
)
from .conftest import AgentFactory
from .orchestration_support import (
    BALANCED,
    CLOSED,
    LAMP,
    all_balanced_off,
    plan_is_closed,
    relays,
    strip_device,
)


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
