"""Who may call the agent's HTTP API, on a real agent on loopback.

Every protected operation is enumerated from the OpenAPI document, which is checked to hold every
route the server serves, so a new endpoint cannot forget its check: each refuses a missing and a
wrong token, and each not open to the reporter token refuses that one. A laptop's credential
reports its own outlet's battery, under the user it paired as, and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from pi_agent.api.server import OPENAPI_PATH, create_app

from .api_support import (  # noqa: F401 (fixtures)
    Api,
    assert_error,
    fixture_agent,
    fixture_api,
    fixture_http,
)

OPENAPI = json.loads(OPENAPI_PATH.read_text())
METHODS = {"get", "post", "patch", "delete", "put"}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of the OpenAPI document, path parameters filled with 1."""
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path), op)
        for path, item in OPENAPI["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


PROTECTED = [(m, p) for m, p, op in operations() if op.get("security") != []]
# Operations open to the reporter token list the "reporter" scheme; every other one refuses it.
ADMIN_ONLY = [
    (m, p)
    for m, p, op in operations()
    if op.get("security") != [] and {"reporter": []} not in op.get("security", [])
]


async def test_info_needs_no_token(api: Api) -> None:
    status, body = await api.call("GET", "/api/v1/info", token=None)
    assert status == 200
    assert body["serial"] == api.agent.serial
    assert body["outlets"] == 16
    assert body["api_version"] == 1


async def test_openapi_document_is_served_and_matches_the_repository(api: Api) -> None:
    status, body = await api.call("GET", "/api/v1/openapi.json", token=None)
    assert status == 200
    assert body == OPENAPI


async def test_every_route_of_the_server_is_in_the_openapi_document(api: Api) -> None:
    app = create_app(api.agent.agent)
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    documented = {
        (method.upper(), path)
        for path, item in OPENAPI["paths"].items()
        for method in item
        if method in METHODS
    }
    assert served == documented


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_protected_endpoint_refuses_a_missing_token(api: Api, method: str, path: str) -> None:
    status, body = await api.call(method, path, token=None, body={})
    assert_error(status, body, 401, "unauthorized")


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_protected_endpoint_refuses_a_wrong_token(api: Api, method: str, path: str) -> None:
    status, body = await api.call(method, path, token="not-the-token-at-all", body={})
    assert_error(status, body, 401, "unauthorized")


@pytest.mark.parametrize(("method", "path"), ADMIN_ONLY)
async def test_reporter_token_is_refused_outside_pairing(api: Api, method: str, path: str) -> None:
    status, body = await api.call(method, path, token="reporter", body={})
    code = "credential_required" if path.endswith("/battery") else "forbidden"
    assert_error(status, body, 403, code)


async def issue(api: Api, outlet_id: int, user: str) -> str:
    status, body = await api.call(
        "POST", f"/api/v1/outlets/{outlet_id}/credential", body={"user": user}
    )
    assert status == 201, body
    assert (body["outlet"], body["user"]) == (outlet_id, user)
    credential: str = body["credential"]
    return credential


async def test_a_laptop_credential_posts_its_outlets_battery_and_nothing_else(api: Api) -> None:
    credential = await issue(api, 3, "Amina")
    report = {"percent": 42, "plugged": True}
    status, body = await api.call(
        "POST", "/api/v1/outlets/3/battery", token=credential, body=report
    )
    assert status == 200
    assert body["battery"]["percent"] == 42
    state = await api.state()
    assert state["outlets"][2]["battery"]["plugged"] is True
    assert state["outlets"][2]["paired"]["user"] == "Amina"
    status, body = await api.call(
        "POST", "/api/v1/outlets/4/battery", token=credential, body=report
    )
    assert_error(status, body, 403, "wrong_outlet")
    for method, path in (("GET", "/api/v1/state"), ("POST", "/api/v1/pairings")):
        status, body = await api.call(method, path, token=credential, body={"plugged": True})
        assert_error(status, body, 403, "forbidden")


async def test_no_coworker_can_relabel_an_outlet_or_fake_its_battery(api: Api) -> None:
    credential = await issue(api, 3, "Amina")
    before = (await api.state())["outlets"][2]
    forged = {"percent": 1, "plugged": True, "user": "Mallory"}
    status, body = await api.call(
        "POST", "/api/v1/outlets/3/battery", token="reporter", body=forged
    )
    assert_error(status, body, 403, "credential_required")
    # Amina's own reporter cannot name someone else either: its user is the one it paired as.
    status, _ = await api.call("POST", "/api/v1/outlets/3/battery", token=credential, body=forged)
    assert status == 200
    after = (await api.state())["outlets"][2]
    assert after["paired"]["user"] == before["paired"]["user"] == "Amina"


async def test_a_new_credential_for_the_outlet_revokes_the_old_one(api: Api) -> None:
    first = await issue(api, 3, "Amina")
    await issue(api, 3, "Bruno")
    report = {"percent": 10, "plugged": True}
    status, body = await api.call("POST", "/api/v1/outlets/3/battery", token=first, body=report)
    assert status == 200
    assert body["pair_again"] is True
    state = await api.state()
    assert state["outlets"][2]["paired"]["user"] == "Bruno"
    assert state["outlets"][2]["battery"] is None  # nothing the old laptop said was recorded


async def test_repeated_bad_tokens_are_slowed_without_locking_out_the_right_one(api: Api) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(8):
        await api.call("GET", "/api/v1/state", token="guess")
    started = loop.time()
    status, _ = await api.call("GET", "/api/v1/state", token="guess")
    assert status == 401
    assert loop.time() - started >= 0.8  # 9th failure: 0.05 s x 2^4
    status, _ = await api.call("GET", "/api/v1/state")
    assert status == 200
