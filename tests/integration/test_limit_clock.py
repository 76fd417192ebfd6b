"""Limit periods against the clock: a clock set back, the time zone changed, DST days.

A period's count is what holds a user under their limit: whatever the clock or the calendar
does, it must never be lost (the user could draw past their limit) nor counted twice, and a
limit reached stays reached for the rest of its period.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.smartmulti.billing.ledger import TICK
from custom_components.smartmulti.billing.limits import (
    EVENT_LIMIT_REACHED,
    EVENT_LIMIT_WARNING,
    Totals,
)
from custom_components.smartmulti.billing.users import (
    CONF_LIMIT,
    CONF_LIMIT_PERIOD,
    LimitPeriod,
    UserConfig,
)
from custom_components.smartmulti.const import DOMAIN
from tests.support.agent import RunningAgent

from .billing_support import (  # noqa: F401 (a fixture)
    billing_entry,
    flush_energy_often,
    ledger,
    outlet_device,
    set_up,
    start_session,
    user_ids,
)
from .conftest import wait_for

pytestmark = pytest.mark.usefixtures("flush_energy_often")

# Desk 2's laptop draws about 140 W, so about 0.04 Wh a second: reached within a few seconds.
DAILY_KWH = 0.0001


async def alice_over_her_daily_limit(
    hass: HomeAssistant, agent: RunningAgent, strip: MockConfigEntry
) -> tuple[str, list[object]]:
    """Alice, with a daily limit, charging on desk 2 until she reached it: her id, the events."""
    billing = billing_entry(hass, {"Alice": {CONF_LIMIT: DAILY_KWH, CONF_LIMIT_PERIOD: "day"}})
    reached = async_capture_events(hass, EVENT_LIMIT_REACHED)
    await set_up(hass, strip, billing)
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 2))
    await wait_for(lambda: reached)
    return user_ids(billing)["Alice"], reached


async def draws_on(hass: HomeAssistant, user_id: str) -> None:
    """Let the ledger count at least one more reading of the user's energy.

    The test clock moves the agent's monotonic clock too (a real NTP step does not): after a
    step back the agent sends its next counters once that clock is past its last sending.
    """
    counted = ledger(hass).totals[user_id].energy_wh
    await wait_for(lambda: ledger(hass).totals[user_id].energy_wh > counted, limit_s=20.0)


@pytest.mark.freeze_time("2025-04-15 22:00:01+00:00", tick=True)  # 00:00:01 in Paris
async def test_a_clock_set_back_across_midnight_keeps_the_new_days_count_and_its_limit(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    alice, reached = await alice_over_her_daily_limit(hass, agent, mock_config_entry)
    drawn = ledger(hass).period_wh(alice, dt_util.utcnow())
    today = datetime(2025, 4, 16, tzinfo=dt_util.get_default_time_zone())

    # NTP sets the clock back a few seconds, to the day before, when the ledger looks at the
    # periods (its tick): it is still the 16th's count.
    freezer.move_to("2025-04-15 21:59:57+00:00")
    async_fire_time_changed(hass, dt_util.utcnow() + 2 * TICK)
    await hass.async_block_till_done()
    assert dt_util.as_local(dt_util.utcnow()).day == 15
    totals = ledger(hass).totals[alice]
    assert (totals.period_start, totals.reached) == (today, True)
    assert ledger(hass).period_wh(alice, dt_util.utcnow()) >= drawn

    # Midnight again: the same day, not a new one.
    freezer.move_to("2025-04-15 22:00:02+00:00")
    async_fire_time_changed(hass)
    await draws_on(hass, alice)
    totals = ledger(hass).totals[alice]
    assert (totals.period_start, totals.reached) == (today, True)
    assert ledger(hass).period_wh(alice, dt_util.utcnow()) > drawn
    assert len(reached) == 1  # reached once in the day


@pytest.mark.freeze_time("2025-04-16 10:00:00+00:00", tick=True)  # noon in Paris
async def test_the_time_zone_changed_during_the_day_keeps_that_days_count_and_its_limit(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    alice, reached = await alice_over_her_daily_limit(hass, agent, mock_config_entry)
    drawn = ledger(hass).period_wh(alice, dt_util.utcnow())

    # The manager sets the site's real zone, an hour west: it is still the 16th there.
    await hass.config.async_set_time_zone("Europe/London")
    async_fire_time_changed(hass, dt_util.utcnow() + 2 * TICK)
    await draws_on(hass, alice)
    totals = ledger(hass).totals[alice]
    assert totals.period_start is not None
    assert (totals.period_start.date(), totals.reached) == (date(2025, 4, 16), True)
    assert ledger(hass).period_wh(alice, dt_util.utcnow()) > drawn
    assert len(reached) == 1

    # London's midnight starts the 17th.
    freezer.move_to("2025-04-16 23:00:02+00:00")
    async_fire_time_changed(hass)
    await wait_for(lambda: len(reached) == 2)
    assert reached[1].data["period_start"] == "2025-04-17T00:00:00+01:00"


@pytest.mark.freeze_time("2025-04-15 21:59:30+00:00", tick=True)  # 23:59:30 in Paris
async def test_a_period_count_shown_from_0_at_midnight_shows_the_new_period_as_its_reset(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Alice charged yesterday, Bob charges across midnight: when Bob's energy updates the
    sensors, Alice's count for the day shows 0 with the day's start as its last reset, never 0
    with yesterday's (the recorder would take that for energy drawn negatively)."""
    await hass.config.async_set_time_zone("Europe/Paris")
    daily = {CONF_LIMIT_PERIOD: "day"}
    billing = billing_entry(hass, {"Alice": daily, "Bob": daily})
    await set_up(hass, mock_config_entry, billing)
    alice = user_ids(billing)["Alice"]
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 1))
    await start_session(hass, "Bob", outlet_device(hass, agent.serial, 2))
    # The sensor shows kWh to 0.1 Wh.
    await wait_for(lambda: ledger(hass).period_wh(alice, dt_util.utcnow()) > 0.2, limit_s=15.0)
    await hass.services.async_call(DOMAIN, "stop_session", {"user": "Alice"}, blocking=True)
    sensor = "sensor.alice_energy_this_period"
    await wait_for(lambda: float(hass.states.get(sensor).state) > 0)

    freezer.move_to("2025-04-15 21:59:59+00:00")  # midnight passes as the clock runs
    await wait_for(lambda: hass.states.get(sensor).state == "0.0")
    last_reset = dt_util.parse_datetime(hass.states.get(sensor).attributes["last_reset"])
    assert last_reset == datetime(2025, 4, 16, tzinfo=dt_util.get_default_time_zone())


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Paris", date(2025, 3, 30), 23),  # 02:00 → 03:00
        ("Europe/Paris", date(2025, 10, 26), 25),  # 03:00 → 02:00
        ("Pacific/Auckland", date(2025, 9, 28), 23),
        ("America/St_Johns", date(2025, 11, 2), 25),  # half an hour off UTC
    ],
)
async def test_a_day_the_clocks_change_is_one_days_count_of_its_own_length(
    hass: HomeAssistant, zone: str, day: date, hours: int
) -> None:
    """Counted every 5 minutes from the day before to the day after: the count starts again at
    each local midnight and nowhere else, and the day of 23 or 25 hours holds what they drew."""
    await hass.config.async_set_time_zone(zone)
    user = UserConfig(id="u", name="Alice", limit_kwh=1.0, limit_period=LimitPeriod.DAY)
    totals = Totals()
    now = dt_util.start_of_local_day(day - timedelta(days=1)).astimezone(UTC)
    end = dt_util.start_of_local_day(day + timedelta(days=2)).astimezone(UTC)
    counted: dict[date, float] = {}
    while now < end:
        totals.roll(user, now)
        totals.add(1.0)
        assert totals.period_start is not None
        counted[totals.period_start.date()] = totals.period_wh
        now += timedelta(minutes=5)

    assert counted == {
        day - timedelta(days=1): 24 * 12,
        day: hours * 12,
        day + timedelta(1): 24 * 12,
    }


async def test_a_clock_corrected_from_a_wrong_day_ahead_counts_on_in_the_day_it_really_is(
    hass: HomeAssistant,
) -> None:
    """A clock a day ahead (a wrong date typed, a bad real-time clock) put Alice's count in the
    17th; corrected back to the 16th, that count, drawn today, and its limit reached go on in
    the 16th, and the 17th starts again from 0 at midnight, not a day later."""
    await hass.config.async_set_time_zone("Europe/Paris")
    paris = dt_util.get_default_time_zone()
    user = UserConfig(id="u", name="Alice", limit_kwh=0.001, limit_period=LimitPeriod.DAY)
    totals = Totals()
    totals.roll(user, datetime(2025, 4, 17, 10, 0, tzinfo=paris))  # wrong: it is the 16th
    totals.add(2.0)
    assert [c.event for c in totals.crossed(user, 80.0)] == [
        EVENT_LIMIT_WARNING,
        EVENT_LIMIT_REACHED,
    ]

    totals.roll(user, datetime(2025, 4, 16, 10, 5, tzinfo=paris))  # NTP puts it right
    totals.add(1.0)
    assert (totals.period_start, totals.period_wh, totals.reached) == (
        datetime(2025, 4, 16, tzinfo=paris),
        3.0,
        True,
    )
    assert totals.counts[LimitPeriod.WEEK] == (datetime(2025, 4, 14, tzinfo=paris), 3.0)
    assert totals.crossed(user, 80.0) == []  # reached once

    totals.roll(user, datetime(2025, 4, 17, 0, 0, 2, tzinfo=paris))
    assert (totals.period_start, totals.period_wh, totals.reached) == (
        datetime(2025, 4, 17, tzinfo=paris),
        0.0,
        False,
    )
    assert totals.counts[LimitPeriod.MONTH] == (datetime(2025, 4, 1, tzinfo=paris), 3.0)


async def test_a_day_whose_midnight_the_clocks_skip_keeps_its_count_across_a_restart(
    hass: HomeAssistant,
) -> None:
    """In Santiago summer time begins at midnight (00:00 → 01:00): the day starts at 01:00, a
    time the store keeps with its offset. After a restart, the day's count and its limit reached
    go on, rather than the stored start being taken for another day's."""
    await hass.config.async_set_time_zone("America/Santiago")
    santiago = dt_util.get_default_time_zone()
    user = UserConfig(id="u", name="Alice", limit_kwh=0.001, limit_period=LimitPeriod.DAY)
    totals = Totals()
    totals.roll(user, datetime(2025, 9, 7, 10, 0, tzinfo=santiago))
    totals.add(2.0)
    assert len(totals.crossed(user, 80.0)) == 2

    restarted = Totals.from_dict(totals.as_dict())
    assert not restarted.roll(user, datetime(2025, 9, 7, 10, 5, tzinfo=santiago))
    restarted.add(1.0)
    assert (restarted.period_wh, restarted.reached) == (3.0, True)
    assert restarted.crossed(user, 80.0) == []  # reached once


@pytest.mark.parametrize(
    ("first", "days", "expected"),
    [
        # ISO week 53 of 2026 runs to Sunday 3 January 2027: one week across the new year.
        (
            date(2026, 12, 27),
            9,
            {
                LimitPeriod.WEEK: {
                    date(2026, 12, 21): 24,
                    date(2026, 12, 28): 7 * 24,
                    date(2027, 1, 4): 24,
                },
                LimitPeriod.MONTH: {date(2026, 12, 1): 5 * 24, date(2027, 1, 1): 4 * 24},
            },
        ),
        # 2028 is a leap year: 29 February is a day of February.
        (
            date(2028, 2, 28),
            3,
            {
                LimitPeriod.DAY: {
                    date(2028, 2, 28): 24,
                    date(2028, 2, 29): 24,
                    date(2028, 3, 1): 24,
                },
                LimitPeriod.MONTH: {date(2028, 2, 1): 2 * 24, date(2028, 3, 1): 24},
            },
        ),
    ],
    ids=["week 53", "29 February"],
)
async def test_weeks_and_months_count_across_the_new_year_and_a_leap_day(
    hass: HomeAssistant, first: date, days: int, expected: dict[LimitPeriod, dict[date, float]]
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    user = UserConfig(id="u", name="Alice", limit_kwh=1.0, limit_period=LimitPeriod.DAY)
    totals = Totals()
    now = dt_util.start_of_local_day(first).astimezone(UTC)
    counted: dict[LimitPeriod, dict[date, float]] = {kind: {} for kind in expected}
    for _ in range(days * 24):
        totals.roll(user, now)
        totals.add(1.0)
        for kind in expected:
            start, wh = totals.counts[kind]
            counted[kind][start.date()] = wh
        now += timedelta(hours=1)

    assert counted == expected
