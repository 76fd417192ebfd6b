"""The coworker's personal page, served by Home Assistant, against a real agent on loopback.

What a coworker sees (their outlet, consumption from the statistics, their limit), what they
may change (within the manager's maximum, unless locked), and what nobody else gets: no page
without the secret, guesses rate-limited, no cross-site form, no secret in logs or diagnostics.
"""

from __future__ import annotations

from datetime import timedelta
import logging
import re
from typing import Any
from unittest.mock import patch

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.const import EVENT_LOGBOOK_ENTRY
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartmulti.billing.limits import EVENT_LIMIT_REACHED
from custom_components.smartmulti.billing.users import (
    CONF_CUT_OFF,
    CONF_LIMIT,
    CONF_LIMIT_LOCKED,
    CONF_LIMIT_MAX,
    CONF_LIMIT_PERIOD,
    CONF_NOTIFY,
)
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.coworker import links as links_module
from tests.integration.statistics import energy_metadata
from tests.support.agent import RunningAgent

from .billing_support import (
    billing_entry,
    form_token,
    ledger,
    outlet_device,
    set_up,
    start_session,
    user_ids,
    user_link,
)
from .conftest import report_battery, wait_for

PAGE = "/api/smartmulti/coworker"


def _key(url: str) -> str:
    return url.split("key=", 1)[1]


async def _alice_and_bob(
    hass: HomeAssistant, strip: MockConfigEntry, alice: dict[str, Any] | None = None
) -> MockConfigEntry:
    billing = billing_entry(hass, {"Alice": alice or {}, "Bob": {}})
    await set_up(hass, strip, billing)
    return billing


def _import_days(hass: HomeAssistant, entity_id: str, kwh_per_day: list[float]) -> None:
    """Hourly statistics as the recorder compiles them (a row every hour, charged or not),
    for the days before today: each day's energy drawn at 10:00."""
    today = dt_util.start_of_local_day()
    first = today - timedelta(days=len(kwh_per_day))
    total = 0.0
    rows = []
    for hour in range(len(kwh_per_day) * 24):
        start = first + timedelta(hours=hour)
        if start.hour == 10:
            total += kwh_per_day[hour // 24]
        rows.append(StatisticData(start=dt_util.as_utc(start), state=total, sum=total))
    metadata = energy_metadata(entity_id)
    async_import_statistics(hass, metadata, rows)


async def test_the_page_shows_the_users_own_charging_consumption_and_limit(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    await _alice_and_bob(
        hass, mock_config_entry, {CONF_LIMIT: 40, CONF_LIMIT_PERIOD: "month", CONF_CUT_OFF: True}
    )
    await report_battery(hass, agent, 1, 35.0)
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 1))
    # The page shows what the agent last told Home Assistant: the report must have arrived.
    coordinator = mock_config_entry.runtime_data.coordinator
    await wait_for(lambda: coordinator.data.state.outlets[1].battery is not None)
    history = [1.5, 0.0, 2.25]  # three days ago, the day before yesterday, yesterday
    _import_days(hass, "sensor.alice_energy", history)
    _import_days(hass, "sensor.bob_energy", [9.0, 9.0, 9.0])
    await async_wait_recording_done(hass)
    client = await hass_client_no_auth()
    url = await user_link(hass, "Alice")

    response = await client.get(url, headers={"Accept-Language": "en-GB,en;q=0.8"})
    html = await response.text()

    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"  # Home Assistant's, for all
    assert '<meta name="referrer" content="same-origin">' in html  # the form's Origin
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "<script" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "My charging — Alice" in html
    outlet = mock_config_entry.runtime_data.coordinator.data.state.outlets[1]
    assert f"{outlet.name} (Coworking strip)" in html
    assert "35\u00a0%" in html  # the laptop's battery
    # Two charts: 30 days and 12 weeks, with their figures as tables.
    charts = re.findall(r'<svg class="chart".*?</svg>', html)
    assert [chart.count("<rect") for chart in charts] == [30, 12]
    days = re.findall(r"<tr><td>[^<]+</td><td>([0-9.,]+)</td></tr>", html)
    assert [float(value) for value in days[:30]][-4:-1] == history
    assert sum(float(value) for value in days[30:]) == pytest.approx(sum(history))
    assert "40.00 kWh" in html
    assert "<progress" in html
    # Today, this week and this month: the history's days that fall in them.
    today = dt_util.now().date()
    dates = [today - timedelta(days=3 - index) for index in range(3)]
    week = sum(
        k for d, k in zip(dates, history, strict=True) if d >= today - timedelta(today.weekday())
    )
    month = sum(k for d, k in zip(dates, history, strict=True) if d.month == today.month)
    assert (
        f"<td>0.00\u00a0kWh</td><td>{week:.2f}\u00a0kWh</td><td>{month:.2f}\u00a0kWh</td>" in html
    )
    assert "Bob" not in html  # nothing of anybody else

    french = await (await client.get(url, headers={"Accept-Language": "fr-FR,fr;q=0.9"})).text()
    assert "Ma recharge — Alice" in french
    assert '<html lang="fr">' in french
    asked = await (await client.get(f"{url}&lang=en", headers={"Accept-Language": "fr"})).text()
    assert '<html lang="en">' in asked


async def test_without_the_secret_there_is_nothing_and_guesses_are_rate_limited(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    await _alice_and_bob(hass, mock_config_entry)
    client = await hass_client_no_auth()
    alice, bob = await user_link(hass, "Alice"), await user_link(hass, "Bob")
    assert len(_key(alice)) >= 22  # 128 bits in base64url at least (it is 256)
    assert "Bob" in await (await client.get(bob)).text()

    answers = set()
    for query in ("", "?key=", f"?key={_key(alice)[:-1]}", f"?key={_key(alice)}x", "?key=a"):
        response = await client.get(PAGE + query)
        answers.add((response.status, await response.text()))
        assert response.headers["Cache-Control"] == "no-store"
    assert answers == {(404, "404 Not Found")}

    # Every stored secret is compared, whether the guess matches one or not.
    compared: list[int] = []
    real = links_module.hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append(1)
        return real(a, b)

    with patch.object(links_module.hmac, "compare_digest", counting):
        await client.get(alice)
        hit = len(compared)
        compared.clear()
        await client.get(PAGE + "?key=" + "A" * 43)
    assert hit == len(compared) == 2

    for _ in range(links_module.FAILURES_PER_CLIENT - 6):
        await client.get(PAGE + "?key=guess")
    blocked = await client.get(PAGE + "?key=guess")  # wrong guesses, for a while
    assert blocked.status == 429
    assert blocked.headers["Retry-After"]
    assert (await client.get(alice)).status == 200  # never the right secret


async def test_the_user_sets_their_limit_within_the_maximum_and_it_applies_at_once(
    hass: HomeAssistant,
    agent: RunningAgent,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    billing = await _alice_and_bob(
        hass,
        mock_config_entry,
        {CONF_LIMIT_MAX: 31, CONF_LIMIT_PERIOD: "day", CONF_CUT_OFF: True, CONF_NOTIFY: "notify.a"},
    )
    alice_id = user_ids(billing)["Alice"]
    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 1))
    client = await hass_client_no_auth()
    url = await user_link(hass, "Alice")
    page = await (await client.get(url)).text()
    assert "At most 1.00 kWh a day, 7.00 kWh a week or 31.00 kWh a month." in page
    logged: list[Event] = []
    hass.bus.async_listen(EVENT_LOGBOOK_ENTRY, logged.append)
    reached: list[Event] = []
    hass.bus.async_listen(EVENT_LIMIT_REACHED, reached.append)

    async def post(fields: dict[str, str], **headers: str) -> tuple[int, str]:
        form = {"token": form_token(page), "lang": "en", **fields}
        response = await client.post(url, data=form, headers=headers, allow_redirects=False)
        return response.status, await response.text()

    for fields, message in (
        ({"limit": "2", "period": "day"}, "The limit can be at most 1.00 kWh per day."),
        ({"limit": "0", "period": "month"}, "A limit is required: between 0.01 and 31.00"),
        ({"limit": "-1", "period": "week"}, "The limit cannot be negative."),
        ({"limit": "lots", "period": "week"}, "Enter the limit as a number of kWh"),
        ({"limit": "nan", "period": "week"}, "Enter the limit as a number of kWh"),
        ({"limit": "1", "period": "year"}, "Choose a day, a week or a month."),
    ):
        status, html = await post(fields)
        assert (status, message in html) == (400, True), fields
        assert 'role="alert"' in html
        assert 'aria-invalid="true"' in html
    assert ledger(hass).users[alice_id].limit_kwh is None
    assert not logged

    # Alice already drew 20 Wh today: a limit of 10 Wh a day is reached at once, and cuts.
    assert ledger(hass).totals[alice_id].period == "day"
    ledger(hass).totals[alice_id].period_wh = 20.0
    status, _ = await post({"limit": "0,01", "period": "day", "notify_warning": "on"})
    assert status == 303
    await hass.async_block_till_done()
    user = ledger(hass).users[alice_id]
    assert (user.limit_kwh, user.limit_period.value) == (0.01, "day")
    subentry = billing.subentries[alice_id]
    assert subentry.data[CONF_LIMIT] == 0.01
    assert subentry.data[CONF_LIMIT_PERIOD] == "day"
    limit_entity = er.async_get(hass).async_get_entity_id(
        "number", DOMAIN, f"{billing.entry_id}_user_{alice_id}_limit"
    )
    assert hass.states.get(str(limit_entity)).state == "0.01"
    assert [event.data["message"] for event in logged] == [
        "set their limit to 0.01 kWh per day on their personal page"
    ]
    assert logged[0].data["entity_id"] == limit_entity
    assert [(e.data["user"], e.data["cut_off"]) for e in reached] == [("Alice", True)]
    await wait_for(lambda: not agent.agent.controller.outlet(1).relay_on, limit_s=5)

    status, _ = await post({"limit": "0.01", "period": "day"})  # the warning: off
    assert status == 303
    assert ledger(hass).users[alice_id].notify_warning is False
    await hass.async_block_till_done()
    assert [e.data["message"] for e in logged][1:] == [
        "asked not to be notified at the limit warning on their personal page"
    ]


async def test_the_form_refuses_cross_site_requests_and_a_locked_limit(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    billing = await _alice_and_bob(hass, mock_config_entry, {CONF_LIMIT_LOCKED: True})
    alice_id = user_ids(billing)["Alice"]
    client = await hass_client_no_auth()
    alice, bob = await user_link(hass, "Alice"), await user_link(hass, "Bob")
    page = await (await client.get(alice)).text()
    bob_page = await (await client.get(bob)).text()
    assert 'name="limit" value="0.00" autocomplete="off" disabled' in page
    fields = {"token": form_token(page), "notify_warning": ""}

    for data, headers in (
        ({**fields, "token": ""}, {}),  # no token
        ({**fields, "token": form_token(bob_page)}, {}),  # another user's page
        ({**fields, "token": "1." + "0" * 64}, {}),  # forged, and long expired
        (fields, {"Origin": "https://evil.example"}),
        (fields, {"Origin": "null"}),
        (fields, {"Sec-Fetch-Site": "cross-site"}),
        (fields, {"Sec-Fetch-Site": "same-site"}),
    ):
        response = await client.post(alice, data=data, headers=headers, allow_redirects=False)
        assert response.status == 403, (data, headers)
    assert ledger(hass).users[alice_id].notify_warning is True

    locked = await client.post(
        alice, data={**fields, "limit": "5", "period": "day"}, allow_redirects=False
    )
    assert locked.status == 400
    assert "Your manager has locked your limit" in await locked.text()
    same_site = {"Origin": f"http://{locked.url.host}:{locked.url.port}"}
    allowed = await client.post(alice, data=fields, headers=same_site, allow_redirects=False)
    assert allowed.status == 303
    assert ledger(hass).users[alice_id].notify_warning is False
    assert ledger(hass).users[alice_id].limit_kwh is None


async def test_renewing_or_removing_the_user_kills_the_link_and_nothing_leaks(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # As Home Assistant starts (bootstrap): the access log of every request is off.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    hass.config.internal_url = "http://smartmulti.local:8123"
    assert await async_setup_component(hass, "diagnostics", {})  # before the router freezes
    billing = await _alice_and_bob(hass, mock_config_entry, {CONF_NOTIFY: "notify.alice_phone"})
    client = await hass_client_no_auth()
    old = await user_link(hass, "Alice")
    assert (await client.get(old)).status == 200
    image = "image.alice_personal_link"
    assert hass.states.get(image) is not None
    before = hass.states.get(image).state

    await hass.services.async_call(
        "button", "press", {"entity_id": "button.alice_renew_personal_link"}, blocking=True
    )
    new = await user_link(hass, "Alice")
    assert new != old
    assert (await client.get(old)).status == 404
    assert (await client.get(new)).status == 200
    await wait_for(lambda: hass.states.get(image).state != before)
    qr = await (await hass_client()).get(f"/api/image_proxy/{image}")
    assert qr.status == 200
    assert qr.content_type == "image/svg+xml"
    assert (await qr.text()).count("<path") == 1
    device = next(
        device
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if device.name == "Alice"
    )
    assert device.configuration_url == f"http://smartmulti.local:8123{new}"  # "Visit"

    sent = async_mock_service(hass, "notify", "alice_phone")
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.alice_send_personal_link"}, blocking=True
    )
    assert f"http://smartmulti.local:8123{new}" in sent[0].data["message"]
    with pytest.raises(ServiceValidationError, match="Bob has no notify action"):
        await hass.services.async_call(
            "button", "press", {"entity_id": "button.bob_send_personal_link"}, blocking=True
        )

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, billing)
    bob = await user_link(hass, "Bob")
    for secret in (_key(old), _key(new), _key(bob)):
        assert secret not in caplog.text
        assert secret not in str(diagnostics)

    alice_id = user_ids(billing)["Alice"]
    hass.config_entries.async_remove_subentry(billing, alice_id)
    assert (await client.get(new)).status == 404  # at once, as the user goes
    await hass.async_block_till_done()
    assert (await client.get(new)).status == 404
    assert (await client.get(bob)).status == 200
