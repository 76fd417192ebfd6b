"""The agent's HTTP API as Python: the client and the typed views of its JSON.

No Home Assistant import here (aiohttp only): the client is tested against a real agent and can
be used outside Home Assistant.
"""

from .api import (
    EventStreamParser,
    SmartMultiAuthError,
    SmartMultiClient,
    SmartMultiConnectionError,
    SmartMultiError,
    SmartMultiNotAgentError,
    SmartMultiResponseError,
)

__all__ = [
    "EventStreamParser",
    "SmartMultiAuthError",
    "SmartMultiClient",
    "SmartMultiConnectionError",
    "SmartMultiError",
    "SmartMultiNotAgentError",
    "SmartMultiResponseError",
]
