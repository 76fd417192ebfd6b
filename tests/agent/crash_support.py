"""Reading a spawned agent's state over its HTTP API, for the tests that kill the agent process or
break its storage.

Those tests start the agent as a real process (``tests.support.agent.spawn_agent``) and judge it
only by what its API answers; the crash tests and the storage-fault tests read that answer the
same way, so the reader lives here, beside both, and neither test module depends on the other.
"""

from __future__ import annotations

import json
from typing import Any
import urllib.request

from tests.support.agent import AgentProcess


def state(agent: AgentProcess) -> dict[str, Any]:
    request = urllib.request.Request(
        agent.url + "/api/v1/state", headers={"Authorization": f"Bearer {agent.token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)  # type: ignore[no-any-return]
