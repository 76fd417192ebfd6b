"""Requests the agent's HTTP API refuses, on a real agent on loopback.

Each gets its documented status and error code in JSON, naming the field at fault where there is
one, and changes nothing: outlet settings, manual commands and the plan are as before. Outlet ids
are ASCII digits only; a body that is not JSON or nests too deep is a 400, one too large a 413,
and an integer too long to read is refused by its field.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from .api_support import (  # noqa: F401 (fixtures)
    Api,
    assert_error,
    comparable,
    fixture_agent,
    fixture_api,
    fixture_http,
)


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


async def test_unknown_path_and_wrong_method_answer_json(api: Api) -> None:
    status, body = await api.call("GET", "/api/v1/nothing-here")
    assert_error(status, body, 404, "not_found")
    status, body = await api.call("PUT", "/api/v1/plan", body={})
    assert_error(status, body, 405, "method_not_allowed")


async def test_oversized_body_is_refused(api: Api) -> None:
    status, body = await api.call("POST", "/api/v1/plan", raw=b"[" + b"1," * 60_000 + b"1]")
    assert_error(status, body, 413, "payload_too_large")


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
