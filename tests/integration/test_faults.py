"""Outlet faults reach the manager as repair issues, once they last, and leave when they clear."""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.smartmulti import faults
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.faults import fault_issue_id
from pi_agent.sim.hardware import MeterFault, SimMeter
from tests.support.agent import RunningAgent

from .conftest import wait_for

GRACE_S = 0.5


@pytest.fixture(autouse=True)
def short_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faults, "FAULT_GRACE_S", GRACE_S)


def _meter(agent: RunningAgent, outlet_id: int) -> SimMeter:
    meter = agent.agent.hardware.meters[outlet_id]
    assert isinstance(meter, SimMeter)
    return meter


def _issue(hass: HomeAssistant, agent: RunningAgent, outlet_id: int | str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, fault_issue_id(agent.serial, outlet_id))


async def test_a_lasting_meter_fault_raises_a_repair_issue_naming_the_outlet(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    _meter(agent, 2).inject(MeterFault.BUS_ERROR)

    await wait_for(lambda: _issue(hass, agent, 2) is not None)
    issue = _issue(hass, agent, 2)
    assert issue is not None
    assert issue.translation_key == "outlet_fault"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["outlet"] == "Desk 2"
    assert issue.translation_placeholders["fault"]
    assert hass.states.get("sensor.desk_2_state").state == "fault"


async def test_the_issue_goes_when_the_fault_clears(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    _meter(agent, 2).inject(MeterFault.BUS_ERROR)
    await wait_for(lambda: _issue(hass, agent, 2) is not None)

    _meter(agent, 2).inject(None)

    await wait_for(lambda: _issue(hass, agent, 2) is None)


async def test_a_glitch_that_clears_within_the_grace_raises_no_issue(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    issue_changes = async_capture_events(hass, ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED)
    _meter(agent, 3).inject(MeterFault.BUS_ERROR, reads=1)
    await wait_for(lambda: coordinator.data.state.outlets[3].fault is not None)
    await wait_for(lambda: coordinator.data.state.outlets[3].fault is None)

    await asyncio.sleep(2 * GRACE_S)

    assert _issue(hass, agent, 3) is None
    # Not raised and withdrawn again either: never raised at all.
    assert [e.data for e in issue_changes if e.data["domain"] == DOMAIN] == []


async def test_unloading_the_strip_withdraws_its_issues(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    _meter(agent, 2).inject(MeterFault.OVERFLOW)
    await wait_for(lambda: _issue(hass, agent, 2) is not None)

    assert await hass.config_entries.async_unload(init_integration.entry_id)

    assert _issue(hass, agent, 2) is None


async def test_a_strip_that_cannot_save_raises_a_storage_issue_until_it_saves_again(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    # A directory where the agent writes its temporary state file: every save fails for real.
    blocker = agent.data_dir / "state.json.tmp"
    while True:
        try:
            blocker.mkdir()
            break
        except FileExistsError:  # a save is writing it right now: it is renamed in a moment
            await asyncio.sleep(0.01)
    await agent.agent.persist()  # the agent's next save, without waiting for its interval
    coordinator = init_integration.runtime_data.coordinator
    await wait_for(lambda: "storage" in coordinator.data.state.faults)

    await wait_for(lambda: _issue(hass, agent, "storage") is not None)
    issue = _issue(hass, agent, "storage")
    assert issue is not None
    assert issue.translation_key == "strip_fault_storage"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders is not None
    assert "cannot save" in issue.translation_placeholders["fault"]

    blocker.rmdir()
    await agent.agent.persist()
    await wait_for(lambda: _issue(hass, agent, "storage") is None)
