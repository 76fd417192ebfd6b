"""Users and sessions against a real agent: who gets which Wh, across restarts of either side.

Exactness is checked against what Home Assistant received from the agent (the coordinator's
counters), read in the same event-loop step as the ledger's figures: between two steps the
ledger has counted every state the coordinator published.
"""

from __future__ import annotations

import time
from types import MappingProxyType

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.billing.ledger import LEDGER_KEY
from custom_components.smartmulti.billing.presence import PLUG_LAG_S
from custom_components.smartmulti.billing.sessions import EndReason, StartReason
from custom_components.smartmulti.billing.users import (
    CONF_LEAVE_AFTER,
    CONF_REPORTER,
    CONF_TIER,
    SUBENTRY_USER,
)
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.coworker.links import async_get_links, reporter_proof
from custom_components.smartmulti.entry_kinds import is_billing_entry
from custom_components.smartmulti.identifiers import user_device_identifier
from pi_agent.storage import StateStore
from tests.integration.devices import device_with
from tests.support.agent import RunningAgent

from .billing_support import (  # noqa: F401 (a fixture)
    alice_in_session,
    billing_entry,
    counters,
    flush_energy_often,
    ledger,
    open_session,
    outlet_device,
    set_up,
    start_session,
    unload_all,
    user_ids,
    user_wh,
)
from .conftest import AgentFactory, report_battery, wait_for

LAMP = 4  # the exception outlet: a constant 40 W


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


async def test_the_first_strip_creates_the_users_and_billing_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    (billing,) = [e for e in hass.config_entries.async_entries(DOMAIN) if is_billing_entry(e)]

    assert billing.state is ConfigEntryState.LOADED
    assert billing.title == "Users and billing"
    assert hass.states.get("sensor.users_and_billing_unassigned_energy") is not None


async def test_energy_drawn_with_no_session_goes_to_unassigned(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    alice = await alice_in_session(hass, mock_config_entry)
    before, alice_before = counters(mock_config_entry), user_wh(hass, alice)
    unassigned_before = ledger(hass).unassigned.energy_wh

    await wait_for(lambda: ledger(hass).unassigned.energy_wh > unassigned_before + 0.02)

    after = counters(mock_config_entry)
    assert ledger(hass).unassigned.energy_wh - unassigned_before == pytest.approx(
        sum(after[o] - before[o] for o in (2, 3, LAMP)), abs=1e-9
    )
    assert user_wh(hass, alice) - alice_before == pytest.approx(after[1] - before[1], abs=1e-9)
    await wait_for(
        lambda: float(hass.states.get("sensor.users_and_billing_unassigned_energy").state) > 0
    )


async def test_a_session_is_the_counter_difference_from_start_to_stop(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    billing = billing_entry(hass, {"Alice": {}})
    await set_up(hass, mock_config_entry, billing)
    alice = user_ids(billing)["Alice"]
    desk_1 = outlet_device(hass, agent.serial, 1)

    await start_session(hass, "Alice", desk_1)
    session = open_session(hass, alice)
    assert session.meter_start_wh == counters(mock_config_entry)[1]
    await wait_for(lambda: session.energy_wh > 0.02)
    await hass.services.async_call(DOMAIN, "stop_session", {"outlet": desk_1}, blocking=True)
    stop = counters(mock_config_entry)[1]

    assert session.end_reason == EndReason.STOPPED
    assert session.meter_stop_wh == stop
    assert session.energy_wh == pytest.approx(stop - session.meter_start_wh, abs=1e-9)
    assert user_wh(hass, alice) == pytest.approx(session.energy_wh, abs=1e-9)
    await wait_for(lambda: hass.states.get("sensor.alice_current_outlet").state == "unknown")


async def test_sessions_survive_a_home_assistant_restart_with_exact_totals(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, object],
) -> None:
    billing = billing_entry(hass, {"Alice": {}, "Bob": {}})
    await set_up(hass, mock_config_entry, billing)
    ids = user_ids(billing)
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 1))
    await start_session(hass, "Bob", outlet_device(hass, agent.serial, 2))
    await wait_for(lambda: user_wh(hass, ids["Alice"]) > 0.01)
    sessions = {session.id for session in ledger(hass).open_sessions()}

    await unload_all(hass)  # Home Assistant stops: the ledger is saved, nothing stays in memory
    assert LEDGER_KEY not in hass.data
    stored = hass_storage["smartmulti.ledger"]["data"]  # type: ignore[index]
    assert {session["id"] for session in stored["sessions"]} == sessions
    before = {o: stored["meters"][f"{agent.serial}:{o}"]["counted_wh"] for o in (1, 2, 3, LAMP)}
    totals = {name: stored["totals"][user_id]["energy_wh"] for name, user_id in ids.items()}
    unassigned = stored["unassigned"]["energy_wh"]
    # The strip charges on while Home Assistant is down.
    await wait_for(lambda: agent.agent.controller.outlet(1).energy_wh > before[1] + 0.05)

    await set_up(hass, mock_config_entry, billing)
    await wait_for(lambda: user_wh(hass, ids["Alice"]) > totals["Alice"] + 0.1)

    after = counters(mock_config_entry)
    assert {session.id for session in ledger(hass).open_sessions()} == sessions
    for name, outlet_id in (("Alice", 1), ("Bob", 2)):
        assert user_wh(hass, ids[name]) - totals[name] == pytest.approx(
            after[outlet_id] - before[outlet_id], abs=1e-9
        )
    assert ledger(hass).unassigned.energy_wh - unassigned == pytest.approx(
        after[3] - before[3] + after[LAMP] - before[LAMP], abs=1e-9
    )


@pytest.mark.usefixtures("fast_reconnect")
async def test_sessions_survive_an_agent_restart_with_exact_totals(
    hass: HomeAssistant,
    start_test_agent: AgentFactory,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
) -> None:
    alice = await alice_in_session(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data.coordinator
    await wait_for(lambda: user_wh(hass, alice) > 0.01)
    before, alice_before = counters(mock_config_entry), user_wh(hass, alice)

    await agent.stop()  # saves its counters on the way out
    await wait_for(lambda: not coordinator.last_update_success)
    restarted = await start_test_agent(port=agent.port)
    await wait_for(lambda: coordinator.stream_connected and coordinator.last_update_success)
    await wait_for(lambda: user_wh(hass, alice) > alice_before + 0.05)

    after = counters(mock_config_entry)
    assert restarted.agent.epoch == agent.agent.epoch
    assert user_wh(hass, alice) - alice_before == pytest.approx(after[1] - before[1], abs=1e-9)
    assert open_session(hass, alice).energy_wh == pytest.approx(user_wh(hass, alice), abs=1e-9)


@pytest.mark.usefixtures("fast_reconnect")
async def test_a_counter_restored_lower_after_a_crash_is_neither_lost_nor_counted_twice(
    hass: HomeAssistant,
    start_test_agent: AgentFactory,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
) -> None:
    alice = await alice_in_session(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data.coordinator
    seen: list[dict[int, float]] = []
    coordinator.async_add_listener(
        lambda: (
            seen.append(counters(mock_config_entry)) if coordinator.last_update_success else None
        )
    )
    shown: list[float] = []

    def record(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None and new.state not in ("unavailable",):
            shown.append(float(new.state))

    async_track_state_change_event(hass, ["sensor.desk_1_energy"], record)
    await wait_for(lambda: user_wh(hass, alice) > 0.01)

    await agent.stop()
    await wait_for(lambda: not coordinator.last_update_success)
    last, alice_last = counters(mock_config_entry), user_wh(hass, alice)
    # A kill -9: the agent comes back with counters saved a while before.
    store = StateStore(agent.data_dir / "state.json")
    saved = store.load()
    assert saved is not None
    saved["outlets"]["1"]["energy_wh"] = last[1] - 0.2
    store.save(saved)
    mark = len(seen)
    await start_test_agent(port=agent.port)
    await wait_for(lambda: len(seen) > mark)
    first_after = seen[mark]
    assert first_after[1] < last[1]
    await wait_for(lambda: counters(mock_config_entry)[1] > last[1] + 0.05)

    final = counters(mock_config_entry)
    # What the agent counted since it came back is Alice's, once.
    assert user_wh(hass, alice) - alice_last == pytest.approx(final[1] - first_after[1], abs=1e-9)
    assert shown == sorted(shown)  # the energy sensor never went back


@pytest.mark.usefixtures("fast_reconnect")
async def test_a_strip_that_lost_its_counters_counts_from_zero_without_losing_a_session(
    hass: HomeAssistant,
    start_test_agent: AgentFactory,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
) -> None:
    alice = await alice_in_session(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data.coordinator
    await wait_for(lambda: user_wh(hass, alice) > 0.01)

    await agent.stop()
    await wait_for(lambda: not coordinator.last_update_success)
    alice_last = user_wh(hass, alice)
    for path in agent.data_dir.glob("state.json*"):  # a new SD card
        path.unlink()
    restarted = await start_test_agent(port=agent.port)
    await wait_for(
        lambda: (
            coordinator.data.info.energy_epoch == restarted.agent.epoch
            and user_wh(hass, alice) > alice_last + 0.02
        )
    )

    final = counters(mock_config_entry)
    assert restarted.agent.epoch != agent.agent.epoch
    assert user_wh(hass, alice) - alice_last == pytest.approx(final[1], abs=1e-9)
    assert open_session(hass, alice).energy_wh == pytest.approx(user_wh(hass, alice), abs=1e-9)


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

    paired(3, "any name", reporter_proof(links.secret(ids["Alice"])))
    await wait_for(lambda: ledger(hass).open_sessions(ids["Alice"]))
    session = open_session(hass, ids["Alice"])
    assert (session.outlet, session.start_reason) == (3, StartReason.PAIRED)

    old = links.secret(ids["Bob"])
    links.renew(ids["Bob"])
    paired(4, "Bob", reporter_proof(old))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert ledger(hass).open_sessions(ids["Bob"]) == []
    paired(4, "Bob", reporter_proof(links.secret(ids["Bob"])))  # given the new link
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


async def test_a_proven_pairing_shows_the_proven_users_configured_name(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    """The proof names the user; the name the reporter sent with it is not shown."""
    billing = billing_entry(hass, {"Alice": {}, "Bob": {}})
    await set_up(hass, mock_config_entry, billing)
    alice = user_ids(billing)["Alice"]

    _found(agent, 3, "Bob", reporter_proof(async_get_links(hass).secret(alice)))

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
    _found(agent, 2, "bob", reporter_proof(links.secret(bob)))
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


async def test_the_ledger_counting_energy_does_not_rewrite_unchanged_entities(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    alice = await alice_in_session(hass, mock_config_entry)
    await wait_for(lambda: hass.states.get("select.desk_1_user").state == "Alice")
    user_select = hass.states.get("select.desk_2_user")
    assert user_select is not None
    # Home Assistant moves last_reported in place on the state object it keeps.
    reported = user_select.last_reported

    # The ledger counts Alice's energy (and tells its entities) several times meanwhile.
    counted = user_wh(hass, alice)
    await wait_for(lambda: user_wh(hass, alice) > counted + 0.01)

    assert hass.states.get("select.desk_2_user") is user_select
    assert user_select.last_reported == reported
