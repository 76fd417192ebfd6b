"""Strips sharing circuits: each circuit's budget is split among the real agents below it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PORT,
    CONF_TOKEN,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import CONF_BALANCING_INTERVAL, CONF_CIRCUIT, DOMAIN
from custom_components.smartmulti.identifiers import strip_device_identifier
from custom_components.smartmulti.planning.scheduler import async_get_scheduler
from custom_components.smartmulti.planning.storage import STORAGE_KEY
from custom_components.smartmulti.planning.strip import StripPlanner
from pi_agent.config import StripConfig
from pi_agent.sim.fleet import Laptop
from tests.integration.devices import device_with
from tests.support.agent import RunningAgent

from .circuit_support import busy_for_plans, enforced_w, watching
from .conftest import (
    FAST_CYCLES,
    AgentFactory,
    DrawRecord,
    circuit_entry,
    record_draws,
    restore_budget_and_strategy,
    run_reporters,
    setup_entries,
    strip_entry,
    wait_for,
)
from .simulated_hour_support import HOUR_S, METER_TOLERANCE, SPEED


def _strip_config(name: str, **changes: float) -> StripConfig:
    settings = {
        "hard_limit_w": 600.0,
        "failsafe_budget_w": 150.0,
        "min_on_s": 4.0,
        "min_off_s": 2.0,
        "stagger_s": 0.2,
        "settle_s": 0.5,
    } | changes
    return StripConfig(name=name, **settings)


def _limit(running: RunningAgent) -> float:
    """The limit the agent's guard enforces now."""
    return running.agent.controller.limit_w


def _plan_over(running: RunningAgent) -> bool:
    """The agent's plan has run out (it need not have sampled since: it may be stopped)."""
    plan = running.agent.controller.plan
    return plan is None or running.agent.now() >= plan.expires_at


def _planned(running: RunningAgent) -> bool:
    return running.agent.controller.mode == "planned"


async def _two_strips(
    hass: HomeAssistant, start_test_agent: AgentFactory, circuit_w: float, interval_s: int = 1
) -> tuple[MockConfigEntry, RunningAgent, RunningAgent]:
    """Strips A and B on one circuit "Room", set up and planned."""
    a = await start_test_agent("a", strip=_strip_config("Strip A"))
    b = await start_test_agent("b", strip=_strip_config("Strip B"))
    circuit = circuit_entry(hass, "Room", circuit_w)
    strips = [
        strip_entry(
            hass,
            running,
            **{CONF_CIRCUIT: circuit.entry_id, CONF_BALANCING_INTERVAL: interval_s},
        )
        for running in (a, b)
    ]
    await setup_entries(hass, circuit, *strips)
    await wait_for(lambda: _planned(a) and _planned(b))
    return circuit, a, b


async def test_two_strips_stay_under_their_circuit_budget_for_a_simulated_hour_and_both_charge(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    """Each strip alone would draw about 500 W (five laptops and a lamp): 450 W for both."""
    budget_w = 450.0
    a = await start_test_agent("a", seed=5, speed=SPEED, outlets=6, strip=_strip_config("A"))
    b = await start_test_agent("b", seed=12, speed=SPEED, outlets=6, strip=_strip_config("B"))
    strips = (a, b)
    laptops = {
        (running.serial, i): running.world
        for running in strips
        for i in range(1, 7)
        if isinstance(running.world.occupant(i), Laptop)
    }
    # Nobody leaves during the hour, and together they want far more than the circuit has.
    assert all(world.occupant(i).stay_s > 1.2 * HOUR_S for (_, i), world in laptops.items())
    assert sum(world.occupant(i).spec.max_draw_w for (_, i), world in laptops.items()) > 800
    restore_budget_and_strategy(hass, 600.0, "battery_priority", "a", "b")
    circuit = circuit_entry(hass, "Room", budget_w)
    entries = [
        strip_entry(hass, running, **FAST_CYCLES, **{CONF_CIRCUIT: circuit.entry_id})
        for running in strips
    ]
    record = DrawRecord()
    tasks = [
        *(asyncio.create_task(run_reporters(running, interval_s=0.5)) for running in strips),
        asyncio.create_task(record_draws(a, [a, b], record)),
    ]
    try:
        await setup_entries(hass, circuit, *entries)
        start_soc = {key: world.soc(key[1]) for key, world in laptops.items()}
        start_wh = {key: world.energy_wh(key[1]) for key, world in laptops.items()}
        start_s = a.world.time_s
        while a.world.time_s - start_s < HOUR_S:
            await a.agent.next_sample()
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks)

    # The two strips' true draw never exceeds the circuit's budget beyond a guard's hold.
    hold = a.config.strip.hold_s + 2 * a.config.strip.sample_period_s
    assert len(record.samples) > 100
    assert [run for run in record.over(budget_w, METER_TOLERANCE) if run > hold] == []
    # Both make progress: laptops on each strip took energy, and its emptiest laptop (which
    # would only have drained, unplanned) ends the hour with more charge than it started.
    for running in strips:
        mine = [key for key in laptops if key[0] == running.serial]
        gained_wh = sum(running.world.energy_wh(i) - start_wh[serial, i] for serial, i in mine)
        assert gained_wh > 10.0, running.serial
        emptiest = min(mine, key=start_soc.__getitem__)
        assert running.world.soc(emptiest[1]) > start_soc[emptiest], running.serial


async def test_a_lowered_circuit_budget_is_in_force_within_one_cycle(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    _, a, b = await _two_strips(hass, start_test_agent, 1200.0, interval_s=60)
    assert _limit(a) + _limit(b) > 300.0

    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: "number.room_power_budget", "value": 300},
        blocking=True,
    )

    await wait_for(lambda: _limit(a) + _limit(b) <= 300.0, limit_s=2.0)
    assert hass.states.get("number.room_power_budget").state == "300.0"


async def test_nested_circuits_hold_every_level(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a = await start_test_agent("a", strip=_strip_config("Strip A"))
    b = await start_test_agent("b", strip=_strip_config("Strip B"))
    site = circuit_entry(hass, "Site", 500.0)
    room = circuit_entry(hass, "Room", 250.0, parent=site)
    entries = [
        strip_entry(hass, a, **FAST_CYCLES, **{CONF_CIRCUIT: room.entry_id}),
        strip_entry(hass, b, **FAST_CYCLES, **{CONF_CIRCUIT: site.entry_id}),
    ]
    await setup_entries(hass, site, room, *entries)
    await wait_for(lambda: _planned(a) and _planned(b))

    await wait_for(lambda: hass.states.get("sensor.room_allocated_to_strips").state != "unknown")
    assert _limit(a) <= 250.0
    assert _limit(a) + _limit(b) <= 500.0
    assert float(hass.states.get("sensor.room_allocated_to_strips").state) <= 250.0
    assert float(hass.states.get("sensor.site_allocated_to_strips").state) <= 500.0
    # What each level measures rolls up: A's draw reaches the room, the room's and B's the site.
    await wait_for(
        lambda: (
            float(hass.states.get("sensor.site_power").state)
            > float(hass.states.get("sensor.room_power").state)
            > 0.0
        )
    )


async def test_an_unreachable_strip_keeps_its_room_on_the_circuit(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    _, a, b = await _two_strips(hass, start_test_agent, 600.0)
    entry_b = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, b.serial)
    assert entry_b is not None
    planner_b: StripPlanner = entry_b.runtime_data.planner

    await b.stop()
    await wait_for(lambda: not planner_b.ready)

    room_for_b = planner_b.footprint_w  # its last plan's budget, or its failsafe's
    assert room_for_b >= 150.0
    await wait_for(lambda: hass.states.get("switch.strip_b_balancing").state == STATE_UNAVAILABLE)
    await wait_for(lambda: _limit(a) <= 600.0 - room_for_b + 0.1)


async def test_an_unloaded_strip_keeps_its_room_until_its_entry_is_removed(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    _, a, b = await _two_strips(hass, start_test_agent, 600.0)
    entry_b = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, b.serial)
    assert entry_b is not None

    assert await hass.config_entries.async_unload(entry_b.entry_id)

    await wait_for(lambda: b.agent.controller.mode == "failsafe")  # released at once
    await wait_for(lambda: _limit(a) <= 600.0 - 150.0 + 0.1)  # B's failsafe may draw 150 W

    assert await hass.config_entries.async_remove(entry_b.entry_id)

    await wait_for(lambda: _limit(a) > 600.0 - 150.0 + 0.1)


async def test_the_circuit_budget_number_stops_at_the_circuit_rating(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    await _two_strips(hass, start_test_agent, 900.0)

    state = hass.states.get("number.room_power_budget")

    assert state.state == "900.0"
    assert state.attributes["max"] == 900.0
    assert state.attributes["unit_of_measurement"] == "W"
    assert hass.states.get("sensor.room_power").attributes["device_class"] == "power"


async def test_a_strip_not_loaded_since_a_restart_keeps_its_room_on_the_circuit(
    hass: HomeAssistant, start_test_agent: AgentFactory, hass_storage: dict[str, Any]
) -> None:
    """B's agent runs whether or not Home Assistant has loaded it: its last plan for a plan's ttl
    after start-up (up to its hard limit), then its failsafe."""
    a = await start_test_agent("a", strip=_strip_config("Strip A"))
    circuit = circuit_entry(hass, "Room", 600.0)
    entry_a = strip_entry(hass, a, **FAST_CYCLES, **{CONF_CIRCUIT: circuit.entry_id})
    entry_b = MockConfigEntry(
        domain=DOMAIN,
        title="Strip B",
        unique_id="sim-b-1",
        data={CONF_HOST: "127.0.0.1", CONF_PORT: 9, CONF_TOKEN: "b"},
        options={**FAST_CYCLES, CONF_CIRCUIT: circuit.entry_id},
        disabled_by=ConfigEntryDisabler.USER,  # not loaded: as if still starting
    )
    entry_b.add_to_hass(hass)
    hass_storage[STORAGE_KEY] = {
        "version": 1,
        "key": STORAGE_KEY,
        "data": {"strips": {entry_b.entry_id: {"hard_limit_w": 400.0, "failsafe_w": 150.0}}},
    }

    await setup_entries(hass, circuit, entry_a)

    assert _limit(a) <= 600.0 - 400.0  # B may still follow its last plan
    await wait_for(lambda: _limit(a) == 600.0 - 150.0)  # the plan has expired: B's failsafe


async def test_a_closed_strip_leaves_its_share_of_the_circuit_to_the_open_one(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    _, a, b = await _two_strips(hass, start_test_agent, 600.0)
    await wait_for(lambda: _limit(a) < 450.0 and _limit(b) > 150.0)  # both strips charge
    device = device_with(hass, strip_device_identifier(b.serial))
    assert device is not None
    lamp_w = next(o.max_power_w for o in b.agent.config.outlets if o.exception)

    await hass.services.async_call(DOMAIN, "shutdown", {"device_id": device.id}, blocking=True)

    # B keeps room for its lamp (and an even part of any room nobody needs); its laptops' share
    # goes to A's laptops.
    await wait_for(lambda: _limit(b) < 150.0 and _limit(a) > 450.0)
    assert _limit(b) >= lamp_w
    assert _limit(a) + _limit(b) <= 600.0


async def test_a_disabled_circuit_still_holds_its_strips_and_the_circuits_below_it(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    """Disabling an entry stops Home Assistant's use of it, not the breaker: the strips below
    it, directly or through a sub-circuit, stay within its rating."""
    a = await start_test_agent("a", strip=_strip_config("Strip A"))
    b = await start_test_agent("b", strip=_strip_config("Strip B"))
    site = circuit_entry(hass, "Site", 300.0)
    room = circuit_entry(hass, "Room", 1000.0, parent=site)
    entries = [
        strip_entry(hass, a, **FAST_CYCLES, **{CONF_CIRCUIT: room.entry_id}),
        strip_entry(hass, b, **FAST_CYCLES, **{CONF_CIRCUIT: site.entry_id}),
    ]
    await setup_entries(hass, site, room, *entries)
    await wait_for(lambda: _planned(a) and _planned(b))
    scheduler = async_get_scheduler(hass)

    with watching([a, b]) as watch:
        await hass.config_entries.async_set_disabled_by(site.entry_id, ConfigEntryDisabler.USER)
        await hass.async_block_till_done()
        cycles = scheduler.cycles
        await wait_for(lambda: scheduler.cycles >= cycles + 2)

    assert max(watch.enforced) <= 300.0
    assert max(watch.failsafe) <= 300.0


async def test_an_unreachable_strip_keeps_its_whole_room_though_the_other_holds_more_on(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    """A's laptops are held on (their minimum on time) beyond what B leaves: A sheds them,
    B's room is not cut to fit them, as B's agent runs on its own."""
    a = await start_test_agent("a", strip=_strip_config("Strip A", min_on_s=600.0))
    b = await start_test_agent("b", strip=_strip_config("Strip B"))
    circuit = circuit_entry(hass, "Room", 250.0)
    entries = [
        strip_entry(hass, running, **FAST_CYCLES, **{CONF_CIRCUIT: circuit.entry_id})
        for running in (a, b)
    ]
    await setup_entries(hass, circuit, *entries)
    await wait_for(lambda: _planned(a) and _planned(b))
    planner_b: StripPlanner = entries[1].runtime_data.planner
    await wait_for(
        lambda: a.agent.controller.total_w > 250.0 - planner_b.footprint_w + 10.0, limit_s=15.0
    )
    scheduler = async_get_scheduler(hass)

    with watching([a, b]) as watch:
        await b.stop()
        await wait_for(lambda: not planner_b.ready)
        await wait_for(lambda: _plan_over(b), limit_s=10.0)  # B runs its failsafe
        cycles = scheduler.cycles
        await wait_for(lambda: scheduler.cycles >= cycles + 2)

    assert max(watch.enforced) <= 250.0


async def test_a_strip_that_takes_no_plan_keeps_its_room_though_its_agent_answers(
    hass: HomeAssistant, start_test_agent: AgentFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B's last plan runs out and its failsafe takes over: A's share leaves room for that."""
    _, a, b = await _two_strips(hass, start_test_agent, 300.0)
    entry_b = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, b.serial)
    assert entry_b is not None
    planner_b: StripPlanner = entry_b.runtime_data.planner
    scheduler = async_get_scheduler(hass)

    with watching([a, b]) as watch:
        busy_for_plans(monkeypatch, b.port)
        await wait_for(lambda: b.agent.controller.mode == "failsafe", limit_s=10.0)
        cycles = scheduler.cycles
        await wait_for(lambda: scheduler.cycles >= cycles + 2)

    assert planner_b.ready  # seen all along: only its plans fail
    assert max(watch.enforced) <= 300.0
    assert max(watch.failsafe) <= 300.0


async def test_a_strip_restarted_without_its_plan_holds_the_others_until_it_takes_one(
    hass: HomeAssistant,
    start_test_agent: AgentFactory,
    fast_reconnect: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One strip's agent restarts with its plan lost (its state file gone): it runs its
    failsafe, more than its last plan gave it, and is too busy to take a new plan. The next
    cycle makes room for that failsafe: the other strip's share goes down."""
    _, a, b = await _two_strips(hass, start_test_agent, 300.0, interval_s=60)
    await wait_for(lambda: min(_limit(a), _limit(b)) < 150.0)  # a share below the failsafe
    low, high = sorted((a, b), key=_limit)
    entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, low.serial)
    assert entry is not None
    planner: StripPlanner = entry.runtime_data.planner
    await low.stop()
    for saved in low.data_dir.glob("state.json*"):
        saved.unlink()
    busy_for_plans(monkeypatch, low.port)
    scheduler = async_get_scheduler(hass)

    restarted = dt_util.utcnow()
    back = await start_test_agent(
        low.data_dir.name, strip=_strip_config(low.config.strip.name), port=low.port
    )
    # A cycle has planned it since (and sent it nothing).
    await wait_for(
        lambda: (
            planner.ready
            and planner.result is not None
            and planner.result.planned_at > restarted
            and scheduler._task is None
        ),
        limit_s=10.0,
    )

    assert not _planned(back)
    assert enforced_w(high) + enforced_w(back) <= 300.0
