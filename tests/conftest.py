"""Shared by every suite.

``custom_components.smartmulti`` is imported here, before any test module, so that this
repository's ``custom_components`` package is the one Python knows: the Home Assistant test
plugin ships a ``custom_components`` package of its own, which would otherwise shadow ours
("Integration not found").
"""

from collections.abc import Iterator
import logging

import pytest

import custom_components.smartmulti  # noqa: F401
from pi_agent.logs import RateLimit


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


class _Reports(logging.Handler):
    """Collects what Home Assistant reports about this integration's use of its APIs.

    Home Assistant's frame helper logs "Detected that custom integration 'smartmulti' ..." when
    the integration calls something deprecated, and its deprecation helper logs the use of a
    deprecated constant; users see those lines in their logs, so a test that causes one fails.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(
            (
                "homeassistant.helpers.frame",
                "homeassistant.helpers.deprecation",
                "homeassistant.const",
                "homeassistant.core",
            )
        ):
            return
        message = record.getMessage()
        if "smartmulti" in message and ("Detected" in message or "deprecated" in message):
            self.reports.append(message)


@pytest.fixture(autouse=True)
def _fail_on_home_assistant_reports() -> Iterator[None]:
    handler = _Reports()
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
    if handler.reports:
        pytest.fail(
            "Home Assistant reported this integration:\n" + "\n".join(handler.reports),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _fresh_log_rate_limits() -> Iterator[None]:
    """Each test starts without the agent's log rate limits.

    A running agent attaches them to process-wide loggers (``pi_agent.logs``): left on, the
    lines one test logged would count against the next test's, and a line a test checks for
    could be withheld as a flood that never happened in that test.
    """
    yield
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            for limit in [f for f in logger.filters if isinstance(f, RateLimit)]:
                logger.removeFilter(limit)
