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
