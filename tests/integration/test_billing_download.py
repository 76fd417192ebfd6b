"""The billing CSV from the browser: a signed link for the administrator who ran the export,
and nothing for anyone else."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest

from custom_components.smartmulti.billing.users import CONF_PRICE
from custom_components.smartmulti.const import DOMAIN

from .billing_support import billing_entry, set_up


async def _run_export(ws_client: Any) -> dict[str, Any]:
    """The action as the frontend runs it (Developer tools → Actions): over the websocket."""
    start = dt_util.now() - timedelta(days=1)
    await ws_client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "export_billing",
            "service_data": {"start": start.isoformat(), "end": dt_util.now().isoformat()},
            "return_response": True,
        }
    )
    return dict(await ws_client.receive_json())


async def _export_from_the_ui(hass: HomeAssistant, ws_client: Any) -> dict[str, Any]:
    reply = await _run_export(ws_client)
    assert reply["success"], reply
    return dict(reply["result"]["response"])


@pytest.fixture
async def billing(hass: HomeAssistant, tmp_path: Path) -> None:
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, "http", {})
    await set_up(hass, billing_entry(hass, {"Alice": {}}, **{CONF_PRICE: 0.25}))


async def test_the_export_links_to_its_csv_for_the_admin_who_ran_it(
    hass: HomeAssistant, billing: None, hass_ws_client: Any, hass_client_no_auth: Any
) -> None:
    response = await _export_from_the_ui(hass, await hass_ws_client(hass))
    url = response["url"]
    assert url.startswith(f"/api/{DOMAIN}/billing/billing_")
    assert "authSig=" in url

    client = await hass_client_no_auth()  # a browser following the link: no header at all
    download = await client.get(url)
    assert download.status == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Cache-Control"] == "no-store"
    assert await download.text() == response["csv"]

    # The link is the file it was made for: another name, or no signature, gets nothing.
    unsigned = await client.get(url.split("?")[0])
    assert unsigned.status == 401
    other = await client.get(url.replace("billing_", "billing_1", 1))
    assert other.status in (401, 404)


async def test_a_non_admin_can_neither_export_nor_download(
    hass: HomeAssistant,
    billing: None,
    hass_ws_client: Any,
    hass_client: Any,
    hass_read_only_access_token: str,
) -> None:
    reply = await _run_export(await hass_ws_client(hass, hass_read_only_access_token))
    assert not reply["success"]
    assert reply["error"]["code"] in ("unauthorized", "home_assistant_error"), reply

    # An export made by an administrator is still out of a non-admin's reach.
    response = await _export_from_the_ui(hass, await hass_ws_client(hass))
    name = response["url"].split("?")[0]
    as_reader = await hass_client(hass_read_only_access_token)
    refused = await as_reader.get(name)
    assert refused.status == 403
    assert "Alice" not in await refused.text()
    # Path tricks never leave the exports.
    for trick in ("..%2F..%2Fsecrets.yaml", "billing_20250101_20250102.csv.bak"):
        assert (await as_reader.get(f"/api/{DOMAIN}/billing/{trick}")).status in (400, 403, 404)
