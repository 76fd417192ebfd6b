"""Consumption limits against a real agent: events once per period, and the cut-off."""

from __future__ import annotations

from typing import Any

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartmulti.billing.limits import (
    EVENT_LIMIT_REACHED,
    EVENT_LIMIT_WARNING,
    Totals,
)
from custom_components.smartmulti.billing.store import STORAGE_KEY as LEDGER_STORAGE_KEY
from custom_components.smartmulti.billing.users import (
    CONF_CUT_OFF,
    CONF_LIMIT,
    CONF_LIMIT_MAX,
    CONF_LIMIT_PERIOD,
)
from tests.support.agent import RunningAgent

from .billing_support import (  # noqa: F401 (a fixture)
    billing_entry,
    flush_energy_often,
    ledger,
    outlet_device,
    post_limit,
    set_up,
    start_session,
    unload_all,
    user_ids,
    user_link,
)
from .conftest import wait_for

pytestmark = pytest.mark.usefixtures("flush_energy_often")

LIMIT_KWH = 0.00004  # 0.04 Wh: a laptop charging reaches it within a second or two
# Desk 2's laptop draws about 140 W: the agent sends its counter every 0.2 s, so each count is
# about 0.008 Wh, under 10 % of this limit: an event fires within that much past its threshold.
DAILY_KWH = 0.0001
STEP_PERCENT = 15
LAMP = 4


def reason(hass: HomeAssistant, outlet: str) -> str | None:
    state = hass.states.get(f"sensor.{outlet}_reason")
    return None if state is None else state.state


@pytest.mark.freeze_time("2025-04-15 21:59:40+00:00", tick=True)  # 23:59:40 in Paris
async def test_limit_events_fire_once_per_period_at_their_thresholds(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    freezer: object,
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    billing = billing_entry(hass, {"Alice": {CONF_LIMIT: DAILY_KWH, CONF_LIMIT_PERIOD: "day"}})
    warnings = async_capture_events(hass, EVENT_LIMIT_WARNING)
    reached = async_capture_events(hass, EVENT_LIMIT_REACHED)
    await set_up(hass, mock_config_entry, billing)
    alice = user_ids(billing)["Alice"]

    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 2))
    await wait_for(lambda: reached)
    # Alice draws on past her limit: nothing more this period.
    await wait_for(lambda: ledger(hass).period_wh(alice, dt_util.utcnow()) > 1.5 * DAILY_KWH * 1000)

    assert (len(warnings), len(reached)) == (1, 1)
    warning, limit = warnings[0].data, reached[0].data
    assert warning["threshold"] == 80
    assert 80 <= warning["percent"] < 80 + STEP_PERCENT
    assert limit["threshold"] == 100
    assert 100 <= limit["percent"] < 100 + STEP_PERCENT
    assert warning["period_start"] == limit["period_start"] == "2025-04-15T00:00:00+02:00"
    assert limit["user"] == "Alice"
    assert limit["limit_kwh"] == DAILY_KWH
    assert limit["energy_kwh"] == pytest.approx(DAILY_KWH * limit["percent"] / 100, rel=1e-2)
    assert limit["outlets"] == ["Desk 2 (Coworking strip)"]

    freezer.move_to("2025-04-15 22:00:02+00:00")  # type: ignore[attr-defined]  # midnight
    async_fire_time_changed(hass)
    await wait_for(lambda: len(reached) == 2)

    assert len(warnings) == 2
    assert warnings[1].data["period_start"] == "2025-04-16T00:00:00+02:00"
    assert reached[1].data["period_start"] == "2025-04-16T00:00:00+02:00"


async def test_the_cut_off_switches_off_only_that_users_outlet_never_an_exception_outlet(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    billing = billing_entry(hass, {"Alice": {CONF_LIMIT: LIMIT_KWH, CONF_CUT_OFF: True}, "Bob": {}})
    await set_up(hass, mock_config_entry, billing)
    controller = agent.agent.controller
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 1))
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, LAMP))
    await start_session(hass, "Bob", outlet_device(hass, agent.serial, 2))

    # The plan holds it off: no manual command, and the reason says why.
    await wait_for(lambda: not controller.outlet(1).relay_on, limit_s=10.0)
    await wait_for(lambda: reason(hass, "desk_1") == "limit_reached")

    assert controller.outlet(1).override is None
    assert controller.outlet(LAMP).override is None
    assert controller.outlet(LAMP).relay_on
    assert controller.outlet(2).override is None
    assert controller.outlet(2).relay_on
    assert reason(hass, "desk_2") != "limit_reached"

    # A manager's own command wins over the hold.
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: "select.desk_1_control", "option": "on"},
        blocking=True,
    )
    await wait_for(lambda: controller.outlet(1).relay_on)
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: "select.desk_1_control", "option": "auto"},
        blocking=True,
    )
    await wait_for(lambda: reason(hass, "desk_1") == "limit_reached")

    # A higher limit gives Alice her outlet back.
    await hass.services.async_call(
        "number",
        "set_value",
        {ATTR_ENTITY_ID: "number.alice_consumption_limit", "value": 100},
        blocking=True,
    )
    await wait_for(lambda: reason(hass, "desk_1") != "limit_reached")
    await wait_for(lambda: controller.outlet(1).relay_on, limit_s=10.0)


async def test_a_cut_off_an_older_version_left_as_a_manual_off_is_given_back_once(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Outlet 1 was cut off by an older version (a manual "off" and ``held_off``), outlet 2 is
    off by a manager's own command: only the cut-off goes back to the plan, and only once."""
    controller = agent.agent.controller
    account = {"epoch": None, "counted_wh": 0.0, "shown_wh": 0.0, "session": None}
    hass_storage[LEDGER_STORAGE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": LEDGER_STORAGE_KEY,
        "data": {
            "meters": {
                f"{agent.serial}:1": {**account, "held_off": True},
                f"{agent.serial}:2": {**account, "held_off": False},
            }
        },
    }
    controller.set_override(1, False)
    controller.set_override(2, False)

    await set_up(hass, mock_config_entry, billing_entry(hass))
    await wait_for(lambda: controller.outlet(1).override is None)

    assert controller.outlet(2).override is False
    assert not ledger(hass).accounts[f"{agent.serial}:1"].held_off
    # A manual "off" since is a person's: the ledger leaves it, as it leaves outlet 2's.
    controller.set_override(1, False)
    await wait_for(lambda: hass.states.get("select.desk_1_control").state == "off")
    counted = ledger(hass).unassigned.energy_wh  # the ledger reads the strip's states on
    await wait_for(lambda: ledger(hass).unassigned.energy_wh > counted)
    assert controller.outlet(1).override is False
    assert controller.outlet(2).override is False

    await unload_all(hass)
    stored = hass_storage[LEDGER_STORAGE_KEY]["data"]["meters"]
    assert stored[f"{agent.serial}:1"]["held_off"] is False
    assert stored[f"{agent.serial}:2"]["held_off"] is False


@pytest.mark.freeze_time("2025-04-16 10:00:00+00:00", tick=True)  # a Wednesday, mid-month
async def test_changing_the_limit_period_keeps_what_the_new_period_already_counts(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    limit = {CONF_LIMIT: LIMIT_KWH, CONF_LIMIT_PERIOD: "month", CONF_CUT_OFF: True}
    billing = billing_entry(hass, {"Alice": limit})
    await set_up(hass, mock_config_entry, billing)
    alice = user_ids(billing)["Alice"]
    reached = async_capture_events(hass, EVENT_LIMIT_REACHED)
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 1))
    await wait_for(lambda: reason(hass, "desk_1") == "limit_reached", limit_s=10.0)

    # Everything Alice drew this month she drew this week, and today: whichever period she
    # chooses (on her page, or a manager for her), her limit is reached and her outlet held.
    for period in ("week", "day", "month"):
        drawn = ledger(hass).period_wh(alice, dt_util.utcnow())
        subentry = billing.subentries[alice]
        hass.config_entries.async_update_subentry(
            billing, subentry, data={**subentry.data, CONF_LIMIT_PERIOD: period}
        )
        await hass.async_block_till_done()

        assert ledger(hass).totals[alice].period == period
        assert ledger(hass).period_wh(alice, dt_util.utcnow()) >= drawn > LIMIT_KWH * 1000
        assert ledger(hass).totals[alice].reached
        assert reason(hass, "desk_1") == "limit_reached"
    assert len(reached) == 1  # reached once: the same energy, still over the same limit


@pytest.mark.freeze_time("2025-04-15 10:00:00+00:00", tick=True)  # mid-month, mid-week
async def test_a_limit_moved_to_another_period_counts_what_that_period_already_drew(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    alice_settings = {
        CONF_LIMIT: LIMIT_KWH,
        CONF_LIMIT_PERIOD: "month",
        CONF_CUT_OFF: True,
        CONF_LIMIT_MAX: 31,
    }
    billing = billing_entry(hass, {"Alice": alice_settings})
    reached = async_capture_events(hass, EVENT_LIMIT_REACHED)
    await set_up(hass, mock_config_entry, billing)
    alice = user_ids(billing)["Alice"]
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 2))
    await wait_for(lambda: reached)  # held off for the rest of the month
    drawn = ledger(hass).period_wh(alice, dt_util.utcnow())
    client = await hass_client_no_auth()
    url = await user_link(hass, "Alice")

    # On her page Alice moves her limit to a day, a week, then back to the month: everything
    # she drew today is in each of them, and the month's count is not started again.
    for period in ("day", "week", "month"):
        response = await post_limit(client, url, "0.01", period)
        assert response.status == 303
        await hass.async_block_till_done()
        assert ledger(hass).totals[alice].period == period
        assert ledger(hass).period_wh(alice, dt_util.utcnow()) >= drawn, period
    totals = ledger(hass).totals[alice]
    assert Totals.from_dict(totals.as_dict()) == totals  # every count kept across a restart
