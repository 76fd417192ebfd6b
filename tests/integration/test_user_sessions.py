"""Whose session an outlet holds, against a real agent, and what ends it.

A session starts for the user a reporter names (another claims it from them), for the user a
pairing proves with their personal link (a name alone bills nobody and shows only as a claim),
or for the user the manager picks on the outlet. It ends when the laptop stays unplugged, at
closing, or when its user or its strip is removed; users come and go without disturbing the
others' entities.
"""

from __future__ import annotations

from datetime import timedelta
import hashlib
import hmac
import time
from types import MappingProxyType, SimpleNamespace

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import ATTR_ENTITY_ID, EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.billing import ledger as ledger_module
from custom_components.smartmulti.billing.accounts import account_key
from custom_components.smartmulti.billing.presence import PLUG_LAG_S
from custom_components.smartmulti.billing.sessions import EndReason, StartReason
from custom_components.smartmulti.billing.users import (
    CONF_LEAVE_AFTER,
    CONF_REPORTER,
    CONF_TIER,
    SUBENTRY_USER,
)
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.coworker.links import (
    REPORTER_PROOF_MESSAGE,
    async_get_links,
    reporter_proof,
)
from custom_components.smartmulti.entry_kinds import is_billing_entry
from custom_components.smartmulti.identifiers import user_device_identifier
from custom_components.smartmulti.planning.scheduler import async_get_scheduler
from tests.integration.devices import device_with
from tests.support.agent import RunningAgent

from .billing_support import (  # noqa: F401 (a fixture)
    alice_in_session,
    billing_entry,
    flush_energy_often,
    ledger,
    open_session,
    outlet_device,
    set_up,
    start_session,
    unload_all,
    user_ids,
)
from .conftest import report_battery, wait_for

# The challenge a proof names: the agent's own pairings take it; records made here skip that.
CHALLENGE = "0123456789abcdef" * 2


def _paired_user(outlet_id: int) -> str:
    return f"sensor.desk_{outlet_id}_paired_user"


def _found(agent: RunningAgent, outlet_id: int, name: str, proof: str | None) -> None:
    """A pairing run, given ``name`` and ``proof``, found the laptop's outlet (the agent's own
    record of it, as the reporter token leaves it)."""
    pairing = agent.agent.controller.pairing
    pairing.laptops.found(outlet_id, name, 0.99, agent.agent.now(), proof=proof)


pytestmark = pytest.mark.usefixtures("flush_energy_often")


def _switched_for(strip: MockConfigEntry, outlet_id: int) -> float:
    data = strip.runtime_data.coordinator.data
    switched = data.state.outlets[outlet_id].last_switch_at or 0.0
    return data.agent_time(time.monotonic()) - switched


async def test_a_reporter_naming_a_user_starts_their_session_and_another_claims_it(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    billing = billing_entry(
        hass, {"Alice": {CONF_REPORTER: "alice-laptop", CONF_TIER: 2}, "Bob": {}}
    )
    await set_up(hass, mock_config_entry, billing)
    ids = user_ids(billing)
    balancing = mock_config_entry.runtime_data.planner

    await report_battery(hass, agent, 2, user="alice-laptop")
    await wait_for(lambda: ledger(hass).open_sessions(ids["Alice"]))
    alices = open_session(hass, ids["Alice"])
    assert (alices.outlet, alices.start_reason) == (2, StartReason.PAIRED)
    assert balancing.hints[2].tier == 2  # the balancer serves Alice's laptop first
    await wait_for(lambda: hass.states.get("select.desk_2_user").state == "Alice")

    await report_battery(hass, agent, 2, user="bob")
    await wait_for(lambda: ledger(hass).open_sessions(ids["Bob"]))

    assert alices.end_reason == EndReason.CLAIMED
    assert open_session(hass, ids["Bob"]).outlet == 2
    assert 2 not in balancing.hints


async def test_a_pairing_bills_only_the_user_whose_personal_link_proves_it(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    """Anyone holding the shared reporter token can pair a laptop under any name: a name alone
    starts no session. A reporter given a user's personal link proves that user (whatever name
    it shows), and a renewed link voids the proof."""
    billing = billing_entry(hass, {"Alice": {}, "Bob": {}})
    await set_up(hass, mock_config_entry, billing)
    ids = user_ids(billing)
    links = async_get_links(hass)

    def paired(outlet_id: int, name: str, proof: str | None) -> None:
        _found(agent, outlet_id, name, proof)

    coordinator = mock_config_entry.runtime_data.coordinator
    paired(2, "Alice", None)  # Mallory, naming Alice to bill her
    paired(1, "Mallory", "0" * 64)  # a made-up proof
    await coordinator.async_refresh()
    await wait_for(lambda: coordinator.data.state.outlets[1].paired is not None)
    await hass.async_block_till_done()
    assert ledger(hass).open_sessions(ids["Alice"]) == []
    assert ledger(hass).open_sessions(ids["Bob"]) == []
    assert hass.states.get("select.desk_2_user").state == "none"

    paired(3, "any name", reporter_proof(links.secret(ids["Alice"]), CHALLENGE))
    await wait_for(lambda: ledger(hass).open_sessions(ids["Alice"]))
    session = open_session(hass, ids["Alice"])
    assert (session.outlet, session.start_reason) == (3, StartReason.PAIRED)

    old = links.secret(ids["Bob"])
    links.renew(ids["Bob"])
    paired(4, "Bob", reporter_proof(old, CHALLENGE))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert ledger(hass).open_sessions(ids["Bob"]) == []
    paired(4, "Bob", reporter_proof(links.secret(ids["Bob"]), CHALLENGE))  # given the new link
    await wait_for(lambda: ledger(hass).open_sessions(ids["Bob"]))
    assert open_session(hass, ids["Bob"]).outlet == 4


@pytest.mark.parametrize("proof", [None, "0" * 64], ids=["no proof", "a made-up proof"])
async def test_a_pairing_under_a_users_name_shows_only_as_an_unverified_claim(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry, proof: str | None
) -> None:
    """Mallory, holding the shared reporter token, pairs her laptop as Alice: the manager's
    dashboard must not say the outlet is Alice's, yet shows someone claims it."""
    billing = billing_entry(hass, {"Alice": {}})
    await set_up(hass, mock_config_entry, billing)

    _found(agent, 2, "Alice", proof)
    await mock_config_entry.runtime_data.coordinator.async_refresh()

    await wait_for(lambda: hass.states.get(_paired_user(2)).attributes.get("verified") is False)
    state = hass.states.get(_paired_user(2))
    assert state.state == "unknown"
    assert state.attributes["claimed_name"] == "Alice"
    assert (state.attributes["method"], state.attributes["confidence"]) == ("pairing", 0.99)


async def test_a_proof_bound_to_no_challenge_bills_nobody_though_made_by_the_users_link(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    """A reporter from before challenges signs a fixed message: the same proof at every
    pairing, which anyone who saw it cross the LAN once could send for their own laptop. So it
    starts no session and shows no verified user, though Alice's own link made it."""
    billing = billing_entry(hass, {"Alice": {}})
    await set_up(hass, mock_config_entry, billing)
    secret = async_get_links(hass).secret(user_ids(billing)["Alice"])
    fixed = hmac.new(secret.encode(), REPORTER_PROOF_MESSAGE, hashlib.sha256).hexdigest()

    _found(agent, 2, "Alice", fixed)
    await mock_config_entry.runtime_data.coordinator.async_refresh()

    await wait_for(lambda: hass.states.get(_paired_user(2)).attributes.get("verified") is False)
    assert hass.states.get(_paired_user(2)).state == "unknown"
    assert ledger(hass).open_sessions(user_ids(billing)["Alice"]) == []


async def test_a_proven_pairing_shows_the_proven_users_configured_name(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    """The proof names the user; the name the reporter sent with it is not shown."""
    billing = billing_entry(hass, {"Alice": {}, "Bob": {}})
    await set_up(hass, mock_config_entry, billing)
    alice = user_ids(billing)["Alice"]

    _found(agent, 3, "Bob", reporter_proof(async_get_links(hass).secret(alice), CHALLENGE))

    await wait_for(lambda: hass.states.get(_paired_user(3)).state == "Alice")
    attributes = hass.states.get(_paired_user(3)).attributes
    assert (attributes["verified"], attributes["claimed_name"]) == (True, None)


async def test_a_renewed_link_leaves_the_paired_user_unverified(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    """A renewed link voids the proof its old secret made, on the sensor as in billing."""
    billing = billing_entry(hass, {"Bob": {}})
    await set_up(hass, mock_config_entry, billing)
    bob = user_ids(billing)["Bob"]
    links = async_get_links(hass)
    _found(agent, 2, "bob", reporter_proof(links.secret(bob), CHALLENGE))
    await wait_for(lambda: hass.states.get(_paired_user(2)).state == "Bob")

    links.renew(bob)
    await mock_config_entry.runtime_data.coordinator.async_refresh()

    await wait_for(lambda: hass.states.get(_paired_user(2)).attributes["verified"] is False)
    state = hass.states.get(_paired_user(2))
    assert (state.state, state.attributes["claimed_name"]) == ("unknown", "bob")


async def test_a_name_given_on_the_admin_token_shows_its_users_configured_name(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    """A manager's credential for a laptop names its user as billing reads it."""
    billing = billing_entry(hass, {"Alice": {CONF_REPORTER: "alice-laptop"}})
    await set_up(hass, mock_config_entry, billing)

    await report_battery(hass, agent, 1, user="alice-laptop")

    await wait_for(lambda: hass.states.get(_paired_user(1)).state == "Alice")
    attributes = hass.states.get(_paired_user(1)).attributes
    assert (attributes["verified"], attributes["claimed_name"]) == (True, None)


async def test_the_outlet_user_select_assigns_and_unassigns_the_outlet(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    billing = billing_entry(hass, {"Alice": {}, "Bob": {}})
    await set_up(hass, mock_config_entry, billing)
    alice = user_ids(billing)["Alice"]
    assert hass.states.get("select.desk_3_user").attributes["options"] == ["none", "Alice", "Bob"]

    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: "select.desk_3_user", "option": "Alice"},
        blocking=True,
    )
    session = open_session(hass, alice)
    assert (session.outlet, session.start_reason) == (3, StartReason.ASSIGNED)
    assert hass.states.get("select.desk_3_user").state == "Alice"
    await wait_for(lambda: hass.states.get("sensor.alice_current_outlet").state != "unknown")
    assert hass.states.get("sensor.alice_current_outlet").state == "Desk 3 (Coworking strip)"

    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: "select.desk_3_user", "option": "none"},
        blocking=True,
    )
    assert session.end_reason == EndReason.UNASSIGNED
    assert hass.states.get("select.desk_3_user").state == "none"


async def test_a_session_ends_when_the_laptop_stays_unplugged_for_the_configured_time(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    alice = await alice_in_session(hass, mock_config_entry, **{CONF_LEAVE_AFTER: 0.02})  # 1.2 s
    session = open_session(hass, alice)
    # A flag reported right after the relay switched may be the previous one: it is ignored.
    await wait_for(lambda: _switched_for(mock_config_entry, 1) > PLUG_LAG_S + 0.1)

    await report_battery(hass, agent, 1, plugged=False)
    await wait_for(lambda: not session.open, limit_s=10)

    assert session.end_reason == EndReason.LEFT
    assert ledger(hass).open_sessions() == []


async def test_a_wall_clock_set_back_does_not_keep_a_left_laptop_s_session_open(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Home Assistant's clock set back an hour (NTP, a wrong time source) just after Alice
    unplugged: her session ends after the configured time all the same, not an hour later,
    when the next coworker at that outlet would be billed to her, and not before it began."""
    alice = await alice_in_session(hass, mock_config_entry, **{CONF_LEAVE_AFTER: 0.02})  # 1.2 s
    session = open_session(hass, alice)
    await wait_for(lambda: _switched_for(mock_config_entry, 1) > PLUG_LAG_S + 0.1)
    account = ledger(hass).accounts[account_key(agent.serial, 1)]

    await report_battery(hass, agent, 1, plugged=False)
    await wait_for(lambda: account.gone_since is not None or not session.open)
    real_utcnow = dt_util.utcnow
    monkeypatch.setattr(
        ledger_module,
        "dt_util",
        SimpleNamespace(utcnow=lambda: real_utcnow() - timedelta(hours=1)),
    )
    await wait_for(lambda: not session.open, limit_s=10)

    assert session.end_reason == EndReason.LEFT
    assert session.ended_at is not None
    assert session.ended_at >= session.started_at


async def test_closing_ends_the_sessions_of_the_strips_that_close(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    billing = billing_entry(hass, {"Alice": {}, "Bob": {}})
    await set_up(hass, mock_config_entry, billing)
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 1))
    await start_session(hass, "Bob", outlet_device(hass, agent.serial, 2))

    ended = ledger(hass).async_end_sessions_at_closing([mock_config_entry.entry_id])

    assert sorted(session.user for session in ended) == ["Alice", "Bob"]
    assert {session.end_reason for session in ended} == {EndReason.CLOSING}
    assert ledger(hass).open_sessions() == []


async def test_removing_a_user_ends_their_sessions_and_removes_their_device(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    billing = billing_entry(hass, {"Alice": {}, "Bob": {}})
    await set_up(hass, mock_config_entry, billing)
    alice = user_ids(billing)["Alice"]
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 1))
    session = open_session(hass, alice)

    assert hass.config_entries.async_remove_subentry(billing, alice)
    await hass.async_block_till_done()

    assert session.end_reason == EndReason.USER_REMOVED
    assert device_with(hass, user_device_identifier(alice)) is None
    assert hass.states.get("sensor.alice_energy") is None
    assert hass.states.get("select.desk_1_user").attributes["options"] == ["none", "Bob"]


async def test_adding_a_user_gives_them_entities_and_leaves_the_others_available(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    """A user is added in place: the users already there stay available (a reload of the entry
    would make each of their entities unavailable and back, in the logbook too)."""
    billing = billing_entry(hass, {"Alice": {}})
    await set_up(hass, mock_config_entry, billing)
    alice = ["sensor.alice_energy", "number.alice_consumption_limit", "image.alice_personal_link"]
    seen: list[str] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            seen.append(new.state)

    async_track_state_change_event(hass, alice, record)

    hass.config_entries.async_add_subentry(
        billing,
        ConfigSubentry(
            data=MappingProxyType({}), subentry_type=SUBENTRY_USER, title="Bob", unique_id=None
        ),
    )
    await hass.async_block_till_done()

    assert "unavailable" not in seen
    assert billing.state is ConfigEntryState.LOADED
    assert device_with(hass, user_device_identifier(user_ids(billing)["Bob"])) is not None
    assert hass.states.get("sensor.bob_energy").state == "0.0"
    assert hass.states.get("button.bob_renew_personal_link") is not None
    assert hass.states.get("select.desk_1_user").attributes["options"] == ["none", "Alice", "Bob"]


async def test_removing_a_strip_ends_the_sessions_on_it(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    session = open_session(hass, await alice_in_session(hass, mock_config_entry))

    assert (await hass.config_entries.async_remove(mock_config_entry.entry_id))[
        "require_restart"
    ] is False
    await hass.async_block_till_done()

    assert session.end_reason == EndReason.STRIP_REMOVED
    assert not any(key.startswith(agent.serial) for key in ledger(hass).accounts)


async def test_a_strip_reloaded_while_unreachable_then_removed_keeps_its_sessions_billed(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, object],
) -> None:
    """The strip's Pi is gone for good: the manager reloads its entry (it waits for the agent),
    then removes it. Alice's session ends with what it counted, and stays in the bills."""
    alice = await alice_in_session(hass, mock_config_entry)
    session = open_session(hass, alice)
    await wait_for(lambda: session.energy_wh > 0.01)
    await agent.stop()

    assert not await hass.config_entries.async_reload(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert session.open  # an unreachable strip may still have her laptop on it
    counted = session.energy_wh

    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert session.end_reason == EndReason.STRIP_REMOVED
    assert session.energy_wh == counted
    (billed,) = await ledger(hass).async_sessions_between(session.started_at, dt_util.utcnow())
    assert (billed.id, billed.energy_wh) == (session.id, counted)
    await unload_all(hass)
    month = f"smartmulti.sessions_{session.started_at:%Y_%m}"
    stored = hass_storage[month]["data"]["sessions"]  # type: ignore[index]
    assert [(s["id"], s["energy_wh"]) for s in stored] == [(session.id, counted)]


async def test_reloading_the_strip_and_billing_again_and_again_leaves_nothing_behind(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    """Each reload lets go of what the last setup held: the bus listeners, the ledger's
    listeners and strips, the site's planners; Alice's session goes on through all of it."""
    alice = await alice_in_session(hass, mock_config_entry)
    (billing,) = (e for e in hass.config_entries.async_entries(DOMAIN) if is_billing_entry(e))

    def held() -> tuple[object, ...]:
        # A store listens for the final write only while a delayed save is pending: that
        # count follows when the ledger last saved, not what a setup holds.
        listeners = hass.bus.async_listeners()
        listeners.pop(EVENT_HOMEASSISTANT_FINAL_WRITE, None)
        return (
            listeners,
            len(ledger(hass)._listeners),
            set(ledger(hass).strips),
            set(async_get_scheduler(hass).strips),
        )

    before = held()
    for _ in range(3):
        for entry in (mock_config_entry, billing):
            assert await hass.config_entries.async_reload(entry.entry_id)
            await hass.async_block_till_done()
        await wait_for(lambda: mock_config_entry.runtime_data.coordinator.stream_connected)

    assert held() == before
    assert open_session(hass, alice).open
