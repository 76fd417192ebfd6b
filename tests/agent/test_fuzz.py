"""Property-based fuzzing of the agent's API from its own OpenAPI document (schemathesis).

Every generated request, with and without a valid token: no 5xx, every response matches the
document, and a rejected request leaves the agent's state as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
import requests
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from pi_agent.api.server import OPENAPI_PATH
from pi_agent.auth import FailureThrottle

from .threaded import ThreadedAgent, threaded_agent

schema = schemathesis.openapi.from_path(OPENAPI_PATH).exclude(path="/api/v1/events")
# Some bounds depend on the strip (outlet ids up to its outlet count, max power up to its hard
# limit): a schema-valid value beyond them is rightly refused with a documented 422.
STRIP_BOUNDS = [positive_data_acceptance]
FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture
def agent(tmp_path: Path, socket_enabled: None) -> Iterator[ThreadedAgent]:
    """A fresh agent per operation: what one operation's fuzzing does cannot mask another's."""
    with threaded_agent(tmp_path / "agent") as running:
        # Bad tokens are throttled per client; the fuzzer is one client sending thousands.
        running.agent.throttle = FailureThrottle(free_failures=10**9, strip_rate_per_s=1e9)
        yield running


def settings_state(agent: ThreadedAgent) -> dict[str, Any]:
    """What a rejected request must not change."""
    response = requests.get(
        agent.url + "/api/v1/state", headers={"Authorization": f"Bearer {agent.token}"}, timeout=10
    )
    response.raise_for_status()
    state = response.json()
    return {
        "plan": None
        if state["plan"] is None
        else {k: v for k, v in state["plan"].items() if k != "expires_in_s"},
        "outlets": [
            {
                k: o[k]
                for k in ("name", "exception", "max_power_w", "override", "battery")
                if k != "battery"
            }
            for o in state["outlets"]
        ],
    }


@schema.parametrize()
@FUZZ
def test_api_with_admin_token(case: schemathesis.Case, agent: ThreadedAgent) -> None:
    before = settings_state(agent)
    response = case.call_and_validate(
        base_url=agent.url,
        headers={"Authorization": f"Bearer {agent.token}"},
        excluded_checks=STRIP_BOUNDS,
    )
    if response.status_code >= 400:
        assert settings_state(agent) == before


@schema.parametrize()
@FUZZ
def test_api_without_a_valid_token(case: schemathesis.Case, agent: ThreadedAgent) -> None:
    before = settings_state(agent)
    response = case.call_and_validate(
        base_url=agent.url, headers={"Authorization": "Bearer nope"}, excluded_checks=STRIP_BOUNDS
    )
    secured = case.operation.definition.raw.get("security") != []
    documented_method = case.method.upper() == case.operation.method.upper()
    if secured and documented_method and response.status_code != 400:
        assert response.status_code == 401
    assert settings_state(agent) == before or not secured


# Beyond the document: what a hostile client sends that no schema generator would.
PATH_IDS = st.text(
    alphabet=st.characters(categories=("Nd", "No", "Nl", "Lu", "Ll", "Po", "Zs")),
    min_size=1,
    max_size=5,
)
LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
NESTED = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=40,
)


def deep(depth: int, opener: bytes) -> bytes:
    closer = b"]" if opener == b"[" else b"}"
    inner = b'"a":' if opener == b"{" else b""
    return (opener + inner) * depth + b"1" + closer * depth


RAW_BODIES = (
    st.builds(lambda body: json.dumps(body).encode(), NESTED)
    | st.builds(deep, st.integers(1, 20_000), st.sampled_from([b"[", b"{"]))
    | st.builds(lambda n: b'{"budget_w": ' + b"7" * n + b"}", st.integers(4000, 20_000))
)
BODY_ROUTES = [
    ("POST", "/api/v1/plan"),
    ("PATCH", "/api/v1/outlets/1"),
    ("POST", "/api/v1/outlets/1/relay"),
    ("POST", "/api/v1/outlets/1/battery"),
    ("POST", "/api/v1/pairings"),
]


def assert_documented_error(response: requests.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)


@FUZZ
@given(outlet=PATH_IDS)
def test_unicode_outlet_ids_get_a_documented_4xx(agent: ThreadedAgent, outlet: str) -> None:
    before = settings_state(agent)
    headers = {"Authorization": f"Bearer {agent.token}"}
    url = f"{agent.url}/api/v1/outlets/{quote(outlet, safe='')}"
    for method, suffix, body in (("GET", "", None), ("PATCH", "", {"name": "fuzz"})):
        response = requests.request(method, url + suffix, json=body, headers=headers, timeout=10)
        assert_documented_error(response)
        if not (outlet.isascii() and outlet.isdigit()):
            assert response.status_code == 404
    assert settings_state(agent)["plan"] == before["plan"]


@FUZZ
@given(raw=RAW_BODIES, route=st.sampled_from(BODY_ROUTES))
def test_deep_and_huge_bodies_get_a_documented_4xx(
    agent: ThreadedAgent, raw: bytes, route: tuple[str, str]
) -> None:
    before = settings_state(agent)
    method, path = route
    response = requests.request(
        method,
        agent.url + path,
        data=raw,
        headers={"Authorization": f"Bearer {agent.token}"},
        timeout=10,
    )
    assert_documented_error(response)
    if response.status_code >= 400:
        assert settings_state(agent) == before
