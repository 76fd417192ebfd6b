"""What the blueprint tests share: a real calendar of opening hours, strips in a Home Assistant on
Paris time, automations made from the blueprints as at Home Assistant's start, and a clock moved
as a running Home Assistant lives it.

Time is Europe/Paris. The opening hours are Local Calendar events: Tuesday and Wednesday
09:00-18:00, nothing on Thursday (closed), Friday 09:00-18:00.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
import logging
from typing import Any
from zoneinfo import ZoneInfo

# Imported before any test freezes time: pydantic (under the calendar's ical library) cannot
# define its date types while freezegun's fake date stands in for datetime.date.
from homeassistant.components.local_calendar import (  # noqa: F401
    calendar as local_calendar,
    config_flow as local_calendar_flow,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.support.agent import RunningAgent

from .conftest import (
    FAST_CYCLES,
    AgentFactory,
    setup_entries,
    strip_entry,
    wait_for as wait_briefly,
)

PARIS = ZoneInfo("Europe/Paris")
CALENDAR = "calendar.opening_hours"
OPEN_DAYS = (15, 16, 18)  # April 2025: Tuesday, Wednesday, Friday; Thursday 17th is closed


def paris(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2025, 4, day, hour, minute, second, tzinfo=PARIS)


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
