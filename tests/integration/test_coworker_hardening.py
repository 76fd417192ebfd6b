"""The coworker's page against hostile visitors: guesses that must not lock coworkers out,
crafted form tokens, numbers and bodies, each answered as a refusal rather than an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.smartmulti.billing.users import (
    CONF_LIMIT,
    CONF_LIMIT_LOCKED,
    CONF_LIMIT_MAX,
    CONF_LIMIT_PERIOD,
    UserConfig,
)
from custom_components.smartmulti.coworker.form import FormError, parse
from custom_components.smartmulti.coworker.i18n import Words
from custom_components.smartmulti.coworker.links import (
    CHANGES_PER_USER,
    FAILURES_OVERALL,
    FAILURES_PER_CLIENT,
    async_get_links,
    client_key,
)
from custom_components.smartmulti.coworker.redact import (
    ACCESS_LOGGER,
    MASK,
    SECURITY_FILTER_LOGGER,
    KeyRedactor,
)
from custom_components.smartmulti.coworker.view import MAX_FORM_BYTES

from .billing_support import (
    billing_entry,
    form_token,
    ledger,
    post_limit,
    set_up,
    user_ids,
    user_link,
)

PAGE = "/api/smartmulti/coworker"


async def _set_up(
    hass: HomeAssistant, strip: MockConfigEntry, alice: dict[str, Any] | None = None
) -> MockConfigEntry:
    billing = billing_entry(hass, {"Alice": alice or {}, "Bob": {}})
    await set_up(hass, strip, billing)
    return billing


async def test_wrong_guesses_never_lock_a_valid_link_out(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    # Behind a reverse proxy, as many installs are: the client is the forwarded address.
    assert await async_setup_component(
        hass,
        "http",
        {"http": {"use_x_forwarded_for": True, "trusted_proxies": ["127.0.0.1", "::1"]}},
    )
    await _set_up(hass, mock_config_entry)
    client = await hass_client_no_auth()
    alice, bob = await user_link(hass, "Alice"), await user_link(hass, "Bob")

    async def get(url: str, address: str) -> int:
        return (await client.get(url, headers={"X-Forwarded-For": address})).status

    # A whole building behind one NAT address: a colleague's typos do not lock Alice out.
    office = "198.51.100.7"
    assert [await get(f"{PAGE}?key=typo", office) for _ in range(FAILURES_PER_CLIENT)] == [
        404
    ] * FAILURES_PER_CLIENT
    assert await get(f"{PAGE}?key=typo", office) == 429
    assert await get(alice, office) == 200
    assert await get(f"{PAGE}?key=typo", "198.51.100.8") == 404  # another address

    # An IPv6 client picks any address in its /64: counted as one.
    prefix = "2001:db8:1:2"
    for index in range(FAILURES_PER_CLIENT):
        assert await get(f"{PAGE}?key=guess", f"{prefix}::{index + 1:x}") == 404
    assert await get(f"{PAGE}?key=guess", f"{prefix}:ffff:ffff:ffff:ffff") == 429
    assert await get(alice, f"{prefix}::abcd") == 200
    assert await get(f"{PAGE}?key=guess", "2001:db8:1:3::1") == 404  # the next /64

    # Guesses spread over many addresses reach the overall limit: still only guesses refused.
    spent = 2 * FAILURES_PER_CLIENT + 2
    for index in range(FAILURES_OVERALL - spent):
        address = f"203.0.113.{index // FAILURES_PER_CLIENT}"
        assert await get(f"{PAGE}?key=guess", address) == 404
    assert await get(f"{PAGE}?key=guess", "192.0.2.1") == 429
    assert await get(bob, "192.0.2.1") == 200
    assert await get(alice, "203.0.113.0") == 200


def test_failures_are_counted_per_ipv4_address_and_per_ipv6_64() -> None:
    assert client_key("192.0.2.1") == "192.0.2.1"
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert client_key("2001:db8:0:1::1") == "2001:db8:0:1::/64"
    assert client_key("fe80::1%eth0") == "fe80::/64"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"  # IPv4 on a dual-stack socket
    assert client_key(None) == "unknown"


async def test_a_limit_rounding_to_zero_cannot_remove_the_maximum(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    billing = await _set_up(
        hass, mock_config_entry, {CONF_LIMIT_MAX: 31, CONF_LIMIT: 10, CONF_LIMIT_PERIOD: "month"}
    )
    alice_id = user_ids(billing)["Alice"]
    client = await hass_client_no_auth()
    url = await user_link(hass, "Alice")
    page = await (await client.get(url)).text()

    for typed in ("0.004", "0,001", "0.00"):
        form = {"token": form_token(page), "lang": "en", "limit": typed, "period": "month"}
        response = await client.post(url, data=form, allow_redirects=False)
        assert response.status == 400, typed
    assert ledger(hass).users[alice_id].limit_kwh == 10
    assert billing.subentries[alice_id].data[CONF_LIMIT] == 10

    capped = UserConfig(id="a", name="Alice", limit_max_kwh=31.0)
    for typed in ("0.00", "0,0", "-0"):
        with pytest.raises(FormError, match="A limit is required"):
            parse(capped, {"limit": typed, "period": "month"}, Words("en", {}))


async def test_crafted_form_tokens_are_refused_as_a_page_too_old(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    billing = await _set_up(hass, mock_config_entry)
    alice_id = user_ids(billing)["Alice"]
    client = await hass_client_no_auth()
    url = await user_link(hass, "Alice")
    mac = form_token(await (await client.get(url)).text()).split(".", 1)[1]

    for token in ("²", f"²³.{mac}", "9" * 400 + ".x", "1" * 3000, "١٢٣." + mac):
        # Without "notify_warning" the form would turn the warning off.
        response = await client.post(url, data={"token": token}, allow_redirects=False)
        assert response.status == 403, token[:20]
        assert "This page is too old" in await response.text()
    assert ledger(hass).users[alice_id].notify_warning is True

    links = async_get_links(hass)  # longer than any form the page accepts: checked directly
    for token in ("1" * 5000, "1" * 5000 + "." + mac, "9" * 400 + "." + mac):
        assert links.check_form_token(alice_id, token) is False


async def test_a_chunked_body_is_held_to_the_same_size_limit(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    billing = await _set_up(hass, mock_config_entry)
    alice_id = user_ids(billing)["Alice"]
    client = await hass_client_no_auth()
    url = await user_link(hass, "Alice")
    token = form_token(await (await client.get(url)).text())
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    async def body(padding: int) -> AsyncIterator[bytes]:
        yield f"token={token}&limit=0&period=month&pad=".encode()  # the warning off
        for _ in range(padding // 1024):
            yield b"x" * 1024

    large = await client.post(
        url, data=body(MAX_FORM_BYTES + 1024), headers=headers, allow_redirects=False
    )
    assert large.status == 413
    assert large.request_info.headers.get("Transfer-Encoding") == "chunked"
    assert ledger(hass).users[alice_id].notify_warning is True

    small = await client.post(url, data=body(1024), headers=headers, allow_redirects=False)
    assert small.status == 303  # a chunked form within the limit is read as any other
    assert ledger(hass).users[alice_id].notify_warning is False


async def test_a_form_held_open_is_checked_against_the_user_as_they_are_when_it_ends(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    billing = await _set_up(hass, mock_config_entry, {CONF_LIMIT_MAX: 31, CONF_LIMIT: 3})
    alice_id = user_ids(billing)["Alice"]
    client = await hass_client_no_auth()
    url = await user_link(hass, "Alice")
    token = form_token(await (await client.get(url)).text())

    async def held_while(manager: Callable[[], Awaitable[None]]) -> tuple[int, str]:
        """The whole form (the highest daily limit allowed when the page was read) sent, its
        body ended only after ``manager`` changed something."""
        finish = asyncio.Event()

        async def body() -> AsyncIterator[bytes]:
            yield f"token={token}&lang=en&limit=1&period=day&notify_warning=on".encode()
            await finish.wait()

        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        sent = asyncio.ensure_future(
            client.post(url, data=body(), headers=headers, allow_redirects=False)
        )
        await asyncio.sleep(0.5)  # the page has the request and waits for the end of its body
        assert not sent.done()
        await manager()
        await hass.async_block_till_done()
        finish.set()
        response = await sent
        return response.status, await response.text()

    async def lock() -> None:  # Configure: the limit locked
        subentry = billing.subentries[alice_id]
        hass.config_entries.async_update_subentry(
            billing, subentry, data={**subentry.data, CONF_LIMIT_LOCKED: True}
        )

    status, html = await held_while(lock)
    assert (status, "Your manager has locked your limit" in html) == (400, True)
    assert billing.subentries[alice_id].data[CONF_LIMIT] == 3

    async def renew() -> None:  # a lost phone: the old link must open nothing any more
        await hass.services.async_call(
            "button", "press", {"entity_id": "button.alice_renew_personal_link"}, blocking=True
        )

    assert await held_while(renew) == (404, "404 Not Found")
    assert ledger(hass).users[alice_id].limit_kwh == 3
    assert billing.subentries[alice_id].data[CONF_LIMIT] == 3


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2.5", 2.5), ("2,5", 2.5), (" 12 ", 12.0), ("12.", 12.0), (",5", 0.5), ("1200.25", 1200.25)],
)
def test_the_limit_is_read_as_digits_and_one_decimal_separator(typed: str, expected: float) -> None:
    change = parse(
        UserConfig(id="a", name="Alice"), {"limit": typed, "period": "day"}, Words("en", {})
    )
    assert change.limit_kwh == expected


@pytest.mark.parametrize(
    "typed",
    ["1,200", "1,200.5", "1 200,5", "1.200,5", "1_000", "1e2", "12.345", "1.2.3", "0x10", "+1"],
)
@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "without thousands separators"), ("fr", "sans séparateur de milliers")],
)
def test_numbers_python_would_misread_are_refused_in_the_visitors_language(
    typed: str, language: str, message: str
) -> None:
    with pytest.raises(FormError, match=message):
        parse(
            UserConfig(id="a", name="Alice"),
            {"limit": typed, "period": "month"},
            Words(language, {}),
        )


@pytest.mark.parametrize("typed", ["١٢", "１２", "lots", "inf", "nan", ""])
def test_other_scripts_digits_and_words_are_not_numbers(typed: str) -> None:
    with pytest.raises(FormError, match="Enter the limit as a number of kWh"):
        parse(UserConfig(id="a", name="Alice"), {"limit": typed, "period": "day"}, Words("en", {}))


async def test_a_grouped_number_on_the_english_page_is_refused_not_misread(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    billing = await _set_up(hass, mock_config_entry)
    alice_id = user_ids(billing)["Alice"]
    client = await hass_client_no_auth()
    url = await user_link(hass, "Alice")
    page = await (await client.get(url)).text()

    form = {"token": form_token(page), "lang": "en", "limit": "1,200", "period": "month"}
    response = await client.post(url, data=form, allow_redirects=False)

    assert response.status == 400
    assert "Write the limit as a number like 2.5" in await response.text()
    assert ledger(hass).users[alice_id].limit_kwh is None


@pytest.mark.parametrize(
    ("query", "harmful"),
    [
        ("key={key}", "&lang=%3Cscript%3E"),  # the key first, as the link has it
        ("lang=en&k%65y={encoded}", "&x=%3Cscript%3E"),  # last, name and value encoded
        ("key={key}&lang=en", "%09"),  # a tab: an unsafe byte
    ],
)
async def test_a_refused_request_is_logged_without_the_links_key(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    query: str,
    harmful: str,
) -> None:
    # Home Assistant keeps aiohttp's access log, which shows every URL, at warning level
    # (bootstrap.py); the test harness does not.
    caplog.set_level(logging.WARNING, logger="aiohttp.access")
    await _set_up(hass, mock_config_entry)
    client = await hass_client_no_auth()
    key = parse_qs(urlsplit(await user_link(hass, "Alice")).query)["key"][0]
    encoded = "".join(f"%{byte:02X}" for byte in key.encode())
    url = f"{PAGE}?{query.format(key=key, encoded=encoded)}"
    assert (await client.get(URL(url, encoded=True))).status == 200  # the key as sent opens it

    response = await client.get(URL(f"{url}{harmful}", encoded=True))

    assert response.status == 400
    # The manager still sees the refused request and its page, not the key in any form.
    assert "Filtered a request" in caplog.text
    assert f"{PAGE}?" in caplog.text
    assert MASK in caplog.text
    assert key not in caplog.text
    assert encoded not in caplog.text
    filters = logging.getLogger(SECURITY_FILTER_LOGGER).filters
    assert sum(isinstance(f, KeyRedactor) for f in filters) == 1  # once for this instance


async def test_the_access_log_turned_up_shows_the_page_without_its_key(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A manager chasing a problem sets aiohttp.access to info: every request's line is written.
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    await _set_up(hass, mock_config_entry)
    client = await hass_client_no_auth()
    key = parse_qs(urlsplit(await user_link(hass, "Alice")).query)["key"][0]

    response = await client.get(f"{PAGE}?key={key}", headers={"Referer": f"{PAGE}?key={key}"})

    assert response.status == 200
    records = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert records, "the access log wrote nothing: the test no longer tests anything"
    assert f"{PAGE}?key={MASK}" in caplog.text
    assert key not in caplog.text
    # The fields a formatter may also print: the request line and the headers.
    for record in records:
        assert all(key not in str(value) for value in vars(record).values())


async def test_the_security_filters_other_records_pass_untouched(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    await _set_up(hass, mock_config_entry)
    logger = logging.getLogger(SECURITY_FILTER_LOGGER)

    for path in ("/api/other?key=abc&lang=%3Cscript%3E", f"{PAGE}?lang=%3Cscript%3E"):
        logger.warning("Filtered a request with a potential harmful query string: %s", path)
        assert caplog.records[-1].args == (path,)
        assert caplog.records[-1].msg.endswith(": %s")
        assert caplog.records[-1].getMessage().endswith(path)

    # A record that cannot even be formatted goes on to logging's own error handling.
    broken = logging.LogRecord(
        SECURITY_FILTER_LOGGER, logging.WARNING, "", 0, "%s %s", ("x",), None
    )
    assert KeyRedactor(PAGE, "key").filter(broken) is True
    assert broken.args == ("x",)


async def test_a_script_holding_a_link_cannot_flood_the_configuration_and_the_logbook(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    billing = await _set_up(hass, mock_config_entry)
    alice_id = user_ids(billing)["Alice"]
    client = await hass_client_no_auth()
    alice, bob = await user_link(hass, "Alice"), await user_link(hass, "Bob")

    async def change(url: str, limit: int) -> int:
        response = await post_limit(client, url, str(limit), "day")
        if response.status == 429:
            assert response.headers["Retry-After"] == "60"
        return response.status

    # The same form again changes nothing, so it is not counted.
    assert [await change(alice, 1) for _ in range(3)] == [303] * 3
    statuses = [await change(alice, 2 + n) for n in range(CHANGES_PER_USER + 2)]
    assert statuses == [303] * (CHANGES_PER_USER - 1) + [429] * 3
    assert billing.subentries[alice_id].data[CONF_LIMIT] == CHANGES_PER_USER
    assert await change(bob, 5) == 303  # another coworker's change is not held
    assert (await client.get(alice)).status == 200  # the page itself is still served
