"""``POST /api/v1/address-proof``: the agent shows it holds the admin token at the address it is
reached at, without the token crossing the LAN.

Discovery tells Home Assistant that a strip it knows now answers elsewhere, and ``/info`` at
that address names the strip; but both are anyone's to send. Were Home Assistant to move the
strip's entry on their word, its next request would hand the admin token to whoever advertised.
So it asks the address for a proof first: an HMAC, keyed with the admin token, of its own nonce
and of the address the agent sees the request arrive at (its socket's local address). Only the
holder of the token can make it; one relayed to the real agent elsewhere names the real agent's
address, not the one Home Assistant reached, and fails. Open to anyone, like ``/info``: the HMAC
tells nothing of the token, and the nonce's context makes it useless as a credential.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import Final

from aiohttp import web
import voluptuous as vol

from pi_agent.api.context import CONTEXT
from pi_agent.api.errors import ApiError
from pi_agent.api.validation import read_json

CONTEXT_LINE: Final = "smartmulti address proof v1"
NONCE = vol.Schema({vol.Required("nonce"): vol.All(str, vol.Match(r"^[0-9a-f]{32,128}$"))})


def canonical_host(host: str) -> str:
    """An IP address as both sides write it: IPv4 as such (also when an IPv6 socket carries
    it mapped), IPv6 compressed, without a zone."""
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def address_proof(token: str, nonce: str, host: str, port: int) -> str:
    """The proof that the holder of ``token`` answers at ``host``:``port`` (hex)."""
    message = "\n".join((CONTEXT_LINE, nonce, canonical_host(host), str(port)))
    return hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()


async def post_address_proof(request: web.Request) -> web.Response:
    """The proof for Home Assistant's nonce, at the address this request reached."""
    body = await read_json(request, NONCE)
    sockname = None if request.transport is None else request.transport.get_extra_info("sockname")
    if not sockname:
        raise ApiError(503, "no_address", "the address this request reached is not known")
    host, port = str(sockname[0]), int(sockname[1])
    context = request.app[CONTEXT]
    return web.json_response(
        {
            "host": canonical_host(host),
            "port": port,
            "proof": address_proof(context.tokens.admin, body["nonce"], host, port),
        }
    )
