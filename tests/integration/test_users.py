"""Users and sessions against a real agent: who gets which Wh, across restarts of either side.

Exactness is checked against what Home Assistant received from the agent (the coordinator's
counters), read in the same event-loop step as the ledger's figures: between two steps the
ledger has counted every state the coordinator published.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.billing.ledger import LEDGER_KEY
from custom_components.smartmulti.billing.sessions import EndReason
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.entry_kinds import is_billing_entry
from pi_agent.storage import StateStore
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
from .conftest import AgentFactory, wait_for
from .link_support import NetworkLink, linked_strip_fixture  # noqa: F401 (a fixture)

LAMP = 4  # the exception outlet: a constant 40 W

pytestmark = pytest.mark.usefixtures("flush_energy_often")


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
    saved["outlets"]["1"]["energy_wh"] = last[1] / 2
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


@pytest.mark.usefixtures("fast_reconnect")
async def test_a_session_started_while_the_strip_is_unreachable_pays_only_what_follows(
    hass: HomeAssistant,
    agent: RunningAgent,
    linked_strip: tuple[MockConfigEntry, NetworkLink],
) -> None:
    strip, link = linked_strip
    billing = billing_entry(hass, {"Alice": {}, "Bob": {}})
    await set_up(hass, strip, billing)
    ids = user_ids(billing)
    desk_1 = outlet_device(hass, agent.serial, 1)
    coordinator = strip.runtime_data.coordinator
    await start_session(hass, "Alice", desk_1)
    await wait_for(lambda: user_wh(hass, ids["Alice"]) > 0.01)

    await link.cut()  # the strip's Wi-Fi drops; its agent counts on
    await wait_for(lambda: not coordinator.last_update_success)
    before, alice = counters(strip), user_wh(hass, ids["Alice"])
    unassigned = ledger(hass).unassigned.energy_wh
    desk = agent.agent.controller.outlet(1)
    await wait_for(lambda: desk.energy_wh > before[1] + 0.05)
    # Bob takes the desk (an NFC tag): the counter now is more than Home Assistant last saw.
    await start_session(hass, "Bob", desk_1)
    bob_arrived = round(desk.energy_wh, 6)  # as the agent sends it
    session = open_session(hass, ids["Bob"])
    await link.restore()
    await wait_for(lambda: coordinator.last_update_success and coordinator.stream_connected)
    await wait_for(lambda: counters(strip)[1] > bob_arrived + 0.05)

    after, bob = counters(strip), user_wh(hass, ids["Bob"])
    # Bob pays for none of what was drawn before he came, nor Alice for what followed her stop.
    assert session.meter_start_wh >= bob_arrived
    assert bob == pytest.approx(after[1] - session.meter_start_wh, abs=1e-9)
    assert bob == pytest.approx(session.energy_wh, abs=1e-9)
    assert user_wh(hass, ids["Alice"]) == alice
    # Not a Wh lost: what nobody can be billed for is Unassigned.
    assert bob + ledger(hass).unassigned.energy_wh - unassigned == pytest.approx(
        sum(after[o] - before[o] for o in after), abs=1e-9
    )


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
