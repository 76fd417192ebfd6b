"""The demo's opening hours and automations, made as a manager makes them in the UI.

A Local Calendar named "Opening hours" with the space's weekly hours, and one automation from
each of the product's blueprints, saved through the automation editor's own API so that they
are in ``automations.yaml`` and editable in the UI like any automation the manager makes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import aiohttp

CALENDAR_NAME = "Opening hours"
CALENDAR = "calendar.opening_hours"
# Monday to Friday, 08:30 to 19:00: the coworking space's hours.
OPENS, CLOSES = time(8, 30), time(19, 0)
WEEKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
# Warnings and limit notifications go to Home Assistant's own notifications (no phone needed).
NOTIFY = "notify.persistent_notification"


class Caller(Protocol):
    async def call(self, kind: str, **data: Any) -> Any: ...


def automations(strip_device: str) -> dict[str, dict[str, Any]]:
    """One automation per blueprint, by the id the automation editor saves it under."""
    return {
        "smartmulti_closing_hours": {
            "alias": "Close the strips outside opening hours",
            "description": "Made from the SmartMulti closing hours blueprint.",
            "use_blueprint": {
                "path": "smartmulti/closing_hours.yaml",
                "input": {
                    "calendar": CALENDAR,
                    "strips": [strip_device],
                    "closing_offset": {"hours": 0, "minutes": -10, "seconds": 0},
                    "warning_target": NOTIFY,
                    "warning_lead": {"hours": 0, "minutes": 15, "seconds": 0},
                },
            },
        },
        "smartmulti_offpeak_budget": {
            "alias": "Larger budget at off-peak hours",
            "description": "Made from the SmartMulti off-peak budget blueprint.",
            "use_blueprint": {
                "path": "smartmulti/offpeak_budget.yaml",
                "input": {
                    "targets": [strip_device],
                    "peak_budget": 500,
                    "offpeak_budget": 800,
                    "offpeak_start": "22:00:00",
                    "offpeak_end": "06:00:00",
                },
            },
        },
        "smartmulti_limit_notifications": {
            "alias": "Tell users about their consumption limit",
            "description": "Made from the SmartMulti limit notifications blueprint.",
            "use_blueprint": {
                "path": "smartmulti/limit_notifications.yaml",
                "input": {"default_target": NOTIFY},
            },
        },
    }


async def install_opening_hours(
    session: aiohttp.ClientSession, ha_url: str, auth: dict[str, str], ws: Caller
) -> None:
    """The calendar through Local Calendar's config flow, then its weekly event."""
    entries = await ws.call("config_entries/get", domain="local_calendar")
    if any(entry["title"] == CALENDAR_NAME for entry in entries):
        return
    async with session.post(
        f"{ha_url}/api/config/config_entries/flow",
        json={"handler": "local_calendar", "show_advanced_options": False},
        headers=auth,
    ) as response:
        flow = await response.json()
    async with session.post(
        f"{ha_url}/api/config/config_entries/flow/{flow['flow_id']}",
        json={"calendar_name": CALENDAR_NAME},
        headers=auth,
    ) as response:
        result = await response.json()
    if result.get("type") != "create_entry":
        raise RuntimeError(f"cannot create the {CALENDAR_NAME} calendar: {result}")
    # The series starts on a Monday some weeks ago, so today is inside it (or closed, at the
    # weekend, as the space is).
    monday = date.today() - timedelta(days=date.today().weekday() + 21)
    await ws.call(
        "calendar/event/create",
        entity_id=CALENDAR,
        event={
            "summary": "Open",
            "dtstart": datetime.combine(monday, OPENS).isoformat(),
            "dtend": datetime.combine(monday, CLOSES).isoformat(),
            "rrule": WEEKDAYS,
        },
    )


async def install_automations(
    session: aiohttp.ClientSession, ha_url: str, auth: dict[str, str], strip_device: str
) -> int:
    """Each automation through the automation editor's API (what its Save button calls)."""
    for automation_id, config in automations(strip_device).items():
        async with session.get(
            f"{ha_url}/api/config/automation/config/{automation_id}", headers=auth
        ) as response:
            if response.status == 200:
                continue  # kept as the manager left it
        async with session.post(
            f"{ha_url}/api/config/automation/config/{automation_id}", json=config, headers=auth
        ) as response:
            if response.status != 200:
                raise RuntimeError(
                    f"cannot save the automation {config['alias']}: {await response.text()}"
                )
    return len(automations(strip_device))
