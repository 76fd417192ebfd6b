"""The pairing endpoints over HTTP against a real agent on loopback: tokens, errors, long-poll."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.agent import RunningAgent, start_agent


@pytest.fixture
async def agent(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningAgent]:
    running = await start_agent(tmp_path / "agent")
    yield running
    await running.stop()


class Api:
    def __init__(self, agent: RunningAgent, http: aiohttp.ClientSession) -> None:
        self.agent = agent
        self.http = http
        self.headers: dict[str, str] = {}

    async def call(
        self, method: str, path: str, body: Any = None, *, token: str = "reporter"
    ) -> tuple[int, Any]:
        value = {"reporter": self.agent.reporter_token, "admin": self.agent.token}.get(token, token)
        async with self.http.request(
            method,
            self.agent.url + path,
            headers={"Authorization": f"Bearer {value}"},
            data=None if body is None else json.dumps(body).encode(),
            timeout=aiohttp.ClientTimeout(total=15),
        ) as response:
            self.headers = dict(response.headers)
            return response.status, await response.json()


@pytest.fixture
async def api(agent: RunningAgent) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(agent, http)


def assert_error(status: int, body: Any, expected: int, code: str) -> None:
    assert status == expected, body
    assert body["error"]["code"] == code
    assert body["error"]["message"]


async def test_reporter_token_starts_a_pairing_and_is_asked_for_its_flag(api: Api) -> None:
    status, body = await api.call("POST", "/api/v1/pairings", {"plugged": True, "user": "Amina"})
    assert status == 201, body
    assert (body["status"], body["window"], body["observe"]) == ("running", 0, True)
    assert body["user"] == "Amina"
    assert body["max_windows"] == 5


async def test_answer_for_a_window_not_asked_about_is_409(api: Api) -> None:
    _, started = await api.call("POST", "/api/v1/pairings", {"plugged": True})
    status, body = await api.call(
        "POST", f"/api/v1/pairings/{started['id']}/answers", {"window": 3, "plugged": True}
    )
    assert_error(status, body, 409, "wrong_window")


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("GET", "", None), ("DELETE", "", None), ("POST", "/answers", {"window": 0, "plugged": True})],
)
async def test_unknown_pairing_is_404(api: Api, method: str, suffix: str, body: Any) -> None:
    status, response = await api.call(method, f"/api/v1/pairings/0123456789abcdef{suffix}", body)
    assert_error(status, response, 404, "unknown_pairing")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "plugged"),
        ({"plugged": "yes"}, "plugged"),
        ({"plugged": True, "user": ""}, "user"),
        ({"plugged": True, "user": "x" * 65}, "user"),
        ({"plugged": True, "outlet": 3}, "outlet"),
        ({"plugged": True, "user_proof": "ab" * 31}, "user_proof"),
        ({"plugged": True, "user_proof": "zz" * 32}, "user_proof"),
        ({"plugged": True, "user_proof": 7}, "user_proof"),
    ],
)
async def test_invalid_pairing_start_is_422_naming_the_field(
    api: Api, body: Any, field: str
) -> None:
    status, response = await api.call("POST", "/api/v1/pairings", body)
    assert_error(status, response, 422, "invalid_value")
    assert response["error"]["field"] == field
    assert (await api.call("GET", "/api/v1/state", token="admin"))[1]["pairing"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [({"window": 6, "plugged": True}, "window"), ({"window": 0}, "plugged")],
)
async def test_invalid_pairing_answer_is_422_naming_the_field(
    api: Api, body: Any, field: str
) -> None:
    _, started = await api.call("POST", "/api/v1/pairings", {"plugged": True})
    status, response = await api.call("POST", f"/api/v1/pairings/{started['id']}/answers", body)
    assert_error(status, response, 422, "invalid_value")
    assert response["error"]["field"] == field


async def test_second_pairing_is_409_busy_with_a_retry_time(api: Api) -> None:
    await api.call("POST", "/api/v1/pairings", {"plugged": True})
    status, body = await api.call("POST", "/api/v1/pairings", {"plugged": True}, token="admin")
    assert_error(status, body, 409, "pairing_busy")
    assert body["error"]["retry_after_s"] > 0
    assert int(api.headers["Retry-After"]) >= body["error"]["retry_after_s"]


async def test_cancelled_pairing_shows_as_cancelled_in_the_state(api: Api) -> None:
    _, started = await api.call("POST", "/api/v1/pairings", {"plugged": True})
    status, body = await api.call("DELETE", f"/api/v1/pairings/{started['id']}")
    assert status == 200
    assert body["status"] == "cancelled"
    state = (await api.call("GET", "/api/v1/state", token="admin"))[1]
    assert state["pairing"]["id"] == started["id"]
    assert state["pairing"]["status"] == "cancelled"


async def credential(api: Api, outlet_id: int, user: str) -> str:
    """The credential a manager issues for a laptop whose outlet is known."""
    status, body = await api.call(
        "POST", f"/api/v1/outlets/{outlet_id}/credential", {"user": user}, token="admin"
    )
    assert status == 201, body
    issued: str = body["credential"]
    return issued


async def test_battery_report_shows_the_user_of_its_credential(api: Api) -> None:
    laptop = await credential(api, 3, "Amina")
    status, body = await api.call(
        "POST", "/api/v1/outlets/3/battery", {"percent": 40, "plugged": False}, token=laptop
    )
    assert status == 200
    assert body["pair_again"] is False
    outlet = (await api.call("GET", "/api/v1/outlets/3", token="admin"))[1]
    assert outlet["paired"]["user"] == "Amina"
    assert outlet["paired"]["method"] == "report"


async def test_reporter_is_told_to_pair_again_once_its_outlet_is_unpaired(api: Api) -> None:
    report = {"percent": 40, "plugged": False, "user": "Amina"}
    laptop = await credential(api, 3, "Amina")
    await api.call("POST", "/api/v1/outlets/3/battery", report, token=laptop)
    status, outlet = await api.call("DELETE", "/api/v1/outlets/3/pairing", token="admin")
    assert status == 200
    assert outlet["paired"] is None
    # Home Assistant relaying a phone app's battery is never the one asked to pair again.
    _, relayed = await api.call("POST", "/api/v1/outlets/3/battery", report, token="admin")
    assert relayed["pair_again"] is False
    _, answer = await api.call("POST", "/api/v1/outlets/3/battery", report, token=laptop)
    assert answer["pair_again"] is True
