"""A believable past for the demo: weeks of simulated coworking days in the statistics.

A demo step only: the integration never writes statistics, the recorder compiles them from its
sensors. Without a past, the Energy dashboard, the consumption charts and the coworkers' pages
would show one short bar for the first hours. So each user's Energy (and Cost, at the demo's
price) gets hourly statistics up to last midnight (see ``_rows``), imported through Home Assistant's own
``recorder/import_statistics``: coworkers come on most weekdays, a few on Saturdays, charge a
laptop or two between 9:00 and 18:00, some more than others. From midnight on, the recorder's
own statistics of the live sensors take over (a lower live value reads as a meter reset, so the
sums go on).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import random
import re
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import aiohttp

DEMO_PRICE = 0.25  # per kWh, the demo's fixed price (set in the billing entry's options)
HISTORY_DAYS = 35


class Caller(Protocol):
    async def call(self, kind: str, **data: Any) -> Any: ...


def user_sensors(entities: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Per user id: its "energy" and "cost" sensors (unique ids ``..._user_<id>_<key>``)."""
    found: dict[str, dict[str, str]] = {}
    for entity in entities:
        match = re.search(r"_user_(\w+)_(energy|cost)$", entity["unique_id"])
        if match and match.group(1) != "unassigned" and not entity.get("disabled_by"):
            found.setdefault(match.group(1), {})[match.group(2)] = entity["entity_id"]
    return found


def simulated_days(rng: random.Random, first: datetime, days: int) -> list[list[float]]:
    """kWh per hour, for each day from ``first`` (local midnight): one coworker's habits."""
    keen = rng.uniform(0.5, 1.0)  # how often they come
    draw = rng.uniform(0.35, 1.1)  # kWh on a day they come (one laptop, or two)
    result = []
    for index in range(days):
        day = first + timedelta(days=index)
        hours = [0.0] * 24
        comes = rng.random() < (keen if day.weekday() < 5 else keen * 0.15)
        if comes:
            arrival = rng.randint(8, 11)
            length = rng.randint(3, 8)
            energy = draw * rng.uniform(0.6, 1.3)
            for hour in range(arrival, min(arrival + length, 20)):
                # Charging tapers: most of it in the first hours after arrival.
                hours[hour] = energy * 0.6 ** (hour - arrival) * 0.4
        result.append(hours)
    return result


def _rows(first: datetime, days: list[list[float]], factor: float) -> list[dict[str, Any]]:
    """The hours something was drawn, and 23:00 every day (local time).

    Home Assistant finds a period's starting sum in the hour before it, so each day's last
    hour must have a row; the hours between add nothing (the recorder itself writes one every
    hour, but importing 24 rows a day for 30 users takes a minute on a small machine). Counted
    in UTC, so a DST change neither repeats nor skips an hour.
    """
    start = first.astimezone(UTC)
    total, rows = 0.0, []
    for hours in days:
        for kwh in hours:
            total += kwh * factor
            if kwh > 0 or start.astimezone(first.tzinfo).hour == 23:
                rows.append({"start": start.isoformat(), "state": total, "sum": total})
            start += timedelta(hours=1)
    return rows


def _mean_and_class(version: str, key: str) -> dict[str, Any]:
    """Home Assistant 2025.11 replaced ``has_mean`` by ``mean_type`` and added ``unit_class``
    (the old form stops working in 2026.11); 2025.4 accepts only the old one."""
    numbers = re.findall(r"\d+", version)
    if len(numbers) >= 2 and (int(numbers[0]), int(numbers[1])) >= (2025, 11):
        return {"mean_type": 0, "unit_class": "energy" if key == "energy" else None}
    return {"has_mean": False}


async def set_demo_price(
    session: aiohttp.ClientSession, ha_url: str, auth: dict[str, str], entry_id: str
) -> dict[str, Any]:
    """The billing entry's price, through its options flow, as a manager would set it: the
    flow's result (``create_entry`` when accepted)."""
    async with session.post(
        f"{ha_url}/api/config/config_entries/options/flow",
        json={"handler": entry_id},
        headers=auth,
    ) as response:
        flow = await response.json()
    async with session.post(
        f"{ha_url}/api/config/config_entries/options/flow/{flow['flow_id']}",
        json={"price": DEMO_PRICE},
        headers=auth,
    ) as response:
        result: dict[str, Any] = await response.json()
    return result


async def import_history(
    ws: Caller, entities: list[dict[str, Any]], seed: int, days: int = HISTORY_DAYS
) -> dict[str, Any]:
    """Import the users' past; return what the demo's summary says about it."""
    config = await ws.call("get_config")
    zone = ZoneInfo(config.get("time_zone") or "UTC")
    midnight = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    first = midnight - timedelta(days=days)
    rng = random.Random(seed)
    sensors = user_sensors(entities)
    for user_id in sorted(sensors):
        past = simulated_days(rng, first, days)
        for key, unit, factor in (("energy", "kWh", 1.0), ("cost", "EUR", DEMO_PRICE)):
            if (entity_id := sensors[user_id].get(key)) is None:
                continue
            metadata = {
                "has_sum": True,
                "name": None,
                "source": "recorder",
                "statistic_id": entity_id,
                "unit_of_measurement": unit,
                **_mean_and_class(config.get("version", ""), key),
            }
            await ws.call(
                "recorder/import_statistics", metadata=metadata, stats=_rows(first, past, factor)
            )
    # The recorder imports in its own thread: the demo is ready once the last rows are in.
    if sensors:
        last = sensors[max(sensors)]["energy"]
        for _ in range(120):
            found = await ws.call(
                "recorder/statistics_during_period",
                start_time=(midnight - timedelta(hours=1)).isoformat(),
                statistic_ids=[last],
                period="hour",
                types=["sum"],
            )
            if found and found.get(last):
                break
            await asyncio.sleep(0.5)
    return {"history_days": days, "history_users": len(sensors)}
