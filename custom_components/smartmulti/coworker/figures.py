"""What a user's page shows, gathered from the ledger, the strips and the recorder.

Consumption by day and week comes from Home Assistant's long-term statistics of the user's
Energy and Cost sensors, the same source as ``smartmulti.get_consumption``, so the page, the
service and the Energy dashboard never disagree. Today, this week and this month use
``statistic_during_period``, which adds the 5-minute statistics to the hourly ones (what the
Energy dashboard does), so they trail the sensors by minutes, not by an hour. The limit's
progress is the ledger's own live count: it is what the cut-off acts on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from ..billing.ledger import Ledger
from ..billing.users import LimitPeriod, UserConfig, period_start
from ..client.models import OutletStatus
from ..const import DOMAIN
from ..planning.explain import outlet_reason

DAYS: Final = 30
WEEKS: Final = 12
# The maximum is a month's worth: what a day's or a week's limit may be at most.
PERIOD_SHARE: Final = {LimitPeriod.DAY: 1 / 31, LimitPeriod.WEEK: 7 / 31, LimitPeriod.MONTH: 1.0}


def limit_ceiling(user: UserConfig, period: LimitPeriod) -> float | None:
    """The highest limit the user may set for ``period`` (None: only the entity's maximum)."""
    if user.limit_max_kwh is None:
        return None
    return round(user.limit_max_kwh * PERIOD_SHARE[period], 2)


@dataclass(frozen=True, slots=True)
class Place:
    """An outlet the user has an open session on, as they would describe it."""

    outlet: str
    strip: str
    status: str | None  # an OutletStatus value
    reason: str | None  # a reason sensor state (translated like the sensor)
    battery: float | None
    time_to_full_s: float | None
    power_w: float


@dataclass(frozen=True, slots=True)
class Bar:
    start: date
    kwh: float


@dataclass(slots=True)
class Figures:
    user: UserConfig
    places: list[Place]
    period_kwh: float
    energy: dict[str, float | None]  # today, week, month: kWh
    cost: dict[str, float | None]
    days: list[Bar] = field(default_factory=list)
    weeks: list[Bar] = field(default_factory=list)
    currency: str = "EUR"
    history: bool = False  # whether the recorder answered


def places(ledger: Ledger, user_id: str) -> list[Place]:
    found = []
    for session in ledger.open_sessions(user_id):
        watch = next((w for w in ledger.strips.values() if w.serial == session.strip), None)
        outlet = (
            None
            if watch is None or not watch.coordinator.last_update_success
            else watch.coordinator.data.state.outlets.get(session.outlet)
        )
        if watch is None or outlet is None:
            found.append(
                Place(session.outlet_name, session.strip_name, None, None, None, None, 0.0)
            )
            continue
        planner = ledger.hass.config_entries.async_get_known_entry(
            watch.entry_id
        ).runtime_data.planner
        decision = None if planner.result is None else planner.result.decision(outlet.id)
        found.append(
            Place(
                outlet=outlet.name,
                strip=session.strip_name,
                status=outlet.status.value,
                reason=outlet_reason(planner, outlet),
                battery=None if outlet.battery is None else outlet.battery.percent,
                time_to_full_s=None
                if decision is None or outlet.status is not OutletStatus.CHARGING
                else decision.time_to_full_s,
                power_w=outlet.power_w,
            )
        )
    return sorted(found, key=lambda place: (place.strip, place.outlet))


def _sensor(hass: HomeAssistant, ledger: Ledger, user_id: str, key: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{ledger.billing_entry_id}_user_{user_id}_{key}"
    )


async def async_figures(hass: HomeAssistant, ledger: Ledger, user: UserConfig) -> Figures:
    now = dt_util.utcnow()
    figures = Figures(
        user=user,
        places=places(ledger, user.id),
        period_kwh=ledger.period_wh(user.id, now) / 1000.0,
        energy=dict.fromkeys(("today", "week", "month")),
        cost=dict.fromkeys(("today", "week", "month")),
        currency=hass.config.currency,
    )
    energy = _sensor(hass, ledger, user.id, "energy")
    cost = _sensor(hass, ledger, user.id, "cost")
    if "recorder" not in hass.config.components or energy is None:
        return figures
    starts = {
        "today": period_start(LimitPeriod.DAY, now),
        "week": period_start(LimitPeriod.WEEK, now),
        "month": period_start(LimitPeriod.MONTH, now),
    }
    first_day = dt_util.start_of_local_day(dt_util.as_local(now).date() - timedelta(DAYS - 1))
    first_week = starts["week"] - timedelta(weeks=WEEKS - 1)
    result = await get_instance(hass).async_add_executor_job(
        _read, hass, (energy, cost), starts, (first_day, first_week), now
    )
    figures.energy, figures.cost = result["energy"], result["cost"]
    figures.days = _bars(result["days"], first_day, DAYS, timedelta(days=1))
    figures.weeks = _bars(result["weeks"], first_week, WEEKS, timedelta(weeks=1))
    figures.history = True
    return figures


def _read(
    hass: HomeAssistant,
    sensors: tuple[str, str | None],
    starts: dict[str, datetime],
    firsts: tuple[datetime, datetime],
    now: datetime,
) -> dict[str, Any]:
    """In the recorder's executor: every statistic the page needs, in one go.

    ``sensors``: the energy and cost sensors; ``firsts``: the first day's and week's starts.
    """
    # Imported here: the recorder is an after-dependency, loaded only when configured.
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        statistic_during_period,
        statistics_during_period,
    )

    def change(
        statistic_id: str | None, start: datetime, units: dict[str, str] | None
    ) -> float | None:
        if statistic_id is None:
            return None
        value = statistic_during_period(hass, start, now, statistic_id, {"change"}, units)
        return None if value.get("change") is None else float(value["change"])

    energy, cost = sensors
    kwh = {"energy": "kWh"}
    rows = {
        "day": statistics_during_period(hass, firsts[0], None, {energy}, "day", kwh, {"change"}),
        "week": statistics_during_period(hass, firsts[1], None, {energy}, "week", kwh, {"change"}),
    }
    return {
        "energy": {name: change(energy, start, kwh) for name, start in starts.items()},
        "cost": {name: change(cost, start, None) for name, start in starts.items()},
        "days": rows["day"].get(energy, []),
        "weeks": rows["week"].get(energy, []),
    }


def _bars(rows: list[Any], first: datetime, count: int, step: timedelta) -> list[Bar]:
    """One bar per period, zero where the recorder has nothing (nobody charged)."""
    by_day = {
        dt_util.as_local(dt_util.utc_from_timestamp(row["start"])).date(): float(
            row.get("change") or 0.0
        )
        for row in rows
    }
    # Local dates, not instants: a day across a DST change is still one bar.
    first_day = dt_util.as_local(first).date()
    days = (first_day + step * index for index in range(count))
    return [Bar(day, max(0.0, by_day.get(day, 0.0))) for day in days]
