"""Billing and consumption service actions: the CSV against the sessions, consumption against
the recorder's statistics, and bad input."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
import io
from pathlib import Path
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.smartmulti.billing.export import _Bill as export_bill, _csv as export_csv
from custom_components.smartmulti.billing.users import CONF_PRICE, CONF_PRICE_PERCENT
from custom_components.smartmulti.const import DOMAIN
from tests.support.agent import RunningAgent

from .billing_support import (  # noqa: F401 (a fixture)
    billing_entry,
    flush_energy_often,
    ledger,
    open_session,
    outlet_device,
    set_up,
    start_session,
    user_ids,
    user_wh,
)
from .conftest import wait_for

pytestmark = pytest.mark.usefixtures("flush_energy_often")

MWH = Decimal("0.000001")  # the CSV's kWh have six decimals: every Wh is exact
# Per kWh: the sessions last seconds (a few hundredths of a Wh), so a real price would cost
# less than the CSV's 0.0001 and every cost would read 0.
PRICE = 1000.0


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def test_the_billing_csv_matches_the_sessions_exactly(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    tmp_path: Path,
    hass_storage: dict[str, Any],
) -> None:
    hass.config.config_dir = str(tmp_path)
    billing = billing_entry(
        hass, {"Alice": {}, "Bob": {CONF_PRICE_PERCENT: 50}}, **{CONF_PRICE: PRICE}
    )
    await set_up(hass, mock_config_entry, billing)
    ids = user_ids(billing)
    begin = dt_util.now() - timedelta(minutes=1)
    for user, outlet_id in (("Alice", 1), ("Bob", 2), ("Alice", 3)):
        await start_session(hass, user, outlet_device(hass, agent.serial, outlet_id))
        session = open_session(hass, ids[user])
        await wait_for(lambda session=session: session.energy_wh > 0.01)
        await hass.services.async_call(DOMAIN, "stop_session", {"user": user}, blocking=True)

    end = dt_util.now() + timedelta(minutes=1)
    response = await _call(hass, "export_billing", {"start": begin, "end": end})

    path = Path(response["path"])
    assert path.parent == tmp_path / "smartmulti"
    text = await hass.async_add_executor_job(path.read_text, "utf-8")
    assert text == response["csv"]
    rows = list(csv.DictReader(text.splitlines()))
    billed = await ledger(hass).async_sessions_between(begin, end)
    assert len(billed) == 3
    for name, user_id in ids.items():
        sessions = [s for s in billed if s.user_id == user_id]
        lines = [r for r in rows if r["user"] == name and r["row"] == "session"]
        (total,) = [r for r in rows if r["user"] == name and r["row"] == "total"]
        assert [line["outlet"] for line in lines] == [s.place for s in sessions]
        assert [Decimal(line["energy_kwh"]) for line in lines] == [
            (Decimal(repr(s.energy_wh)) / 1000).quantize(MWH, rounding=ROUND_HALF_UP)
            for s in sessions
        ]
        assert [Decimal(line["cost"]) for line in lines] == [
            # A bill rounds half up (0.00765 is 0.0077), never to the even digit.
            Decimal(repr(s.cost)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            for s in sessions
        ]
        assert int(total["sessions"]) == len(sessions)
        assert Decimal(total["energy_kwh"]) == sum(Decimal(line["energy_kwh"]) for line in lines)
        assert Decimal(total["cost"]) == sum(Decimal(line["cost"]) for line in lines)
        # To the Wh, the user's total is their energy.
        assert abs(Decimal(total["energy_kwh"]) * 1000 - Decimal(user_wh(hass, user_id))) < 1
    # Ended sessions are kept in their month's store, out of the live ledger.
    await hass.async_block_till_done()
    month = f"smartmulti.sessions_{begin.astimezone(UTC):%Y_%m}"
    assert len(hass_storage[month]["data"]["sessions"]) == 3
    assert not ledger(hass).history.closing
    # The costs are the price's: Alice pays it in full, Bob half of it.
    for name, price in (("Alice", PRICE), ("Bob", PRICE * 0.5)):
        (user,) = [user for user in response["users"] if user["user"] == name]
        assert user["cost"] > 0.002
        # Each line's cost and kWh are rounded (to 0.0001 and 0.000001): 0.001 per line at most.
        assert user["cost"] == pytest.approx(
            user["energy_kwh"] * price, abs=0.001 * user["sessions"]
        )


@pytest.mark.freeze_time("2025-04-15 07:00:00+00:00", tick=True)  # Tuesday, 09:00 in Paris
async def test_get_consumption_returns_day_and_week_totals_that_match_the_statistics(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    freezer: Any,
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    billing = billing_entry(hass, {"Alice": {}})
    await set_up(hass, mock_config_entry, billing)
    for outlet_id in (2, 3):
        await start_session(hass, "Alice", outlet_device(hass, agent.serial, outlet_id))

    def energy() -> float:
        return float(hass.states.get("sensor.alice_energy").state)

    async def day_of_charging(day: int, above: float) -> float:
        """Alice charges from 09:00 (the strip is unloaded before the clock moves on)."""
        await wait_for(lambda: energy() >= above + 0.0001, limit_s=10)
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await async_wait_recording_done(hass)
        reached = energy()
        freezer.move_to(datetime(2025, 4, day, 8, 0, 30, tzinfo=UTC))
        for minute in (0, 55):  # the hour's first five minutes, and its summary
            do_adhoc_statistics(hass, start=datetime(2025, 4, day, 7, minute, tzinfo=UTC))
        await async_wait_recording_done(hass)
        return reached

    tuesday = await day_of_charging(15, 0.0)
    freezer.move_to(datetime(2025, 4, 16, 7, 0, tzinfo=UTC))
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    wednesday = await day_of_charging(16, tuesday)

    week = {"start": "2025-04-14 00:00:00", "end": "2025-04-21 00:00:00"}
    by_day = await _call(hass, "get_consumption", {**week, "granularity": "day"})
    by_week = await _call(hass, "get_consumption", {**week, "granularity": "week"})

    recorded = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2025, 4, 13, 22, tzinfo=UTC),
        datetime(2025, 4, 20, 22, tzinfo=UTC),
        {"sensor.alice_energy"},
        "day",
        {"energy": "kWh"},
        {"change"},
    )
    (alice,) = by_day["users"]
    assert [period["energy"] for period in alice["periods"]] == [
        round(row["change"], 4) for row in recorded["sensor.alice_energy"]
    ]
    assert [period["start"] for period in alice["periods"]] == [
        "2025-04-15T00:00:00+02:00",
        "2025-04-16T00:00:00+02:00",
    ]
    assert [period["energy"] for period in alice["periods"]] == pytest.approx(
        [tuesday, wednesday - tuesday], abs=1e-6
    )
    ((alice_week,),) = [by_week["users"]]
    assert [period["start"] for period in alice_week["periods"]] == ["2025-04-14T00:00:00+02:00"]
    assert alice_week["total"] == pytest.approx(wednesday, abs=1e-6)
    assert by_day["unit"] == "kWh"
    assert "unassigned" in by_day


@pytest.mark.parametrize(
    ("service", "data", "key", "message"),
    [
        (
            "start_session",
            {"user": "Zoé", "outlet": "outlet"},
            "unknown_user",
            "No SmartMulti user is called Zoé",
        ),
        (
            "start_session",
            {"user": "Alice", "outlet": "nowhere"},
            "unknown_outlet",
            "nowhere is not an outlet of a loaded SmartMulti strip",
        ),
        (
            "stop_session",
            {"user": "Alice"},
            "no_session",
            "No session is open for Alice",
        ),
        ("stop_session", {}, "user_or_outlet", "Give a user, an outlet, or both"),
        (
            "export_billing",
            {"start": "2025-04-02 00:00:00", "end": "2025-04-01 00:00:00"},
            "end_before_start",
            "The period ends (2025-04-01T00:00:00-07:00) before it starts "
            "(2025-04-02T00:00:00-07:00)",
        ),
        (
            "get_consumption",
            {"start": "2025-04-02 00:00:00", "end": "2025-04-01 00:00:00"},
            "end_before_start",
            "The period ends (2025-04-01T00:00:00-07:00) before it starts "
            "(2025-04-02T00:00:00-07:00)",
        ),
        (
            "get_consumption",
            {"start": "0001-01-01 00:00:00"},
            "date_out_of_range",
            "The date 0001-01-01T00:00:00 is outside the years 2000 to 2100",
        ),
        (
            "export_billing",
            {"start": "2025-04-01 00:00:00", "end": "9999-12-31 00:00:00"},
            "date_out_of_range",
            "The date 9999-12-31T00:00:00 is outside the years 2000 to 2100",
        ),
    ],
)
async def test_bad_service_input_raises_a_translated_error(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    key: str,
    message: str,
) -> None:
    await hass.config.async_set_time_zone("America/Los_Angeles")
    await set_up(hass, mock_config_entry, billing_entry(hass, {"Alice": {}}))
    if data.get("outlet") == "outlet":
        data = {**data, "outlet": outlet_device(hass, agent.serial, 1)}

    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, service, data, blocking=True, return_response=True)

    assert raised.value.translation_key == key
    assert str(raised.value) == message  # Home Assistant drops the final full stop


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+33 6", "'+33 6"),
        ("-Alice", "'-Alice"),
        ("@Bob", "'@Bob"),
        ("Chloé", "Chloé"),
    ],
)
def test_a_name_in_the_billing_csv_never_runs_as_a_formula(name: str, cell: str) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    text = export_csv([export_bill(user=name, user_id="u")], start, start, "EUR")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:2] == ["total", cell]
