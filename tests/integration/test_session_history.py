"""The billing history's retention: months of ended sessions past 13 months go, one at a time,
and a clock set years ahead cannot take every bill at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.smartmulti.billing.history import (
    HISTORY_KEY,
    REMOVAL_INTERVAL_S,
    SessionHistory,
)
from custom_components.smartmulti.billing.sessions import Session

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _months_back(count: int) -> list[datetime]:
    """The 15th of this month and of the ``count - 1`` months before it, oldest first."""
    year, month = NOW.year, NOW.month
    days = []
    for _ in range(count):
        days.append(datetime(year, month, 15, 9, 0, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return days[::-1]


def _session(started_at: datetime) -> Session:
    return Session(
        id=f"s-{started_at:%Y%m}",
        user_id="u1",
        user="Alice",
        strip="SM-1",
        strip_name="Strip",
        outlet=1,
        outlet_name="Desk 1",
        started_at=started_at,
        start_reason="assigned",
        meter_start_wh=0.0,
        meter_stop_wh=10.0,
        price_percent=100.0,
        energy_wh=10.0,
        ended_at=started_at + timedelta(hours=2),
        end_reason="left",
    )


class _Clock:
    """The event loop's seconds, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _history(hass: HomeAssistant, months: int, clock: _Clock) -> SessionHistory:
    history = SessionHistory(hass, lambda: None, monotonic=clock)
    await history.async_add(_session(day) for day in _months_back(months))
    return history


async def _stored_months(hass: HomeAssistant) -> list[str]:
    """The month stores that still hold sessions, read back from a fresh history."""
    fresh = SessionHistory(hass, lambda: None)
    fresh.months = {f"{d:%Y_%m}" for d in _months_back(40)}
    sessions = await fresh.async_between(datetime(2000, 1, 1, tzinfo=UTC), NOW + timedelta(days=60))
    return sorted(f"{s.started_at:%Y_%m}" for s in sessions)


async def test_the_month_past_the_retention_goes_and_the_others_stay(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    clock = _Clock()
    history = await _history(hass, 15, clock)
    await history.async_prune(NOW)
    kept = [f"{d:%Y_%m}" for d in _months_back(14)]
    assert sorted(history.months) == kept
    assert f"{HISTORY_KEY}_2025_10" not in hass_storage
    assert await _stored_months(hass) == kept


async def test_a_clock_set_years_ahead_removes_one_month_a_day_and_none_once_set_right(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    clock = _Clock()
    history = await _history(hass, 13, clock)
    every = [f"{d:%Y_%m}" for d in _months_back(13)]
    ahead = NOW.replace(year=NOW.year + 3)

    await history.async_prune(ahead)
    assert sorted(history.months) == every[1:]
    assert "13 months of billing sessions" in caplog.text
    assert "set it right" in caplog.text
    # The clock moves on days ahead, the loop's own clock only minutes: nothing more goes.
    clock.now += 600.0
    for day in range(1, 5):
        await history.async_prune(ahead + timedelta(days=day))
    assert sorted(history.months) == every[1:]
    clock.now += REMOVAL_INTERVAL_S
    await history.async_prune(ahead + timedelta(days=5))
    assert sorted(history.months) == every[2:]

    # Set right: every month left is within the retention again.
    clock.now += 10 * REMOVAL_INTERVAL_S
    await history.async_prune(NOW)
    assert sorted(history.months) == every[2:]
    assert await _stored_months(hass) == every[2:]


async def test_months_fallen_due_while_home_assistant_was_off_go_one_a_day(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    clock = _Clock()
    history = await _history(hass, 17, clock)
    every = [f"{d:%Y_%m}" for d in _months_back(17)]
    for day in range(3):
        await history.async_prune(NOW + timedelta(days=day))
        assert sorted(history.months) == every[day + 1 :]
        clock.now += REMOVAL_INTERVAL_S
    await history.async_prune(NOW + timedelta(days=3))
    assert sorted(history.months) == every[3:]  # 14 months: nothing past the retention
