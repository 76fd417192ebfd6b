"""Who may call a route: the bearer-token check every route but ``/info`` and ``/address-proof``
(``address_proof.py``) is wrapped in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import time
from typing import Any

from aiohttp import web

from pi_agent.api.context import CONTEXT, AgentContext, Handler
from pi_agent.api.errors import ApiError
from pi_agent.auth import FailureThrottle, Scope

# Stored on the request: the granted token scope, and for a laptop credential (its outlet,
# revoked). Typed keys where aiohttp has them (3.12 on), which warns on string keys; the
# agent also runs beside older aiohttp (Home Assistant 2025.4 ships 3.11).
SCOPE: Any
LAPTOP: Any
try:
    SCOPE = web.RequestKey("smartmulti.scope", str)
    LAPTOP = web.RequestKey("smartmulti.laptop", tuple)
except AttributeError:
    SCOPE, LAPTOP = "smartmulti.scope", "smartmulti.laptop"


def requires(scope: Scope) -> Callable[[Handler], Handler]:
    """Bearer-token check; ``reporter`` and ``laptop`` routes also accept the admin token.

    ``reporter`` (the token every coworker's reporter shares) only starts and answers
    pairings; ``laptop`` (a credential a pairing issued for one outlet) only reports that
    outlet's battery, which the handler checks.
    """

    def decorate(handler: Handler) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            context = request.app[CONTEXT]
            throttle = context.throttle
            client = request.remote or "?"
            # An address that keeps failing waits for the strip-wide budget before its token is
            # even compared; any other is compared at once, so a valid one is never queued.
            gated = throttle.gate_before_checking(client, time.monotonic())
            if gated:
                await _take_a_place(throttle, client)
            granted = _granted(request, context)
            if granted is None:
                delay = throttle.failed(client, time.monotonic())
                if not gated:  # its failure takes a place in the budget all the same
                    await _take_a_place(throttle, client)
                if delay:
                    await asyncio.sleep(delay)
                raise ApiError(401, "unauthorized", "missing or invalid bearer token")
            if granted == "admin":  # every coworker holds the reporter token: no pass for it
                throttle.succeeded(client)
            context.connections.authenticated(request, admin=granted == "admin")
            if scope == "admin" and granted == "reporter":
                raise ApiError(
                    403,
                    "forbidden",
                    "the reporter token may only start and answer a pairing: this needs the "
                    "admin token",
                )
            if scope != "laptop" and granted == "laptop":
                outlet_id, _revoked = request[LAPTOP]
                raise ApiError(
                    403,
                    "forbidden",
                    "a laptop credential may only report its own outlet's battery (this one is "
                    f"for outlet {outlet_id})",
                )
            if scope == "laptop" and granted == "reporter":
                raise ApiError(
                    403,
                    "credential_required",
                    "the shared reporter token only starts a pairing: battery reports need the "
                    "credential the pairing gave this laptop",
                )
            request[SCOPE] = granted
            return await handler(request)

        checked.__name__ = handler.__name__
        checked.__doc__ = handler.__doc__
        return checked

    return decorate


def _granted(request: web.Request, context: AgentContext) -> Scope | None:
    """The scope of the request's bearer credential, None if it has no valid one."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    # RFC 9110: the scheme is case-insensitive ("bearer" is "Bearer").
    if scheme.lower() != "bearer":
        return None
    presented = presented.strip()
    granted = context.tokens.scope_of(presented)
    if granted is None and presented:
        laptop = context.controller.pairing.credentials.lookup(presented)
        if laptop is not None:
            request[LAPTOP] = laptop
            return "laptop"
    return granted


async def _take_a_place(throttle: FailureThrottle, client: str) -> None:
    """Wait for a place in the strip-wide budget of failed checks; 429 when it is too far."""
    wait = throttle.wait_before_checking(client, time.monotonic())
    if wait is None:
        raise ApiError(
            429,
            "too_many_attempts",
            "too many invalid tokens presented to this strip; try again later",
            retry_after_s=throttle.max_wait_s,
        )
    if wait:
        await asyncio.sleep(wait)
