"""Who may call a route: the bearer-token check every route but ``/info`` is wrapped in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import time
from typing import Any

from aiohttp import web

from pi_agent.api.context import CONTEXT, Handler
from pi_agent.api.errors import ApiError
from pi_agent.auth import Scope

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
            client = request.remote or "?"
            wait = context.throttle.wait_before_checking(client, time.monotonic())
            if wait is None:
                raise ApiError(
                    429,
                    "too_many_attempts",
                    "too many invalid tokens presented to this strip; try again later",
                    retry_after_s=context.throttle.max_wait_s,
                )
            if wait:
                await asyncio.sleep(wait)
            header = request.headers.get("Authorization", "")
            scheme, _, presented = header.partition(" ")
            # RFC 9110: the scheme is case-insensitive ("bearer" is "Bearer").
            bearer = scheme.lower() == "bearer"
            presented = presented.strip()
            granted = context.tokens.scope_of(presented) if bearer else None
            if granted is None and bearer and presented:
                laptop = context.controller.pairing.credentials.lookup(presented)
                if laptop is not None:
                    granted = "laptop"
                    request[LAPTOP] = laptop
            if granted is None:
                delay = context.throttle.failed(client, time.monotonic())
                if delay:
                    await asyncio.sleep(delay)
                raise ApiError(401, "unauthorized", "missing or invalid bearer token")
            if granted == "admin":  # every coworker holds the reporter token: no pass for it
                context.throttle.succeeded(client)
            context.connections.authenticated(request)
            if scope == "admin" and granted != "admin":
                raise ApiError(403, "forbidden", "this token may only report battery data and pair")
            if scope == "reporter" and granted == "laptop":
                raise ApiError(
                    403, "forbidden", "a laptop credential only reports its outlet's battery"
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
