"""Reaching a strip's agent from a flow: its address and token, and whether they work."""

from __future__ import annotations

import hashlib
import hmac
from ipaddress import IPv6Address, ip_address
import secrets
from typing import Any, Final

from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
from yarl import URL

from ..client import (
    SmartMultiAuthError,
    SmartMultiClient,
    SmartMultiError,
    SmartMultiNotAgentError,
    SmartMultiResponseError,
)
from ..client.api import HTTP_ERROR, SmartMultiForbiddenError
from ..client.models import AgentInfo
from ..compat import vol
from ..const import DEFAULT_PORT, LOGGER

MAX_PORT = 65535
MAX_HOST_CHARS = 253  # the longest name DNS resolves
PORT = vol.All(vol.Coerce(int), vol.Range(min=1, max=MAX_PORT))
TOKEN = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TOKEN_SCHEMA = vol.Schema({vol.Required(CONF_TOKEN): TOKEN})
ADDRESS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): TextSelector(),
        vol.Required(CONF_PORT, default=DEFAULT_PORT): PORT,
        vol.Required(CONF_TOKEN): TOKEN,
    }
)


def parse_address(typed: str, port: int) -> tuple[str, int] | None:
    """The host and port a manager typed: a host name or an IP address (IPv6 with or without
    brackets), or the agent's URL as its log or a browser shows it (``http://host:port/``),
    whose port wins over the port field. None for anything else (a path, a user, ``https``:
    the agent serves plain HTTP), which could only fail to connect for another reason.
    """
    text = typed.strip()
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return str(ip_address(bare)), port
    except ValueError:
        pass
    try:
        url = URL(text if "://" in text else f"http://{text}")
    except ValueError:
        return None
    if (
        url.scheme != "http"
        or not url.host
        or url.path not in ("", "/")
        or url.user is not None
        or url.query_string
        or url.fragment
    ):
        return None
    host = url.host
    if url.explicit_port is not None:
        port = url.explicit_port
    if len(host) > MAX_HOST_CHARS or not 1 <= port <= MAX_PORT:
        return None
    try:
        URL.build(scheme="http", host=host, port=port)
    except ValueError:
        return None
    return host, port


def typed_token(user_input: dict[str, Any]) -> str:
    """The token as the manager pasted it, from the agent's ``token`` file: its line break
    and stray spaces are no part of it (a generated token has none)."""
    return str(user_input[CONF_TOKEN]).strip()


# What the agent's proof is made over (``pi_agent/api/address_proof.py``: the same HMAC).
PROOF_CONTEXT: Final = "smartmulti address proof v1"


def address_proof(token: str, nonce: str, host: str, port: int) -> str:
    """The proof that the holder of ``token`` answers at ``host``:``port`` (an IP address),
    as the agent makes it: an HMAC of the nonce and of the address, keyed with the token."""
    ip = ip_address(host.split("%", 1)[0])
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    message = "\n".join((PROOF_CONTEXT, nonce, str(ip), str(port)))
    return hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()


async def async_proves_address(hass: HomeAssistant, host: str, port: int, token: str) -> bool:
    """Whether the agent answering at ``host``:``port`` holds ``token``, asked without sending
    it: only then may a strip's entry, and its token with it, move there.

    Anyone on the LAN can advertise a strip's serial and answer ``/info`` with it; only the
    strip's own agent can make the proof for the address it is reached at. An agent too old to
    make one, or an address that is no IP address, proves nothing.
    """
    nonce = secrets.token_hex(16)
    try:
        expected = address_proof(token, nonce, host, port)
        proof = await agent_client(hass, host, port, None).address_proof(nonce)
    except (SmartMultiError, ValueError) as err:
        LOGGER.debug("No address proof from %s:%s: %s", host, port, err)
        return False
    return hmac.compare_digest(proof.encode(), expected.encode())


def agent_client(hass: HomeAssistant, host: str, port: int, token: str | None) -> SmartMultiClient:
    return SmartMultiClient(host, port, token, session=async_get_clientsession(hass))


async def async_validate_agent(
    hass: HomeAssistant, host: str, port: int, token: str
) -> tuple[AgentInfo | None, dict[str, str]]:
    """Ask the agent who it is, then check the token on an endpoint that needs it.

    Every agent tells who it is without a token: what refuses that, or answers it otherwise,
    is something else at that address (Home Assistant itself, a router), never a wrong token.
    """
    client = agent_client(hass, host, port, token)
    try:
        info = await client.info()
    except SmartMultiError as err:
        if _not_an_agent(err):
            LOGGER.debug("What answers at %s:%s is no SmartMulti agent: %s", host, port, err)
            return None, {"base": "not_agent"}
        LOGGER.debug("Cannot connect to a SmartMulti agent at %s:%s: %s", host, port, err)
        return None, {"base": "cannot_connect"}
    except Exception:
        LOGGER.exception("Unexpected error validating the SmartMulti agent at %s:%s", host, port)
        return None, {"base": "unknown"}
    try:
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


def _not_an_agent(err: SmartMultiError) -> bool:
    """Whether an error asking who the agent is shows that something else answers: an agent
    never wants a token for it, and its own errors (a busy agent) are JSON errors it names."""
    if isinstance(err, SmartMultiResponseError):
        return err.code == HTTP_ERROR
    return isinstance(err, SmartMultiNotAgentError | SmartMultiAuthError)
