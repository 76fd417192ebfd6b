"""Helpers of the users and billing tests: the billing entry with its users, and readings."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from functools import partial
import re
from typing import Any
from unittest.mock import patch

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.billing.ledger import Ledger, async_get_ledger
from custom_components.smartmulti.billing.sessions import Session
from custom_components.smartmulti.billing.setup import BILLING_UNIQUE_ID
from custom_components.smartmulti.billing.users import SUBENTRY_USER
from custom_components.smartmulti.const import CONF_KIND, DOMAIN, KIND_BILLING
from custom_components.smartmulti.entry_kinds import is_strip_entry
from custom_components.smartmulti.identifiers import outlet_device_identifier
from pi_agent.api.events import EventHub
from tests.integration.devices import device_with

from .conftest import wait_for


@pytest.fixture
def flush_energy_often() -> Generator[None]:
    """Agents send their energy counters every 10 s (or per Wh): these tests need them sooner."""
    with patch("pi_agent.runtime.EventHub", partial(EventHub, refresh_s=0.2)):
        yield


def billing_entry(
    hass: HomeAssistant,
    users: Mapping[str, Mapping[str, Any]] | None = None,
    **options: Any,
) -> MockConfigEntry:
    """The "Users and billing" entry with ``users`` (name: settings), added (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Users and billing",
        unique_id=BILLING_UNIQUE_ID,
        data={CONF_KIND: KIND_BILLING},
        options=options,
        subentries_data=[
            ConfigSubentryData(
                data=dict(data), subentry_type=SUBENTRY_USER, title=name, unique_id=None
            )
            for name, data in (users or {}).items()
        ],
    )
    entry.add_to_hass(hass)
    return entry


def user_ids(entry: MockConfigEntry) -> dict[str, str]:
    return {subentry.title: subentry_id for subentry_id, subentry in entry.subentries.items()}


async def set_up(hass: HomeAssistant, *entries: MockConfigEntry) -> None:
    """Set the entries up (the domain's first setup sets up all of them); strips stream."""
    for entry in entries:
        if hass.config_entries.async_get_entry(entry.entry_id) is None:
            entry.add_to_hass(hass)
    for entry in entries:
        if entry.state is ConfigEntryState.NOT_LOADED:
            assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for entry in entries:
        assert entry.state is ConfigEntryState.LOADED
        if is_strip_entry(entry):
            coordinator = entry.runtime_data.coordinator
            await wait_for(lambda coordinator=coordinator: coordinator.stream_connected)


async def unload_all(hass: HomeAssistant) -> None:
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def ledger(hass: HomeAssistant) -> Ledger:
    return async_get_ledger(hass)


def counters(strip: MockConfigEntry) -> dict[int, float]:
    """The counters Home Assistant last received from the strip's agent."""
    return {
        outlet_id: outlet.energy_wh
        for outlet_id, outlet in strip.runtime_data.coordinator.data.state.outlets.items()
    }


def user_wh(hass: HomeAssistant, user_id: str) -> float:
    totals = ledger(hass).totals.get(user_id)
    return 0.0 if totals is None else totals.energy_wh


def open_session(hass: HomeAssistant, user_id: str) -> Session:
    (session,) = ledger(hass).open_sessions(user_id)
    return session


async def start_session(hass: HomeAssistant, user: str, outlet_device_id: str) -> None:
    await hass.services.async_call(
        DOMAIN, "start_session", {"user": user, "outlet": outlet_device_id}, blocking=True
    )


def outlet_device(hass: HomeAssistant, serial: str, outlet_id: int) -> str:
    """The outlet's device id: what the UI's device picker gives a service."""
    device = device_with(hass, outlet_device_identifier(serial, outlet_id))
    assert device is not None
    return device.id


async def alice_in_session(
    hass: HomeAssistant, strip: MockConfigEntry, outlet_id: int = 1, **options: Any
) -> str:
    """Alice, the only user, set up with ``strip`` and in a session on its outlet: her user id.

    ``options`` are the billing entry's.
    """
    billing = billing_entry(hass, {"Alice": {}}, **options)
    await set_up(hass, strip, billing)
    await start_session(hass, "Alice", outlet_device(hass, strip.unique_id, outlet_id))
    return user_ids(billing)["Alice"]


async def user_link(hass: HomeAssistant, user: str) -> str:
    """A user's personal link, as ``smartmulti.get_user_link`` gives it to a manager."""
    response = await hass.services.async_call(
        DOMAIN, "get_user_link", {"user": user}, blocking=True, return_response=True
    )
    assert response is not None
    url = str(response["url"])
    assert url.startswith("/api/smartmulti/")
    return url


def form_token(html: str) -> str:
    """The token of the personal page's form."""
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


async def post_limit(client: TestClient, url: str, limit: str, period: str) -> ClientResponse:
    """The personal page's form, read then sent with a limit and its period (not followed)."""
    token = form_token(await (await client.get(url)).text())
    form = {"token": token, "lang": "en", "limit": limit, "period": period}
    return await client.post(url, data=form, allow_redirects=False)
