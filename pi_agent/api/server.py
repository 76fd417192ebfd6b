"""Routes of ``/api/v1``. A request is validated whole before it may change anything.

The app, its middleware and every route with the token scope it requires (``access``); the
JSON the routes answer with is built in ``views``. Over 400 lines on purpose: reading what each
route accepts and who may call it means reading this one file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from pi_agent.api import views
from pi_agent.api.access import LAPTOP, SCOPE, requires
from pi_agent.api.address_proof import post_address_proof
from pi_agent.api.context import CONTEXT, AgentContext, Handler
from pi_agent.api.errors import ApiError, from_http_exception, invalid, unknown_outlet
from pi_agent.api.proof_challenges import (
    PROOF_CHALLENGES,
    ProofChallenges,
    post_proof_challenge,
    take_proof_challenge,
)
from pi_agent.api.validation import (
    BATTERY,
    CREDENTIAL,
    OUTLET_PATCH,
    PAIRING_ANSWER,
    PAIRING_START,
    PLAN,
    RELAY,
    check_plan_outlets,
    read_json,
)
from pi_agent.control.pairing.run import (
    PairingRefusedError,
    PairingRun,
    UnknownPairingError,
    WrongWindowError,
)
from pi_agent.control.plan import Plan
from pi_agent.control.settings import SettingsError
from pi_agent.control.strip import UnknownOutletError

_LOGGER = logging.getLogger(__name__)

API = "/api/v1"
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.json"
MAX_BODY_BYTES = 64 * 1024
KEEPALIVE_S = 15.0
# A pairing answer is held until the laptop has something to do; a window is done well before.
LONG_POLL_S = 5.0
OPENAPI: web.AppKey[bytes] = web.AppKey("openapi", bytes)


@web.middleware
async def track_connection(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A connection busy with a request is not timed out for silence; it is once answered."""
    connections = request.app[CONTEXT].connections
    connections.request_started(request)
    try:
        return await handler(request)
    finally:
        connections.request_finished(request)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as err:
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
        response = err.response(headers)
        if err.status in (401, 408, 429):
            # A client without a valid token, or too slow to send its body, keeps no
            # connection (and no file descriptor) open on the strip.
            response.force_close()
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return from_http_exception(exc).response(allow)
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        _LOGGER.exception("Unexpected error handling %s %s", request.method, request.path)
        return ApiError(500, "internal_error", "internal error; see the agent's log").response()


def _outlet_id(request: web.Request) -> int:
    raw = request.match_info["outlet_id"]
    # ASCII digits only: ``str.isdigit`` also accepts "²" (int() refuses it) and the digits
    # of other scripts ("١" is 1 to int()), which would name an outlet nobody typed.
    # One spelling per outlet: "01" is not outlet 1 any more than "0001" is.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or raw.startswith("0"):
        raise unknown_outlet(raw)
    outlet_id = int(raw)
    try:
        request.app[CONTEXT].controller.outlet(outlet_id)
    except UnknownOutletError:
        raise unknown_outlet(outlet_id) from None
    return outlet_id


async def _saved(context: AgentContext) -> None:
    """A manager's change is confirmed only once it is on disk.

    It acts at once either way (a command to switch an outlet off must not wait for a disk);
    if the disk refuses, the answer says the change will not survive a restart.
    """
    if not await context.save_settings():
        raise ApiError(
            503,
            "storage_unavailable",
            "the change is in effect but could not be saved: it will be lost at a restart "
            "(see the storage fault in the state)",
        )


def _outlet_response(context: AgentContext, outlet_id: int) -> web.Response:
    controller = context.controller
    return web.json_response(
        views.outlet_view(controller, controller.outlet(outlet_id), context.now())
    )


async def get_info(request: web.Request) -> web.Response:
    """Identity, open to anyone on the LAN so discovery can show what it found."""
    return web.json_response(request.app[CONTEXT].info())


async def get_openapi(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], content_type="application/json")


@requires("admin")
async def get_state(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    return web.json_response(views.strip_view(context.controller, context.now()))


@requires("admin")
async def get_outlet(request: web.Request) -> web.Response:
    return _outlet_response(request.app[CONTEXT], _outlet_id(request))


@requires("admin")
async def patch_outlet(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    outlet_id = _outlet_id(request)
    body = await read_json(request, OUTLET_PATCH)
    try:
        context.controller.update_outlet(outlet_id, **body)
    except SettingsError as err:
        raise invalid(err.field, err.message) from None
    await _saved(context)
    return _outlet_response(context, outlet_id)


@requires("admin")
async def post_relay(request: web.Request) -> web.Response:
    """A manual command, held until cleared with ``{"on": null}``."""
    context = request.app[CONTEXT]
    outlet_id = _outlet_id(request)
    body = await read_json(request, RELAY)
    if context.controller.outlet(outlet_id).exception and body["on"] is not None:
        raise ApiError(
            409, "exception_outlet", f"outlet {outlet_id} is an exception outlet: always on"
        )
    context.controller.set_override(outlet_id, body["on"])
    await _saved(context)
    return _outlet_response(context, outlet_id)


@requires("laptop")
async def post_battery(request: web.Request) -> web.Response:
    """A laptop's battery, from its reporter (its outlet's credential) or Home Assistant."""
    context = request.app[CONTEXT]
    outlet_id = _outlet_id(request)
    body = await read_json(request, BATTERY)
    from_laptop = request[SCOPE] == "laptop"
    if from_laptop:
        credential_outlet, revoked = request[LAPTOP]
        if credential_outlet != outlet_id:
            raise ApiError(
                403, "wrong_outlet", f"this laptop's credential is for outlet {credential_outlet}"
            )
        if revoked:  # the laptop left (or another paired): nothing it says is recorded
            return web.json_response(
                views.battery_answer(context.controller, outlet_id, context.now(), pair_again=True)
            )
    pair_again = context.controller.report_battery(
        outlet_id,
        body["percent"],
        body["plugged"],
        context.now(),
        user=body.get("user"),
        from_laptop=from_laptop,
    )
    return web.json_response(
        views.battery_answer(context.controller, outlet_id, context.now(), pair_again=pair_again)
    )


@requires("admin")
async def post_outlet_credential(request: web.Request) -> web.Response:
    """A manager gives a laptop its outlet by hand: the credential its reporter then uses."""
    context = request.app[CONTEXT]
    outlet_id = _outlet_id(request)
    body = await read_json(request, CREDENTIAL)
    if context.controller.outlet(outlet_id).exception:
        raise ApiError(
            409, "exception_outlet", f"outlet {outlet_id} is an exception outlet: no laptop"
        )
    user = body.get("user")
    credential = context.controller.pairing.issue_credential(outlet_id, user, context.now())
    context.settings_changed()
    return web.json_response(views.credential_answer(outlet_id, user, credential), status=201)


@requires("admin")
async def delete_outlet_pairing(request: web.Request) -> web.Response:
    """Forget who reports for the outlet; its reporter is told to pair again at its next report."""
    context = request.app[CONTEXT]
    outlet_id = _outlet_id(request)
    context.controller.pairing.unpair(outlet_id)
    context.settings_changed()
    return _outlet_response(context, outlet_id)


def _pairing(request: web.Request) -> PairingRun:
    try:
        return request.app[CONTEXT].controller.pairing.get(request.match_info["pairing_id"])
    except UnknownPairingError:
        raise ApiError(404, "unknown_pairing", "no current or recent pairing has this id") from None


async def _pairing_response(
    context: AgentContext, run: PairingRun, status: int = 200
) -> web.Response:
    """Answer once the laptop has something to do: read its plugged flag, or read the result.

    Holding the answer until the relays have settled means the laptop never reads its flag too
    early, whatever the network's delay, and needs no clock of its own.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LONG_POLL_S
    view = views.pairing_view(run, for_reporter=True)
    while view["status"] == "running" and not view["observe"]:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(context.next_sample(), remaining)
        view = views.pairing_view(run, for_reporter=True)
    return web.json_response(view, status=status)


@requires("reporter")
async def post_pairing(request: web.Request) -> web.Response:
    """A laptop that does not know its outlet asks the strip to find it."""
    context = request.app[CONTEXT]
    body = await read_json(request, PAIRING_START)
    take_proof_challenge(request, body.get("user_proof"))
    try:
        run = context.controller.pairing.start(
            plugged=body["plugged"],
            user=body.get("user"),
            user_proof=body.get("user_proof"),
            now=context.now(),
        )
    except PairingRefusedError as refusal:
        raise ApiError(
            409, refusal.code, refusal.message, retry_after_s=refusal.retry_after_s
        ) from None
    return await _pairing_response(context, run, status=201)


@requires("reporter")
async def get_pairing(request: web.Request) -> web.Response:
    return web.json_response(views.pairing_view(_pairing(request), for_reporter=True))


@requires("reporter")
async def post_pairing_answer(request: web.Request) -> web.Response:
    """The laptop's plugged flag for the window it was asked about."""
    context = request.app[CONTEXT]
    run = _pairing(request)
    body = await read_json(request, PAIRING_ANSWER)
    try:
        context.controller.pairing.observe(run.id, body["window"], body["plugged"], context.now())
    except WrongWindowError as err:
        raise ApiError(409, "wrong_window", str(err)) from None
    return await _pairing_response(context, run)


@requires("reporter")
async def delete_pairing(request: web.Request) -> web.Response:
    """Stop a pairing (the reporter is quitting); its relays go back as they were."""
    context = request.app[CONTEXT]
    run = context.controller.pairing.cancel(_pairing(request).id, context.now())
    return web.json_response(views.pairing_view(run, for_reporter=True))


@requires("admin")
async def post_plan(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    body = await read_json(request, PLAN)
    outlets = context.controller.outlets
    check_plan_outlets(body, len(outlets), {o.id for o in outlets if o.exception})
    now = context.now()
    plan = Plan(
        on=frozenset(body["on"]),
        priority=tuple(body["priority"]),
        budget_w=body["budget_w"],
        ttl_s=body["ttl_s"],
        received_at=now,
        received_wall=context.controller.wall_now(),
        on_expiry=body.get("on_expiry", "failsafe"),
        exceptions_on=body.get("exceptions_on", True),
        reserve_w=body.get("reserve_w", {}),
        looks=frozenset(body.get("looks", [])),
    )
    controller = context.controller
    previous = _plan_shape(controller.plan_state()), controller.failsafe_cap_w
    controller.apply_plan(plan)
    # Every plan says it: a strip taken off its circuit is sent plans without a cap.
    controller.failsafe_cap_w = body.get("failsafe_cap_w")
    if previous != (_plan_shape(controller.plan_state()), controller.failsafe_cap_w):
        context.settings_changed()  # a new closing, budget or cap is saved at once, not in 10 s
    # The exception outlets stay on whatever the budget: a budget below their draw is clamped.
    exceptions_w = controller.exceptions_draw_w(now) if plan.exceptions_on else 0.0
    limit_w = min(controller.strip.hard_limit_w, max(plan.budget_w, exceptions_w))
    return web.json_response(views.plan_answer(plan, limit_w, controller.strip.hard_limit_w))


def _plan_shape(saved: dict[str, Any] | None) -> dict[str, Any] | None:
    """A plan without its times: Home Assistant renews the same plan often, and only a change
    of what it asks needs an immediate save (a renewal, the same plan with a new ttl, rides the periodic save)."""
    if saved is None:
        return None
    return {k: v for k, v in saved.items() if k not in ("received_wall", "ttl_s")}


@requires("admin")
async def delete_plan(request: web.Request) -> web.Response:
    """Hand control back to the failsafe rotation at once (the integration is unloading)."""
    context = request.app[CONTEXT]
    context.controller.plan = None
    context.settings_changed()
    return web.json_response({"accepted": True})


@requires("admin")
async def get_events(request: web.Request) -> web.StreamResponse:
    context = request.app[CONTEXT]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    queue, first = context.hub.subscribe(views.strip_view(context.controller, context.now()))
    try:
        await response.write(first)
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            if message is None:
                break
            await response.write(message)
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        context.hub.unsubscribe(queue)
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
    return response


def create_app(context: AgentContext) -> web.Application:
    app = web.Application(
        middlewares=[track_connection, json_errors], client_max_size=MAX_BODY_BYTES
    )
    app[CONTEXT] = context
    app[PROOF_CHALLENGES] = ProofChallenges()
    app[OPENAPI] = json.dumps(json.loads(OPENAPI_PATH.read_bytes())).encode()
    outlet = API + "/outlets/{outlet_id}"
    app.router.add_get(API + "/info", get_info)
    app.router.add_post(API + "/address-proof", post_address_proof)
    app.router.add_get(API + "/openapi.json", get_openapi)
    app.router.add_get(API + "/state", get_state)
    app.router.add_get(API + "/events", get_events)
    app.router.add_get(outlet, get_outlet)
    app.router.add_patch(outlet, patch_outlet)
    app.router.add_post(outlet + "/relay", post_relay)
    app.router.add_post(outlet + "/battery", post_battery)
    app.router.add_delete(outlet + "/pairing", delete_outlet_pairing)
    app.router.add_post(outlet + "/credential", post_outlet_credential)
    pairing = API + "/pairings/{pairing_id}"
    app.router.add_post(API + "/proof-challenge", post_proof_challenge)
    app.router.add_post(API + "/pairings", post_pairing)
    app.router.add_get(pairing, get_pairing)
    app.router.add_delete(pairing, delete_pairing)
    app.router.add_post(pairing + "/answers", post_pairing_answer)
    app.router.add_post(API + "/plan", post_plan)
    app.router.add_delete(API + "/plan", delete_plan)
    return app
