"""The price of a kWh: asked in Settings → Repairs from the moment billing exists."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.smartmulti.billing.users import CONF_OFFPEAK_PRICE, CONF_PRICE
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.repairs import ISSUE_PRICE

from .billing_support import billing_entry, ledger, set_up


@pytest.fixture
async def repairs(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "repairs", {})


async def _fix(client: Any, answer: dict[str, Any]) -> dict[str, Any]:
    """The fix flow as the frontend drives it: start it, read the form, send the answer."""
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": ISSUE_PRICE}
    )
    assert response.status == 200
    form = await response.json()
    assert form.get("step_id") == "price", (form.get("type"), form.get("reason"))
    assert form["description_placeholders"] == {"currency": "EUR"}
    assert [field["name"] for field in form["data_schema"]] == [CONF_PRICE, CONF_OFFPEAK_PRICE]
    response = await client.post(f"/api/repairs/issues/fix/{form['flow_id']}", json=answer)
    return dict(await response.json())


async def test_a_new_billing_entry_asks_for_the_price_and_the_answer_sets_it(
    hass: HomeAssistant, repairs: None, hass_client: Any
) -> None:
    await hass.config.async_update(currency="EUR")
    entry = billing_entry(hass)
    await set_up(hass, entry)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_PRICE)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"currency": "EUR"}

    client = await hass_client()
    # A price that is not a number is refused by the form, and nothing changes.
    refused = await _fix(client, {CONF_PRICE: "cheap"})
    assert refused.get("type") != "create_entry"
    assert CONF_PRICE not in entry.options

    result = await _fix(client, {CONF_PRICE: 0.25, CONF_OFFPEAK_PRICE: 0.16})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert entry.options[CONF_PRICE] == 0.25
    assert entry.options[CONF_OFFPEAK_PRICE] == 0.16
    assert ledger(hass).settings.price == 0.25  # applied in place, as the options flow does
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_PRICE) is None


async def test_a_price_already_set_asks_nothing_and_removing_billing_withdraws_the_question(
    hass: HomeAssistant,
) -> None:
    priced = billing_entry(hass, **{CONF_PRICE: 0.0})  # free energy is an answer too
    await set_up(hass, priced)
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_PRICE) is None

    hass.config_entries.async_update_entry(priced, options={})
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_PRICE) is not None
    assert await hass.config_entries.async_unload(priced.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_PRICE) is None
