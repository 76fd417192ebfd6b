"""Property-based fuzzing of the agent's API from its own OpenAPI document (schemathesis).

Every generated request, with and without a valid token: no 5xx, every response matches the
document, and a rejected request leaves the agent's state as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
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
        running.agent.throttle = FailureThrottle(free_failures=10**9)
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
