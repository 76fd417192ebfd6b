"""Reaching a strip's agent from a flow: its address and token, and whether they work."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from ..client import (
    SmartMultiAuthError,
    SmartMultiClient,
    SmartMultiError,
)
from ..client.api import SmartMultiForbiddenError
from ..client.models import AgentInfo
from ..compat import vol
from ..const import DEFAULT_PORT, LOGGER

PORT = vol.All(vol.Coerce(int), vol.Range(min=1, max=65535))
TOKEN = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TOKEN_SCHEMA = vol.Schema({vol.Required(CONF_TOKEN): TOKEN})
ADDRESS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): TextSelector(),
        vol.Required(CONF_PORT, default=DEFAULT_PORT): PORT,
        vol.Required(CONF_TOKEN): TOKEN,
    }
)


def agent_client(hass: HomeAssistant, host: str, port: int, token: str | None) -> SmartMultiClient:
    return SmartMultiClient(host, port, token, session=async_get_clientsession(hass))


async def async_validate_agent(
    hass: HomeAssistant, host: str, port: int, token: str
) -> tuple[AgentInfo | None, dict[str, str]]:
    """Ask the agent who it is, then check the token on an endpoint that needs it."""
    client = agent_client(hass, host, port, token)
    try:
        info = await client.info()
        await client.state()
    except SmartMultiForbiddenError:
        return None, {"base": "reporter_token"}
    except SmartMultiAuthError:
        return None, {"base": "invalid_auth"}
    except SmartMultiError as err:
        LOGGER.debug("Cannot connect to a SmartMulti agent at %s:%s: %s", host, port, err)
        return None, {"base": "cannot_connect"}
    except Exception:
        LOGGER.exception("Unexpected error validating the SmartMulti agent at %s:%s", host, port)
        return None, {"base": "unknown"}
    return info, {}
