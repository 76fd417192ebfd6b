"""What a person types into the config flow to reach a strip: its agent's host, port and token.

The config flow's tests and the options flow's tests both build that address from the running
agent, and a test varies it by naming only the field it changes; keeping the one builder here
means both flows' tests give the same address and neither test module depends on the other.
"""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN

from tests.support.agent import RunningAgent


def address(agent: RunningAgent, **changes: object) -> dict[str, object]:
    return {CONF_HOST: agent.host, CONF_PORT: agent.port, CONF_TOKEN: agent.token} | changes
