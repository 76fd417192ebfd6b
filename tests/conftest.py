"""Shared by every suite.

``custom_components.smartmulti`` is imported here, before any test module, so that this
repository's ``custom_components`` package is the one Python knows: the Home Assistant test
plugin ships a ``custom_components`` package of its own, which would otherwise shadow ours
("Integration not found").
"""

import pytest

import custom_components.smartmulti  # noqa: F401


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load this repository's integrations, in tests that run Home Assistant.

    Tests without the ``hass`` fixture (the agent's, the balancing engine's) are left alone.
    """
    if "hass" in request.fixturenames:
        if "recorder_mock" in request.fixturenames:
            # The recorder's database must be prepared before Home Assistant starts.
            request.getfixturevalue("recorder_mock")
        request.getfixturevalue("enable_custom_integrations")
