"""What the engine learned of the laptops, across a restart of Home Assistant (real agent).

Home Assistant stopping is modelled as the entries unloading and the site's scheduler going
away with the process; what survives is only what ``hass_storage`` holds, as on disk.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.smartmulti.balancing.persist import decode
from custom_components.smartmulti.planning.engine_memory import (
    MAX_AGE,
    SAVE_DELAY_S,
    STORAGE_KEY,
    STORAGE_VERSION,
)
from custom_components.smartmulti.planning.scheduler import (
    SCHEDULER_KEY,
    SiteScheduler,
    async_get_scheduler,
)
from tests.support.agent import RunningAgent

from .conftest import FAST_CYCLES, setup_entries, strip_entry, wait_for

DESK = 1  # a laptop charges there from the start


def _memory(site: SiteScheduler, serial: str) -> Any:
    state = site.engine.snapshot().get(serial)
    return None if state is None else state.memory.get(DESK)


def _remembered(site: SiteScheduler, serial: str) -> Any:
    """The desk's memory as the next write would store it (the live engine may be a cycle
    ahead of it)."""
    state = site.memory.states.get(serial)
    return None if state is None else state.memory.get(DESK)


async def _learned(hass: HomeAssistant, running: RunningAgent) -> SiteScheduler:
    """A strip planned until the memory to be written holds the desk's measured laptop."""
    await setup_entries(hass, strip_entry(hass, running, **FAST_CYCLES))
    site = async_get_scheduler(hass)
    await wait_for(
        lambda: (m := _remembered(site, running.serial)) is not None and m.charger.peak_w > 0,
        15.0,
    )
    return site


def _stored(hass_storage: dict[str, Any], serial: str) -> Any:
    """The strip's memory as written to disk."""
    return decode(hass_storage[STORAGE_KEY]["data"]["strips"][serial])


async def _final_write(hass: HomeAssistant) -> None:
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()


async def _stop(hass: HomeAssistant) -> None:
    """Home Assistant stops: its final write flushes the delayed ones, the process ends."""
    site = hass.data[SCHEDULER_KEY]
    for entry in hass.config_entries.async_entries():
        assert await hass.config_entries.async_unload(entry.entry_id)
    await _final_write(hass)
    assert hass.data.pop(SCHEDULER_KEY) is site


async def _start(hass: HomeAssistant) -> SiteScheduler:
    await setup_entries(hass, *hass.config_entries.async_entries())
    return async_get_scheduler(hass)


async def _restart(hass: HomeAssistant) -> SiteScheduler:
    await _stop(hass)
    return await _start(hass)


async def test_what_the_engine_learned_survives_a_restart(
    hass: HomeAssistant, agent: RunningAgent, hass_storage: dict[str, Any]
) -> None:
    site = await _learned(hass, agent)
    new = await _restart(hass)

    assert list(hass_storage[STORAGE_KEY]["data"]["strips"]) == [agent.serial]
    before = _stored(hass_storage, agent.serial)
    assert new is not site
    after = _memory(new, agent.serial)
    # The laptop is the one it was: measured, and on the desk since it was first seen, on a
    # clock that ran on across the restart.
    assert after.occupant.arrived_at == before.memory[DESK].occupant.arrived_at
    assert after.charger.peak_w >= before.memory[DESK].charger.peak_w > 0
    await wait_for(lambda: new.engine.snapshot()[agent.serial].at > before.at)


async def test_the_memory_is_written_within_a_minute_while_cycles_go_on(
    hass: HomeAssistant, agent: RunningAgent, hass_storage: dict[str, Any]
) -> None:
    site = await _learned(hass, agent)
    cycles = site.cycles
    await wait_for(lambda: site.cycles >= cycles + 2)  # each cycle remembers afresh
    assert STORAGE_KEY not in hass_storage

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SAVE_DELAY_S + 1))
    await hass.async_block_till_done()

    assert _stored(hass_storage, agent.serial).memory[DESK].charger.peak_w > 0


async def test_memory_too_old_is_not_taken_up(
    hass: HomeAssistant, agent: RunningAgent, hass_storage: dict[str, Any]
) -> None:
    site = await _learned(hass, agent)
    await _stop(hass)
    old = _stored(hass_storage, agent.serial)
    # The next start is more than an hour after the memory was taken.
    aged = dt_util.utcnow() - MAX_AGE - timedelta(minutes=1)
    hass_storage[STORAGE_KEY]["data"]["at"] = aged.isoformat()
    fresh = await _start(hass)

    assert fresh is not site
    await wait_for(lambda: _memory(fresh, agent.serial) is not None)
    # Seen anew: its arrival is this run's first sight of it, not the old one.
    assert _memory(fresh, agent.serial).occupant.arrived_at != old.memory[DESK].occupant.arrived_at


@pytest.mark.parametrize(
    "data",
    [
        {"at": "yesterday", "strips": {}},
        {"at": dt_util.utcnow().isoformat(), "strips": {"sim": {"format": 99}}},
        {"strips": []},
        ["not", "a", "mapping"],
    ],
)
async def test_damaged_memory_is_logged_and_replaced(
    hass: HomeAssistant,
    agent: RunningAgent,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    data: Any,
) -> None:
    hass_storage[STORAGE_KEY] = {"version": STORAGE_VERSION, "key": STORAGE_KEY, "data": data}
    with caplog.at_level(logging.WARNING):
        await _learned(hass, agent)
    assert "balancing memory saved by the last run cannot be read" in caplog.text

    await _final_write(hass)
    assert _stored(hass_storage, agent.serial).memory[DESK].charger.peak_w > 0


async def test_a_removed_strip_leaves_nothing_in_the_memory(
    hass: HomeAssistant, agent: RunningAgent, hass_storage: dict[str, Any]
) -> None:
    site = await _learned(hass, agent)
    await _final_write(hass)
    assert agent.serial in hass_storage[STORAGE_KEY]["data"]["strips"]

    (entry,) = (e for e in hass.config_entries.async_entries() if e.unique_id == agent.serial)
    assert await hass.config_entries.async_remove(entry.entry_id)
    await _final_write(hass)

    assert hass_storage[STORAGE_KEY]["data"]["strips"] == {}
    assert agent.serial not in site.engine.snapshot()
