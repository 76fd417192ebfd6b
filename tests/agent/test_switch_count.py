"""The relay counter: every real operation of a relay counts once, whoever asked for it, and the
count shown never goes back, across a clean restart or a kill between two saves."""

from __future__ import annotations

from dataclasses import replace
import json
import logging
from pathlib import Path

import pytest

from pi_agent.api.events import EventHub
from pi_agent.api.views import outlet_view, strip_view
from pi_agent.control.settings import MAX_SWITCHES
from pi_agent.runtime import Agent
from pi_agent.simulation import SIM_STRIP
from pi_agent.storage import StateStore
from tests.support.agent import build_agent

from .harness import Harness

# A command acts on the next sample: no stagger, no minimum on or off time.
QUICK = replace(SIM_STRIP, stagger_s=0, min_on_s=0, min_off_s=0)


def counts(harness: Harness) -> list[int]:
    return [o.switches for o in harness.controller.outlets]


def test_each_change_of_a_relay_counts_once_and_a_repeated_command_not_at_all() -> None:
    harness = Harness(2, loads={1: 50.0, 2: 50.0}, min_on_s=0, min_off_s=0)
    harness.plan([1, 2])
    harness.run(2)
    assert harness.on() == {1, 2}
    assert counts(harness) == [1, 1]
    harness.plan([1, 2])  # the same plan again: nothing to switch
    harness.controller.set_override(1, True)  # on already
    harness.run(2)
    assert counts(harness) == [1, 1]
    harness.controller.set_override(1, False)
    harness.run(1)
    harness.controller.set_override(1, True)
    harness.run(1)
    assert harness.on() == {1, 2}
    assert counts(harness) == [3, 1]


def test_a_switch_to_the_state_the_relay_is_in_does_not_count() -> None:
    harness = Harness(1)
    outlet = harness.controller.outlet(1)
    outlet.switched(False, harness.now, 0.0)  # off already
    assert outlet.switches == 0
    outlet.switched(True, harness.now, 0.0)
    outlet.switched(True, harness.now, 0.0)
    assert outlet.switches == 1


def test_guard_sheds_and_exception_outlets_count() -> None:
    harness = Harness(3, loads={1: 300.0, 2: 300.0, 3: 40.0}, exceptions=[3], max_power_w=400)
    harness.plan([1, 2], priority=[1, 2], budget_w=10_000)
    harness.run(10)
    assert harness.on() == {1, 2, 3}
    assert counts(harness) == [1, 1, 1]  # the lamp too: it is switched on like the others
    harness.loads[2] = 800.0  # 1140 W, over the 1000 W hard limit
    harness.run(1.5)
    assert harness.controller.guard.trips == 1
    assert harness.on() == {1, 3}
    assert counts(harness) == [1, 2, 1]


def test_a_relay_that_refuses_to_switch_does_not_count() -> None:
    harness = Harness(2, loads={1: 50.0, 2: 50.0})
    harness.relays[0].close()  # its GPIO pin released: every command to it fails
    harness.plan([1, 2])
    harness.run(3)
    one, two = harness.controller.outlet(1), harness.controller.outlet(2)
    assert one.relay_fault is not None
    assert (one.relay_on, one.switches) == (False, 0)
    assert (two.relay_on, two.switches) == (True, 1)


def test_the_safe_state_at_exit_counts_what_it_switches() -> None:
    harness = Harness(3, loads={1: 50.0, 2: 50.0, 3: 40.0}, exceptions=[3])
    harness.plan([1])
    harness.run(3)
    harness.controller.to_safe_state()  # everything off: the exception outlet too by default
    assert counts(harness) == [2, 0, 2]


def test_the_count_is_saved_with_the_counters_and_restored() -> None:
    harness = Harness(2, loads={1: 50.0}, min_on_s=0, min_off_s=0)
    harness.plan([1])
    harness.run(2)
    harness.plan([])
    harness.run(2)
    on_disk = json.loads(json.dumps(harness.controller.persistent_state()))
    restarted = Harness(2)
    assert restarted.controller.restore({int(k): v for k, v in on_disk.items()}) == []
    assert counts(restarted) == [2, 0]
    restarted.controller.restore({1: {"switches": 1}})  # an older copy never lowers it
    assert counts(restarted) == [2, 0]


@pytest.mark.parametrize("saved", [-1, 2.5, "12", True, None, MAX_SWITCHES + 1, float("inf"), [3]])
def test_a_saved_count_no_relay_could_have_is_dropped_and_said(saved: object) -> None:
    harness = Harness(2)
    dropped = harness.controller.restore({1: {"switches": saved}, 2: {"switches": 7}})
    assert counts(harness) == [0, 7]
    assert dropped == [f"outlet 1: switches ({saved!r} is not a relay's count)"]


def test_a_state_file_from_before_the_count_starts_it_at_zero() -> None:
    harness = Harness(1)
    assert harness.controller.restore({1: {"energy_wh": 3.0}}) == []
    assert counts(harness) == [0]


def agent_at(data_dir: Path) -> Agent:
    agent, _ = build_agent(data_dir, outlets=4, strip=QUICK)
    return agent


async def switch(agent: Agent, outlet_id: int, on: bool) -> None:
    """A manager's command, held until the relay obeys (a switch-on waits for admission)."""
    agent.controller.set_override(outlet_id, on)
    for _ in range(20):
        await agent.sample_once()
        if agent.controller.outlet(outlet_id).relay_on is on:
            return
    raise AssertionError(f"outlet {outlet_id} did not switch {'on' if on else 'off'}")


def shown(agent: Agent, outlet_id: int) -> int:
    view = outlet_view(agent.controller, agent.controller.outlet(outlet_id), agent.now())
    return int(view["switches"])


async def test_the_count_shown_is_the_saved_one_and_survives_a_clean_restart(
    tmp_path: Path,
) -> None:
    agent = agent_at(tmp_path)
    await switch(agent, 1, True)
    await switch(agent, 1, False)
    assert agent.controller.outlet(1).switches == 2
    assert shown(agent, 1) == 0  # not on disk yet
    assert await agent.persist()
    assert shown(agent, 1) == 2
    agent.shutdown_hardware()
    await agent.persist()  # as the agent exits

    again = agent_at(tmp_path)
    assert again.controller.outlet(1).switches == 2
    assert shown(again, 1) == 2


async def test_a_kill_between_two_saves_never_shows_a_lower_count(tmp_path: Path) -> None:
    agent = agent_at(tmp_path)
    await switch(agent, 1, True)
    assert await agent.persist()
    await switch(agent, 1, False)
    await switch(agent, 1, True)
    before = shown(agent, 1)
    assert (agent.controller.outlet(1).switches, before) == (3, 1)
    saved = StateStore(tmp_path / "state.json").load()
    assert saved is not None
    assert saved["outlets"]["1"]["switches"] == before
    # Killed here: the last two operations were never saved. A new process reads the file.
    again = agent_at(tmp_path)
    assert shown(again, 1) >= before


async def test_a_bad_saved_count_is_logged_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    agent = agent_at(tmp_path)
    assert await agent.persist()
    store = StateStore(tmp_path / "state.json")
    saved = store.load()
    assert saved is not None
    saved["outlets"]["2"]["switches"] = -4
    store.save(saved)
    with caplog.at_level(logging.WARNING, logger="pi_agent.runtime"):
        again = agent_at(tmp_path)
    assert "Not restored from the state file: outlet 2: switches (-4" in caplog.text
    assert again.controller.outlet(2).switches == 0


async def test_a_new_count_goes_out_on_the_event_stream_once_saved(tmp_path: Path) -> None:
    agent = agent_at(tmp_path)
    await switch(agent, 1, True)
    assert await agent.persist()
    hub = EventHub(refresh_s=3600)
    queue, _ = hub.subscribe(strip_view(agent.controller, agent.now()))
    await switch(agent, 1, False)
    hub.publish(strip_view(agent.controller, agent.now()), 1.0)
    relay_change = queue.get_nowait() or b""
    assert b'"relay":false' in relay_change
    assert b'"switches"' not in relay_change  # not on disk yet
    assert await agent.persist()
    hub.publish(strip_view(agent.controller, agent.now()), 2.0)
    assert b'"switches":2' in (queue.get_nowait() or b"")
