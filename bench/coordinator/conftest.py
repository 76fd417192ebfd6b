"""The integration tests' set-up, reused: this repository's ``custom_components`` first, and
Home Assistant allowed to load it (``tests/conftest.py``)."""

from tests.conftest import _enable_custom_integrations  # noqa: F401
