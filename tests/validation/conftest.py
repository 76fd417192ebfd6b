"""The validation tests reuse the integration suite's fixtures (a real agent, an entry)."""

from tests.integration.conftest import (  # noqa: F401
    agent,
    init_integration,
    mock_config_entry,
    start_test_agent,
)
