"""The personal links' rules on their own: secrets, form tokens, the failure limiter, and what
the limit form accepts (the page's own tests go through HTTP: test_coworker_page.py)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.smartmulti.billing.users import UserConfig
from custom_components.smartmulti.coworker.form import FormError, parse
from custom_components.smartmulti.coworker.i18n import Words, pick_language
from custom_components.smartmulti.coworker.links import (
    FAILURE_WINDOW_S,
    FAILURES_OVERALL,
    FAILURES_PER_CLIENT,
    FORM_TOKEN_TTL_S,
    STORAGE_KEY,
    CoworkerLinks,
    FailureLimiter,
)


async def test_secrets_are_kept_renewed_and_forgotten_with_their_user(
    hass: HomeAssistant, hass_storage: dict[str, object]
) -> None:
    links = CoworkerLinks(hass)
    await links.async_load()
    alice = links.secret("alice")
    assert links.secret("alice") == alice  # drawn once
    assert len(alice) == 43  # 32 random bytes, base64url
    assert links.resolve(alice, {"alice", "bob"}) == "alice"
    assert links.resolve(alice, {"bob"}) is None  # a removed user's link is dead

    renewed = links.renew("alice")
    assert renewed != alice
    assert links.resolve(alice, {"alice"}) is None
    links.secret("bob")
    links.forget_others({"bob"})
    assert links.resolve(renewed, {"alice", "bob"}) is None
    async_fire_time_changed(hass)  # the store writes on the next tick
    await hass.async_block_till_done()
    assert STORAGE_KEY in hass_storage

    again = CoworkerLinks(hass)  # after a restart: the same secrets, the same form key
    await again.async_load()
    assert again.resolve(links.secret("bob"), {"bob"}) == "bob"
    assert again.check_form_token("bob", links.form_token("bob"))


async def test_form_tokens_expire_and_die_with_the_secret(hass: HomeAssistant) -> None:
    links = CoworkerLinks(hass)
    await links.async_load()
    links.secret("alice")
    links.secret("bob")
    token = links.form_token("alice", now=1_000_000)
    assert links.check_form_token("alice", token, now=1_000_000 + FORM_TOKEN_TTL_S)
    assert not links.check_form_token("alice", token, now=1_000_001 + FORM_TOKEN_TTL_S)
    assert not links.check_form_token("alice", token, now=999_999)  # from the future
    assert not links.check_form_token("bob", token, now=1_000_000)
    for forged in ("", "x", "1000000", "1000000.", f"{token}0", "-5." + token.split(".")[1]):
        assert not links.check_form_token("alice", forged, now=1_000_000)
    links.renew("alice")
    assert not links.check_form_token("alice", token, now=1_000_000)


def test_the_limiter_counts_failures_per_client_and_overall_in_a_sliding_window() -> None:
    limiter = FailureLimiter()
    for _ in range(FAILURES_PER_CLIENT):
        assert not limiter.blocked("10.0.0.1", now=0.0)
        limiter.failed("10.0.0.1", now=0.0)
    assert limiter.blocked("10.0.0.1", now=1.0)
    assert not limiter.blocked("10.0.0.2", now=1.0)  # another client
    assert not limiter.blocked("10.0.0.1", now=FAILURE_WINDOW_S + 0.1)  # the window slid

    spread = FailureLimiter()  # many addresses, a few guesses each
    for index in range(FAILURES_OVERALL):
        spread.failed(f"10.1.{index // 250}.{index % 250}", now=float(index) / 100)
    assert spread.blocked("192.0.2.1", now=3.0)
    assert len(spread._by_client) <= FAILURES_OVERALL + 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"limit": "12.5", "period": "week"}, (12.5, "week")),
        ({"limit": "12,5", "period": "day"}, (12.5, "day")),
        ({"limit": " 1200.5 ", "period": "month"}, (1200.5, "month")),
        ({"limit": " 0 ", "period": "month"}, (0.0, "month")),  # no maximum: no limit is fine
    ],
)
def test_the_form_reads_numbers_as_people_type_them(
    fields: dict[str, str], expected: tuple[float, str]
) -> None:
    words = Words("en", {})
    change = parse(UserConfig(id="a", name="Alice"), fields, words)
    assert (change.limit_kwh, change.period.value if change.period else None) == expected


def test_the_maximum_scales_with_the_period_and_a_lock_refuses_the_limit() -> None:
    words = Words("fr", {})
    capped = UserConfig(id="a", name="Alice", limit_max_kwh=62.0)
    assert parse(capped, {"limit": "2", "period": "day"}, words).limit_kwh == 2.0
    with pytest.raises(FormError, match="au plus de 2,00 kWh par jour"):
        parse(capped, {"limit": "2,01", "period": "day"}, words)
    assert parse(capped, {"limit": "14", "period": "week"}, words).limit_kwh == 14.0
    with pytest.raises(FormError, match="requise"):
        parse(capped, {"limit": "0", "period": "week"}, words)
    locked = UserConfig(id="a", name="Alice", limit_locked=True)
    with pytest.raises(FormError, match="verrouillé"):
        parse(locked, {"limit": "1", "period": "day"}, words)
    change = parse(locked, {"notify_warning": "on"}, words)
    assert (change.limit_kwh, change.notify_warning) == (None, True)


def test_the_language_follows_the_browser_then_home_assistant() -> None:
    assert pick_language("fr-CA,fr;q=0.9,en;q=0.5", "en") == "fr"
    assert pick_language("de-DE,de;q=0.9,en-US;q=0.8", "fr") == "en"
    assert pick_language("de", "fr-FR") == "fr"
    assert pick_language(None, "de") == "en"
