"""Diagnostics: everything needed to debug a strip, never its address, its token nor a person."""

from __future__ import annotations

import json

from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartmulti.billing.users import CONF_NOTIFY, CONF_PERSON, CONF_REPORTER
from custom_components.smartmulti.const import CONF_BATTERY_SENSORS
from custom_components.smartmulti.coworker.links import async_get_links, reporter_proof
from tests.support.agent import RunningAgent

from .billing_support import billing_entry, ledger, set_up, user_ids, user_link
from .conftest import circuit_entry, strip_entry, wait_for


async def test_diagnostics_redact_the_address_and_the_token(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    agent: RunningAgent,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    assert agent.token not in json.dumps(diagnostics)
    assert diagnostics["entry"]["data"] == {
        "host": REDACTED,
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


async def test_no_diagnostics_of_a_populated_site_name_a_person_or_hold_a_secret(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, agent: RunningAgent
) -> None:
    """A strip, a circuit and users and billing, with a laptop paired under a user's name and
    her proof: nothing anyone attaches to a bug report names her, reaches her strip or bills
    her (the strip's host, its token, her link's key, her proof, her person and notify)."""
    strip = strip_entry(hass, agent)
    circuit = circuit_entry(hass, "Ground floor", 3000.0)
    billing = billing_entry(
        hass,
        {
            "Nadia Haddad": {
                CONF_REPORTER: "nadia.h",
                CONF_PERSON: "person.nadia_haddad",
                CONF_NOTIFY: "notify.mobile_app_nadia_phone",
            }
        },
    )
    await set_up(hass, strip, circuit, billing)
    link = await user_link(hass, "Nadia Haddad")
    secret = async_get_links(hass).secret(user_ids(billing)["Nadia Haddad"])
    proof = reporter_proof(secret, "0123456789abcdef" * 2)
    agent.agent.controller.pairing.laptops.found(2, "nadia.h", 0.9, agent.agent.now(), proof=proof)
    coordinator = strip.runtime_data.coordinator
    await coordinator.async_refresh()
    await wait_for(lambda: any(a.paired for a in ledger(hass).accounts.values()))

    for entry in (strip, circuit, billing):
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
        text = json.dumps(diagnostics).casefold()
        for kept in (
            "nadia",
            proof,
            secret,
            link,
            agent.token,
            agent.reporter_token,
            f"{agent.host}",
        ):
            assert kept.casefold() not in text, (entry.title, kept)


async def test_diagnostics_say_which_outlets_have_a_battery_sensor_but_not_whose(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, agent: RunningAgent
) -> None:
    """A companion app names its sensors after the laptop, itself named after its owner."""
    sensor = "sensor.nadia_haddad_s_macbook_pro_battery_level"
    hass.states.async_set(sensor, "57", {"device_class": "battery"})
    strip = strip_entry(hass, agent, **{CONF_BATTERY_SENSORS: {"2": sensor}})
    await set_up(hass, strip)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, strip)

    assert "nadia" not in json.dumps(diagnostics).casefold()
    assert diagnostics["entry"]["options"][CONF_BATTERY_SENSORS] == {"2": REDACTED}
    assert diagnostics["balancing"]["battery_sensors"] == {"2": REDACTED}


async def test_diagnostics_of_a_strip_that_cannot_set_up_say_why_without_its_address(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, agent: RunningAgent
) -> None:
    """The moment a manager needs them most: the strip waits for its agent."""
    strip = strip_entry(hass, agent)
    await agent.stop()
    await hass.config_entries.async_setup(strip.entry_id)
    await hass.async_block_till_done()
    assert strip.state is ConfigEntryState.SETUP_RETRY

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, strip)

    assert diagnostics["entry"]["data"][CONF_HOST] == REDACTED
    assert diagnostics["entry"]["state"] == ConfigEntryState.SETUP_RETRY.value
    assert diagnostics["entry"]["reason"]
    assert agent.host not in json.dumps(diagnostics)
