"""The integration's stores (billing, personal links, the site, budgets) when they do not read as this
version writes them.

A store edited by hand, restored from another backup or cut off by a full disk must neither stop
the strips from setting up nor lose a bill without a word: what reads is used, the store as it
was found is kept aside and a repair issue says where. ``hass_storage`` is the disk.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartmulti.billing.limits import EVENT_LIMIT_WARNING
from custom_components.smartmulti.billing.store import STORAGE_KEY, STORAGE_VERSION
from custom_components.smartmulti.billing.users import CONF_LIMIT, LimitPeriod, period_start
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.coworker.links import (
    STORAGE_KEY as LINKS_KEY,
    async_get_links,
)
from custom_components.smartmulti.orchestration import (
    BUDGETS_STORAGE_KEY,
    async_get_temporary_budgets,
)
from custom_components.smartmulti.planning.storage import STORAGE_KEY as SITE_KEY
from tests.support.agent import RunningAgent

from .billing_support import billing_entry, ledger, set_up, user_ids
from .conftest import wait_for


def _session(session_id: str, user_id: str, started_at: datetime, **changes: Any) -> dict[str, Any]:
    """An ended session as the ledger stores it."""
    return {
        "id": session_id,
        "user_id": user_id,
        "user": "Alice",
        "strip": "sim-agent-1",
        "strip_name": "Coworking strip",
        "outlet": 1,
        "outlet_name": "Desk 1",
        "started_at": started_at.isoformat(),
        "start_reason": "service",
        "meter_start_wh": 10.0,
        "meter_stop_wh": 110.0,
        "price_percent": 100.0,
        "energy_wh": 100.0,
        "cost": 0.02,
        "ended_at": (started_at + timedelta(hours=1)).isoformat(),
        "end_reason": "stopped",
    } | changes


def _store(key: str, data: Any) -> dict[str, Any]:
    return {"version": STORAGE_VERSION, "minor_version": 1, "key": key, "data": data}


def _kept_aside(hass_storage: dict[str, Any], key: str) -> list[Any]:
    """What was kept aside of the store ``key``, as it was found."""
    return [
        stored["data"]["data"]
        for name, stored in hass_storage.items()
        if name.startswith(f"{key}.damaged_")
    ]


def _damage_issue(hass: HomeAssistant, key: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"damaged_store_{key}")


async def test_a_ledger_with_damaged_parts_sets_up_with_the_rest_and_keeps_it_all_aside(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    billing = billing_entry(hass, {"Alice": {}})
    alice = user_ids(billing)["Alice"]
    started = dt_util.utcnow() - timedelta(hours=2)
    damaged = {
        "meters": {"sim-agent-1:1": {"counted_wh": "lots"}},
        "sessions": [
            _session("good", alice, started),
            _session("bad", alice, started, energy_wh={"Wh": 3}),
        ],
        "history": ["2026-13", 7],
        "totals": {alice: {"energy_wh": 250.0, "cost": 0.05}, "gone": {"energy_wh": [1]}},
        "unassigned": "none",
        "settings": {"price": "free"},
    }
    hass_storage[STORAGE_KEY] = _store(STORAGE_KEY, damaged)

    await set_up(hass, mock_config_entry, billing)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert billing.state is ConfigEntryState.LOADED
    assert ledger(hass).totals[alice].energy_wh == 250.0
    billed = await ledger(hass).async_sessions_between(started, dt_util.utcnow())
    assert [session.id for session in billed] == ["good"]
    assert _kept_aside(hass_storage, STORAGE_KEY) == [damaged]
    issue = _damage_issue(hass, STORAGE_KEY)
    assert issue is not None
    assert issue.translation_key == "damaged_store"
    (aside,) = (name for name in hass_storage if name.startswith(f"{STORAGE_KEY}.damaged_"))
    assert issue.translation_placeholders == {"store": STORAGE_KEY, "aside": aside, "parts": "7"}

    # The manager confirms in Settings → Repairs that they have seen it.
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    fix = {"handler": DOMAIN, "issue_id": issue.issue_id}
    form = await (await client.post("/api/repairs/issues/fix", json=fix)).json()
    assert form["step_id"] == "confirm"
    response = await client.post(f"/api/repairs/issues/fix/{form['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
    assert _damage_issue(hass, STORAGE_KEY) is None


async def test_a_ledger_that_is_not_a_ledger_at_all_is_kept_aside_and_billing_starts_afresh(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[STORAGE_KEY] = _store(STORAGE_KEY, ["not", "a", "ledger"])
    billing = billing_entry(hass, {"Alice": {}})

    await set_up(hass, mock_config_entry, billing)

    assert billing.state is ConfigEntryState.LOADED
    assert _kept_aside(hass_storage, STORAGE_KEY) == [["not", "a", "ledger"]]
    assert _damage_issue(hass, STORAGE_KEY) is not None


async def test_a_damaged_session_in_a_months_store_leaves_the_months_other_bills_readable(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    billing = billing_entry(hass, {"Alice": {}})
    alice = user_ids(billing)["Alice"]
    started = dt_util.utcnow() - timedelta(hours=2)
    stored_month = f"{started.astimezone(UTC):%Y_%m}"
    month = f"{DOMAIN}.sessions_{stored_month}"
    found = {"sessions": [_session("good", alice, started), {"id": "bad", "user": "Bob"}]}
    hass_storage[month] = _store(month, found)
    hass_storage[STORAGE_KEY] = _store(STORAGE_KEY, {"history": [stored_month]})

    await set_up(hass, mock_config_entry, billing)
    billed = await ledger(hass).async_sessions_between(started, dt_util.utcnow())

    assert [session.id for session in billed] == ["good"]
    assert _kept_aside(hass_storage, month) == [found]
    assert _damage_issue(hass, month) is not None


@pytest.mark.parametrize("months_ago", [0, 12])
async def test_a_ledger_home_assistant_could_not_read_still_bills_the_stored_months(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    months_ago: int,
) -> None:
    """Home Assistant sets a ledger it cannot parse aside and reads nothing: the months' stores
    of ended sessions are still there, and bills are made from them."""
    billing = billing_entry(hass, {"Alice": {}})
    alice = user_ids(billing)["Alice"]
    now = dt_util.utcnow()
    started = now.replace(day=15, hour=12) - timedelta(days=31 * months_ago)
    started = min(started, now - timedelta(hours=2))
    month = f"{DOMAIN}.sessions_{started.astimezone(UTC):%Y_%m}"
    hass_storage[month] = _store(month, {"sessions": [_session("good", alice, started)]})

    await set_up(hass, mock_config_entry, billing)
    billed = await ledger(hass).async_sessions_between(started, now)

    assert [session.id for session in billed] == ["good"]


async def test_damaged_personal_links_set_up_users_and_billing_with_the_links_that_read(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A link that does not read no longer opens the page (the manager gives a new one); the
    others still do."""
    billing = billing_entry(hass, {"Alice": {}, "Bob": {}})
    ids = user_ids(billing)
    found = {"secrets": {ids["Alice"]: "a" * 43, ids["Bob"]: ["b"]}, "form_key": "not hex"}
    hass_storage[LINKS_KEY] = _store(LINKS_KEY, found)

    await set_up(hass, mock_config_entry, billing)

    assert billing.state is ConfigEntryState.LOADED
    assert async_get_links(hass).secret(ids["Alice"]) == "a" * 43
    assert _kept_aside(hass_storage, LINKS_KEY) == [found]
    assert _damage_issue(hass, LINKS_KEY) is not None


async def test_a_damaged_site_store_sets_the_strips_up_with_what_reads(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The site's store: each strip's most possible draw, and the strips shut down."""
    found = {
        "strips": {"gone-strip": {"hard_limit_w": 1500.0, "failsafe_w": 500.0}, "odd": {"w": 1}},
        "closed": {"other": "since yesterday"},
    }
    hass_storage[SITE_KEY] = _store(SITE_KEY, found)

    await set_up(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert _kept_aside(hass_storage, SITE_KEY) == [found]
    assert _damage_issue(hass, SITE_KEY) is not None


async def test_damaged_temporary_budgets_set_the_strips_up_with_those_that_read(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Budgets set for a while (``smartmulti.set_budget`` with a duration) and when each ends."""
    later = (dt_util.utcnow() + timedelta(hours=1)).isoformat()
    found = {
        "pending": {
            "other": {"budget_w": 800.0, "at": later},
            "odd": {"budget_w": "much", "at": later},
        }
    }
    hass_storage[BUDGETS_STORAGE_KEY] = _store(BUDGETS_STORAGE_KEY, found)

    await set_up(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert set(async_get_temporary_budgets(hass).pending) == {"other"}
    assert _kept_aside(hass_storage, BUDGETS_STORAGE_KEY) == [found]


async def test_a_ledger_written_by_the_first_version_loads_with_every_figure(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The first version's ledger: totals without each period's counts, no ``start_unread``.
    Alice's month goes on from what it counted, her warning already fired is not fired again,
    and her open session counts on."""
    billing = billing_entry(hass, {"Alice": {CONF_LIMIT: 1.0}})
    alice = user_ids(billing)["Alice"]
    now = dt_util.utcnow()
    month_start = period_start(LimitPeriod.MONTH, now)
    started = now - timedelta(minutes=5)
    counter = agent.agent.controller.outlet(1).energy_wh
    account = {"epoch": None, "counted_wh": counter, "shown_wh": counter, "session": "open"}
    session = _session("open", alice, started, ended_at=None, end_reason=None)
    session |= {"strip": agent.serial, "meter_start_wh": counter, "meter_stop_wh": counter}
    session |= {"energy_wh": 0.0, "cost": 0.0}
    totals = {
        "energy_wh": 900.0,
        "cost": 0.0,
        "period": "month",
        "period_start": month_start.isoformat(),
        "period_wh": 900.0,
        "warned": True,
        "reached": False,
    }
    first = {
        "meters": {f"{agent.serial}:1": account},
        "sessions": [session],
        "history": [],
        "totals": {alice: totals},
        "unassigned": {"energy_wh": 12.0, "cost": 0.0},
        "settings": {"price": 0.2, "warning_percent": 80, "leave_after": 15},
    }
    hass_storage[STORAGE_KEY] = _store(STORAGE_KEY, first)
    warnings = async_capture_events(hass, EVENT_LIMIT_WARNING)

    await set_up(hass, mock_config_entry, billing)
    await wait_for(lambda: ledger(hass).totals[alice].energy_wh > 900.0)

    assert [s.id for s in ledger(hass).open_sessions(alice)] == ["open"]
    assert ledger(hass).period_wh(alice, dt_util.utcnow()) > 900.0
    assert ledger(hass).unassigned.energy_wh >= 12.0
    assert warnings == []
    assert not _kept_aside(hass_storage, STORAGE_KEY)


@pytest.mark.parametrize("form_key", ["abcd", "00" * 16, "zz" * 32])
async def test_a_form_key_that_is_not_a_whole_key_is_replaced_and_kept_aside(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    form_key: str,
) -> None:
    """The key that signs the personal page's forms: a shorter one could be guessed."""
    found = {"secrets": {}, "form_key": form_key}
    hass_storage[LINKS_KEY] = _store(LINKS_KEY, found)

    await set_up(hass, mock_config_entry, billing_entry(hass, {"Alice": {}}))
    await hass.async_block_till_done()

    assert len(bytes.fromhex(hass_storage[LINKS_KEY]["data"]["form_key"])) == 32
    assert _kept_aside(hass_storage, LINKS_KEY) == [found]
