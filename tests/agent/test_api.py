"""The HTTP API against a real agent on loopback: auth, validation, errors, and no side effects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from pathlib import Path
import re
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from pi_agent.api.server import OPENAPI_PATH, create_app
from tests.support.agent import RunningAgent, start_agent

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


@pytest.fixture
async def agent(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningAgent]:
    running = await start_agent(tmp_path / "agent")
    yield running
    await running.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Api:
    def __init__(self, agent: RunningAgent, http: aiohttp.ClientSession) -> None:
        self.agent = agent
        self.http = http

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = "admin",
        body: Any = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        headers = {}
        if token is not None:
            value = {"admin": self.agent.token, "reporter": self.agent.reporter_token}.get(
                token, token
            )
            headers["Authorization"] = f"Bearer {value}"
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        async with self.http.request(
            method,
            self.agent.url + path,
            headers=headers,
            data=data,
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:
            if response.content_type == "text/event-stream":
                return response.status, None
            return response.status, await response.json()

    async def state(self) -> dict[str, Any]:
        status, body = await self.call("GET", "/api/v1/state")
        assert status == 200
        return body


@pytest.fixture
def api(agent: RunningAgent, http: aiohttp.ClientSession) -> Api:
    return Api(agent, http)


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """What a rejected request must not change: settings, commands, plan."""
    return {
        "plan": state["plan"],
        "outlets": [
            {k: o[k] for k in ("name", "exception", "max_power_w", "override")}
            for o in state["outlets"]
        ],
    }


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


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "x"}),
        ("POST", "/relay", {"on": True}),
        ("POST", "/battery", {"percent": 50, "plugged": True}),
    ],
)
@pytest.mark.parametrize("outlet", ["0", "17", "999", "abc", "-1", "1.5", "01", "001", "0001"])
async def test_unknown_outlet_is_404(
    api: Api, method: str, suffix: str, body: Any, outlet: str
) -> None:
    status, response = await api.call(method, f"/api/v1/outlets/{outlet}{suffix}", body=body)
    assert_error(status, response, 404, "unknown_outlet")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/v1/outlets/1"),
        ("POST", "/api/v1/outlets/1/relay"),
        ("POST", "/api/v1/outlets/1/battery"),
        ("POST", "/api/v1/plan"),
    ],
)
@pytest.mark.parametrize("raw", [b"{", b"", b"\xff\xfe", b"[1, 2]", b'"on"', b"null"])
async def test_malformed_body_is_400_and_changes_nothing(
    api: Api, method: str, path: str, raw: bytes
) -> None:
    before = comparable(await api.state())
    status, body = await api.call(method, path, raw=raw)
    assert_error(status, body, 400, "malformed_json")
    assert comparable(await api.state()) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/outlets/1/battery", {"percent": 101, "plugged": True}, "percent"),
        ("/api/v1/outlets/1/battery", {"percent": -1, "plugged": True}, "percent"),
        ("/api/v1/outlets/1/battery", {"percent": "50", "plugged": True}, "percent"),
        ("/api/v1/outlets/1/battery", {"percent": 50, "plugged": "yes"}, "plugged"),
        ("/api/v1/outlets/1/battery", {"percent": 50}, "plugged"),
        ("/api/v1/outlets/1/battery", {"percent": 50, "plugged": True, "x": 1}, "x"),
        ("/api/v1/outlets/1/relay", {"on": "true"}, "on"),
        ("/api/v1/outlets/1/relay", {}, "on"),
        ("/api/v1/plan", {"on": [1], "priority": [1], "budget_w": -5, "ttl_s": 30}, "budget_w"),
        ("/api/v1/plan", {"on": [1], "priority": [1], "budget_w": 500, "ttl_s": 0}, "ttl_s"),
        ("/api/v1/plan", {"on": [1], "priority": [1], "budget_w": 500, "ttl_s": 1e9}, "ttl_s"),
        ("/api/v1/plan", {"on": [1, 1], "priority": [1], "budget_w": 500, "ttl_s": 30}, "on"),
        ("/api/v1/plan", {"on": [17], "priority": [], "budget_w": 500, "ttl_s": 30}, "on[0]"),
        ("/api/v1/plan", {"on": [1], "priority": [0], "budget_w": 500, "ttl_s": 30}, "priority[0]"),
        ("/api/v1/plan", {"on": ["1"], "priority": [], "budget_w": 500, "ttl_s": 30}, "on[0]"),
        ("/api/v1/plan", {"on": [1], "priority": [], "budget_w": 500}, "ttl_s"),
        (
            "/api/v1/plan",
            {"on": [], "priority": [], "budget_w": 5, "ttl_s": 9, "on_expiry": "x"},
            "on_expiry",
        ),
        (
            "/api/v1/plan",
            {"on": [], "priority": [], "budget_w": float("nan"), "ttl_s": 9},
            "budget_w",
        ),
        (
            "/api/v1/plan",
            {"on": [], "priority": [], "budget_w": 5, "ttl_s": 9, "reserve_w": {"17": 40}},
            "reserve_w.17",
        ),
        (  # an Arabic-Indic one is a digit to Python, not an outlet id
            "/api/v1/plan",
            {"on": [], "priority": [], "budget_w": 5, "ttl_s": 9, "reserve_w": {"\u0661": 40}},
            "reserve_w.\u0661",
        ),
    ],
)
async def test_out_of_range_value_is_422_naming_the_field_and_changes_nothing(
    api: Api, path: str, body: Any, field: str
) -> None:
    before = comparable(await api.state())
    status, response = await api.call("POST", path, raw=json.dumps(body).encode())
    assert_error(status, response, 422, "invalid_value")
    assert response["error"]["field"] == field
    assert comparable(await api.state()) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"name": ""}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"exception": 1}, "exception"),
        ({"max_power_w": 0}, "max_power_w"),
        ({"max_power_w": 5000}, "max_power_w"),
        ({"name": "ok", "colour": "red"}, "colour"),
    ],
)
async def test_invalid_outlet_patch_is_422_and_changes_nothing(
    api: Api, body: Any, field: str
) -> None:
    before = comparable(await api.state())
    status, response = await api.call("PATCH", "/api/v1/outlets/2", body=body)
    assert_error(status, response, 422, "invalid_value")
    assert response["error"]["field"] == field
    assert comparable(await api.state()) == before


async def test_patch_renames_an_outlet_and_persists_it(api: Api) -> None:
    status, body = await api.call(
        "PATCH", "/api/v1/outlets/2", body={"name": "Window desk", "max_power_w": 90}
    )
    assert status == 200
    assert (body["name"], body["max_power_w"]) == ("Window desk", 90)
    await api.agent.agent.persist()
    saved = json.loads((api.agent.data_dir / "state.json").read_text())
    assert saved["data"]["outlets"]["2"]["name"] == "Window desk"


async def test_manual_relay_command_is_held_and_released(api: Api) -> None:
    status, body = await api.call("POST", "/api/v1/outlets/4/relay", body={"on": False})
    assert status == 200
    assert body["override"] is False
    status, body = await api.call("POST", "/api/v1/outlets/4/relay", body={"on": None})
    assert body["override"] is None


async def test_manual_relay_command_on_an_exception_outlet_is_409(api: Api) -> None:
    status, body = await api.call("POST", "/api/v1/outlets/16/relay", body={"on": False})
    assert_error(status, body, 409, "exception_outlet")


async def test_an_outlet_made_an_exception_drops_its_held_command(api: Api) -> None:
    """An exception outlet is always on: a command held from before would only contradict it
    in the state (and in Home Assistant)."""
    status, body = await api.call("POST", "/api/v1/outlets/2/relay", body={"on": False})
    assert (status, body["override"]) == (200, False)
    status, body = await api.call("PATCH", "/api/v1/outlets/2", body={"exception": True})
    assert status == 200, body
    assert (body["exception"], body["override"]) == (True, None)


async def test_plan_is_accepted_and_shown_in_the_state(api: Api) -> None:
    plan = {"on": [1, 2], "priority": [2, 1], "budget_w": 400, "ttl_s": 30}
    status, body = await api.call("POST", "/api/v1/plan", body=plan)
    assert status == 200
    assert body["accepted"] is True
    state = await api.state()
    assert state["plan"]["on"] == [1, 2]
    assert state["plan"]["priority"] == [2, 1]
    assert state["limit_w"] in (400, state["failsafe_budget_w"])  # in force from the next sample


async def test_a_plans_looks_are_accepted_and_shown_in_the_state(api: Api) -> None:
    state = await api.state()
    assert all(o["found_empty"] is False for o in state["outlets"])
    plan = {"on": [1, 2], "priority": [2, 1], "budget_w": 400, "ttl_s": 30, "looks": [2]}
    status, body = await api.call("POST", "/api/v1/plan", body=plan)
    assert status == 200, body
    assert (await api.state())["plan"]["looks"] == [2]


@pytest.mark.parametrize(
    ("looks", "field", "message"),
    [
        ([3], "looks[0]", "outlet 3 is not in on"),
        ([1, 17], "looks[1]", "no outlet 17"),
        ([16], "looks[0]", "outlet 16 is an exception outlet"),
        (2, "looks", "expected a list of outlet ids"),
        ([2, 2], "looks", "must not repeat"),
        (["2"], "looks[0]", "expected an integer outlet id"),
    ],
)
async def test_an_invalid_look_is_refused_naming_it_and_changes_nothing(
    api: Api, looks: Any, field: str, message: str
) -> None:
    before = comparable(await api.state())
    plan = {"on": [1, 2, 16], "priority": [1, 2], "budget_w": 400, "ttl_s": 30, "looks": looks}
    status, body = await api.call("POST", "/api/v1/plan", body=plan)
    assert_error(status, body, 422, "invalid_value")
    assert body["error"]["field"] == field
    assert message in body["error"]["message"]
    assert comparable(await api.state()) == before


async def test_deleting_the_plan_returns_to_failsafe(api: Api) -> None:
    await api.call(
        "POST", "/api/v1/plan", body={"on": [], "priority": [], "budget_w": 400, "ttl_s": 30}
    )
    status, _ = await api.call("DELETE", "/api/v1/plan")
    assert status == 200
    assert (await api.state())["plan"] is None


async def test_unknown_path_and_wrong_method_answer_json(api: Api) -> None:
    status, body = await api.call("GET", "/api/v1/nothing-here")
    assert_error(status, body, 404, "not_found")
    status, body = await api.call("PUT", "/api/v1/plan", body={})
    assert_error(status, body, 405, "method_not_allowed")


async def test_oversized_body_is_refused(api: Api) -> None:
    status, body = await api.call("POST", "/api/v1/plan", raw=b"[" + b"1," * 60_000 + b"1]")
    assert_error(status, body, 413, "payload_too_large")


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


async def test_exception_outlets_that_would_exceed_the_hard_limit_are_refused(api: Api) -> None:
    state = await api.state()
    hard = state["hard_limit_w"]
    refused = None
    used = sum(o["max_power_w"] for o in state["outlets"] if o["exception"])
    for outlet in state["outlets"]:
        if outlet["exception"]:
            continue
        status, body = await api.call(
            "PATCH", f"/api/v1/outlets/{outlet['id']}", body={"exception": True}
        )
        if used + outlet["max_power_w"] <= hard:
            assert status == 200, body
            used += outlet["max_power_w"]
            continue
        before = comparable(await api.state())
        assert_error(status, body, 422, "invalid_value")
        assert body["error"]["field"] == "exception"
        assert comparable(await api.state()) == before
        refused = outlet["id"]
        break
    assert refused is not None
    exceptions = [o for o in (await api.state())["outlets"] if o["exception"]]
    assert sum(o["max_power_w"] for o in exceptions) <= hard


async def test_a_plan_budget_below_the_exceptions_draw_is_clamped_and_reported(api: Api) -> None:
    plan = {"on": [], "priority": [], "budget_w": 0, "ttl_s": 60}
    lamp_w = 0.0
    for _ in range(50):  # the lamp (outlet 16) is on from the first sample
        lamp_w = (await api.state())["outlets"][15]["power_w"]
        if lamp_w > 0:
            break
        await asyncio.sleep(0.1)
    assert lamp_w > 0
    status, body = await api.call("POST", "/api/v1/plan", body=plan)
    assert status == 200
    assert body["limit_clamped"] is True
    assert body["limit_w"] == pytest.approx(lamp_w, abs=2)
    await asyncio.sleep(0.5)
    state = await api.state()
    assert state["budget_w"] == 0
    assert state["limit_clamped"] is True
    assert state["outlets"][15]["relay"] is True
    assert [o["id"] for o in state["outlets"] if o["relay"]] == [16]


@pytest.mark.parametrize(
    "outlet", ["\u00b2", "\u0661", "\U0001d7cf", "\u0967", "1\u00b2", "\uff11", "-1", "+1", " 1"]
)
async def test_outlet_ids_are_ascii_digits_only(api: Api, outlet: str) -> None:
    before = comparable(await api.state())
    for method, path, body in (
        ("GET", "", None),
        ("PATCH", "", {"name": "x"}),
        ("POST", "/relay", {"on": False}),
        ("POST", "/battery", {"percent": 50, "plugged": True}),
    ):
        status, response = await api.call(
            method, f"/api/v1/outlets/{quote(outlet)}{path}", body=body
        )
        assert_error(status, response, 404, "unknown_outlet")
    assert comparable(await api.state()) == before


async def test_a_pairing_id_that_is_not_ascii_is_unknown(api: Api) -> None:
    status, body = await api.call("GET", "/api/v1/pairings/" + quote("\u00e9t\u00e9"))
    assert_error(status, body, 404, "unknown_pairing")


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"on": ' + b"[" * 20 + b"]" * 20 + b', "priority": [], "budget_w": 1, "ttl_s": 9}',
    ],
)
async def test_deep_json_is_a_400_and_changes_nothing(api: Api, raw: bytes) -> None:
    before = comparable(await api.state())
    status, body = await api.call("POST", "/api/v1/plan", raw=raw)
    assert_error(status, body, 400, "malformed_json")
    assert comparable(await api.state()) == before


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"on": [], "priority": [], "budget_w": ' + b"9" * 5000 + b', "ttl_s": 9}', "budget_w"),
        (b'{"on": [' + b"1" * 4301 + b'], "priority": [], "budget_w": 1, "ttl_s": 9}', "on[0]"),
    ],
)
async def test_an_integer_too_long_to_read_is_refused_by_its_field_and_changes_nothing(
    api: Api, raw: bytes, field: str
) -> None:
    before = comparable(await api.state())
    status, body = await api.call("POST", "/api/v1/plan", raw=raw)
    assert_error(status, body, 422, "invalid_value")
    assert body["error"]["field"] == field
    assert "set_int_max_str_digits" not in body["error"]["message"]
    assert comparable(await api.state()) == before
