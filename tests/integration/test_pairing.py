"""Automatic pairing in Home Assistant: who reports for each outlet, the strip's last pairing,
and making laptops pair again (the action and the button), against a real agent.

A pairing is run as a laptop's reporter runs it, through the agent's API with the reporter
token: the agent holds each answer until the laptop must read its plugged flag.
"""

from __future__ import annotations

from collections.abc import Callable
import json
from typing import Any

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_AREA_ID, ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import area_registry as ar, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.coworker.links import async_get_links, reporter_proof
from custom_components.smartmulti.entry_kinds import is_billing_entry
from custom_components.smartmulti.services import SERVICE_PAIR_OUTLET
from tests.integration.devices import device_with
from tests.support.agent import REPO, RunningAgent

from .billing_support import billing_entry, set_up, user_ids
from .conftest import AgentFactory, report_battery, setup_entries, strip_entry, wait_for

PAIR_AGAIN = "button.coworking_strip_pair_laptops_again"
LAST_PAIRING = "sensor.coworking_strip_last_pairing"


async def _run_pairing(
    hass: HomeAssistant,
    agent: RunningAgent,
    flag: Callable[[int], bool],
    *,
    plugged_at_start: bool = True,
    user: str = "Amina",
    secret: str | None = None,
) -> dict[str, Any]:
    """A pairing as ``user``'s reporter runs it (with the proof ``secret`` makes over the
    agent's challenge, if given: the reporter holds that user's personal link);
    ``flag(window)`` is her laptop's plugged flag."""
    session = async_get_clientsession(hass)
    headers = {"Authorization": f"Bearer {agent.reporter_token}"}
    pairings = f"{agent.url}/api/v1/pairings"
    start: dict[str, Any] = {"plugged": plugged_at_start, "user": user}
    if secret is not None:
        async with session.post(f"{agent.url}/api/v1/proof-challenge", headers=headers) as r:
            assert r.status == 200, await r.text()
            start["user_proof"] = reporter_proof(secret, (await r.json())["challenge"])
    async with session.post(pairings, json=start, headers=headers) as r:
        assert r.status == 201, await r.text()
        view: dict[str, Any] = await r.json()
    while view["status"] == "running":
        if view["observe"]:
            answer = {"window": view["window"], "plugged": flag(view["window"])}
            request = session.post(f"{pairings}/{view['id']}/answers", json=answer, headers=headers)
        else:  # relays being put back: the agent answers at once
            request = session.get(f"{pairings}/{view['id']}", headers=headers)
        async with request as r:
            assert r.status == 200, await r.text()
            view = await r.json()
    return view


def _device_id(hass: HomeAssistant, agent: RunningAgent, outlet_id: int | None = None) -> str:
    """The device of the strip, or of one of its outlets."""
    suffix = "" if outlet_id is None else f"_outlet_{outlet_id}"
    device = device_with(hass, (DOMAIN, f"{agent.serial}{suffix}"))
    assert device is not None
    return device.id


async def _pair_outlet(hass: HomeAssistant, **target: Any) -> None:
    await hass.services.async_call(DOMAIN, SERVICE_PAIR_OUTLET, target, blocking=True)


async def _reporters_on(hass: HomeAssistant, agent: RunningAgent, *outlet_ids: int) -> None:
    """A reporter posts for each outlet (given its outlet), and Home Assistant shows it."""
    for outlet_id in outlet_ids:
        await report_battery(hass, agent, outlet_id, user=f"User {outlet_id}")
    controller = agent.agent.controller
    await wait_for(lambda: all(controller.pairing.paired(o) is not None for o in outlet_ids))


def _paired(agent: RunningAgent) -> set[int]:
    """Outlets the agent knows a reporter for."""
    controller = agent.agent.controller
    return {o.id for o in controller.outlets if controller.pairing.paired(o.id) is not None}


async def test_pair_outlet_on_an_outlet_forgets_its_pairing_on_the_agent(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    await _reporters_on(hass, agent, 1, 2)

    await _pair_outlet(hass, device_id=_device_id(hass, agent, 2))

    assert _paired(agent) == {1}
    assert (await report_battery(hass, agent, 2))["pair_again"] is True
    assert (await report_battery(hass, agent, 1))["pair_again"] is False


async def test_pair_outlet_on_a_strip_does_all_its_outlets(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    await _reporters_on(hass, agent, 1, 2, 3)

    await _pair_outlet(hass, device_id=_device_id(hass, agent))

    assert _paired(agent) == set()
    for outlet_id in (1, 2, 3):
        assert (await report_battery(hass, agent, outlet_id))["pair_again"] is True


async def test_pair_outlet_on_an_area_does_the_outlets_in_it(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    await _reporters_on(hass, agent, 1, 2)
    room = ar.async_get(hass).async_create("Quiet room")
    dr.async_get(hass).async_update_device(_device_id(hass, agent, 2), area_id=room.id)

    await _pair_outlet(hass, area_id=room.id)

    assert _paired(agent) == {1}


async def test_the_strip_button_makes_every_laptop_pair_again(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    await _reporters_on(hass, agent, 1, 3)

    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: PAIR_AGAIN}, blocking=True
    )

    assert _paired(agent) == set()
    assert (await report_battery(hass, agent, 3))["pair_again"] is True


async def test_the_paired_user_sensor_follows_the_agent(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    assert hass.states.get("sensor.desk_2_paired_user").state == "unknown"

    await report_battery(hass, agent, 2, user="Amina")
    await wait_for(lambda: hass.states.get("sensor.desk_2_paired_user").state == "Amina")
    attributes = hass.states.get("sensor.desk_2_paired_user").attributes
    assert (attributes["method"], attributes["confidence"]) == ("report", None)
    assert attributes["since"] is not None

    agent.agent.controller.pairing.unpair(2)  # the agent forgets it (another admin, say)
    await wait_for(lambda: hass.states.get("sensor.desk_2_paired_user").state == "unknown")
    assert hass.states.get("sensor.desk_2_paired_user").attributes["method"] is None


def _laptop_on_desk_2(agent: RunningAgent) -> Callable[[int], bool]:
    """Desks 1 and 3 have their reporters: desk 2 is the only candidate (one window to
    confirm). The simulated laptop's flag follows its relay."""

    def flag(_window: int) -> bool:
        battery = agent.world.battery(2)
        assert battery is not None
        return battery.plugged

    return flag


async def test_a_successful_pairing_shows_its_outlet_and_the_name_it_claims(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    """Anyone holding the reporter token may pair under any name: without a proof of it the
    name is shown as claimed, never as the outlet's user."""
    await _reporters_on(hass, agent, 1, 3)

    view = await _run_pairing(hass, agent, _laptop_on_desk_2(agent))

    assert (view["status"], view["outlet"]) == ("paired", 2)
    await wait_for(lambda: hass.states.get(LAST_PAIRING).state == "paired")
    attributes = hass.states.get(LAST_PAIRING).attributes
    assert (attributes["outlet"], attributes["outlet_name"], attributes["user"]) == (
        2,
        "Desk 2",
        None,
    )
    assert (attributes["verified"], attributes["claimed_name"]) == (False, "Amina")
    assert attributes["confidence"] == view["confidence"] >= 0.9
    assert attributes["windows"] == view["windows"] <= 5
    paired_user = "sensor.desk_2_paired_user"
    await wait_for(lambda: hass.states.get(paired_user).attributes["claimed_name"] == "Amina")
    paired = hass.states.get(paired_user)
    assert (paired.state, paired.attributes["verified"]) == ("unknown", False)
    assert (paired.attributes["method"], paired.attributes["confidence"]) == (
        "pairing",
        view["confidence"],
    )


async def test_a_pairing_proven_by_a_personal_link_shows_its_user(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    billing = billing_entry(hass, {"Amina": {}})
    await set_up(hass, mock_config_entry, billing)
    secret = async_get_links(hass).secret(user_ids(billing)["Amina"])
    await _reporters_on(hass, agent, 1, 3)

    view = await _run_pairing(hass, agent, _laptop_on_desk_2(agent), user="amina", secret=secret)

    assert (view["status"], view["outlet"]) == ("paired", 2)
    await wait_for(lambda: hass.states.get("sensor.desk_2_paired_user").state == "Amina")
    assert hass.states.get("sensor.desk_2_paired_user").attributes["verified"] is True
    await wait_for(lambda: hass.states.get(LAST_PAIRING).state == "paired")
    attributes = hass.states.get(LAST_PAIRING).attributes
    assert (attributes["user"], attributes["verified"], attributes["claimed_name"]) == (
        "Amina",
        True,
        None,
    )


@pytest.mark.parametrize(
    ("flags", "status", "reason"),
    [
        # Plugged at the start, unplugged when asked: no outlet that is off could hold it.
        ({0: False}, "failed", "no_candidates"),
        # Unplugged once outlets were switched off, still unplugged when its outlet is put back
        # on alone: the flag contradicts every outlet.
        ({0: True}, "ambiguous", "inconsistent"),
    ],
)
async def test_a_pairing_that_did_not_pair_shows_on_the_last_pairing_sensor(
    hass: HomeAssistant,
    agent: RunningAgent,
    init_integration: MockConfigEntry,
    flags: dict[int, bool],
    status: str,
    reason: str,
) -> None:
    view = await _run_pairing(hass, agent, lambda window: flags.get(window, False))

    assert (view["status"], view["reason"]) == (status, reason)
    await wait_for(lambda: hass.states.get(LAST_PAIRING).state == status)
    attributes = hass.states.get(LAST_PAIRING).attributes
    assert (attributes["outlet"], attributes["reason"]) == (None, reason)
    assert attributes["windows"] == view["windows"]
    assert _paired(agent) == set()  # changed nothing


async def test_pair_outlet_on_a_device_of_another_integration_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    lamp = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "lamp")}, name="Desk lamp"
    )

    with pytest.raises(ServiceValidationError) as raised:
        await _pair_outlet(hass, device_id=lamp.id)

    assert raised.value.translation_key == "unknown_target"
    assert raised.value.translation_placeholders == {"target": "Desk lamp"}


async def test_pair_outlet_on_an_unknown_device_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await _pair_outlet(hass, device_id="not-a-device")

    assert raised.value.translation_key == "unknown_target"


async def test_pair_outlet_on_an_area_without_strips_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    room = ar.async_get(hass).async_create("Kitchen")

    with pytest.raises(ServiceValidationError) as raised:
        await _pair_outlet(hass, **{ATTR_AREA_ID: room.id})

    assert raised.value.translation_key == "unknown_target"


async def test_pair_outlet_on_a_strip_that_is_not_loaded_is_refused(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    device_id = _device_id(hass, agent, 2)
    await hass.config_entries.async_unload(init_integration.entry_id)

    with pytest.raises(ServiceValidationError) as raised:
        await _pair_outlet(hass, device_id=device_id)

    assert raised.value.translation_key == "strip_not_loaded"
    assert raised.value.translation_placeholders == {"name": "Coworking strip"}


async def test_pair_outlet_with_the_agent_unreachable_raises_a_translated_error(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    running = await start_test_agent()
    entry = strip_entry(hass, running)
    await setup_entries(hass, entry)
    await running.stop()

    with pytest.raises(HomeAssistantError) as raised:
        await _pair_outlet(hass, **{ATTR_DEVICE_ID: _device_id(hass, running, 1)})

    assert raised.value.translation_key == "cannot_connect"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_reason_the_agent_gives_for_a_pairing_is_translated(language: str) -> None:
    """The agent lists its reasons in its OpenAPI document; a manager reads them translated."""
    pairing = json.loads((REPO / "pi_agent" / "openapi.json").read_text())["components"]["schemas"][
        "Pairing"
    ]
    reasons = {
        r.strip() for r in pairing["properties"]["reason"]["description"].split(":")[1].split(",")
    }
    translations = json.loads(
        (REPO / "custom_components" / DOMAIN / "translations" / f"{language}.json").read_text(
            encoding="utf-8"
        )
    )
    last_pairing = translations["entity"]["sensor"]["last_pairing"]

    assert set(last_pairing["state_attributes"]["reason"]["state"]) == reasons
    assert set(last_pairing["state"]) == set(pairing["properties"]["status"]["enum"])


async def test_pair_outlet_on_the_users_and_billing_device_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await hass.async_block_till_done()
    billing = next(e for e in hass.config_entries.async_entries(DOMAIN) if is_billing_entry(e))
    device = dr.async_entries_for_config_entry(dr.async_get(hass), billing.entry_id)[0]

    with pytest.raises(ServiceValidationError) as raised:
        await _pair_outlet(hass, device_id=device.id)

    assert raised.value.translation_key == "unknown_target"
