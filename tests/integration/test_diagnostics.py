"""Diagnostics: everything needed to debug a strip, never its token."""

from __future__ import annotations

import json

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.support.agent import RunningAgent


async def test_diagnostics_redact_the_token(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    assert agent.token not in json.dumps(diagnostics)
    assert diagnostics["entry"]["data"] == {
        "host": agent.host,
        "port": agent.port,
        "token": REDACTED,
    }
    assert diagnostics["info"]["serial"] == agent.serial
    assert diagnostics["connection"]["stream_connected"] is True
    assert len(diagnostics["state"]["outlets"]) == 4
    assert diagnostics["outlet_status"]["4"] == "exception"


async def test_diagnostics_leave_out_who_reports_for_an_outlet_and_their_proof(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
) -> None:
    """A reporter's user is a person's name, its proof a key to their billing."""
    proof = "cd" * 32
    agent.agent.controller.pairing.laptops.found(
        2, "Nadia Haddad", 0.9, agent.agent.now(), proof=proof
    )
    coordinator = init_integration.runtime_data.coordinator
    await coordinator.async_refresh()
    assert coordinator.data.state.outlets[2].paired is not None

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    text = json.dumps(diagnostics)
    assert "Nadia" not in text
    assert proof not in text
    paired = diagnostics["state"]["outlets"][1]["paired"]
    assert (paired["user"], paired["user_proof"], paired["method"]) == (
        REDACTED,
        REDACTED,
        "pairing",
    )
