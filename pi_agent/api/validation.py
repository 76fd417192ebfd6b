"""Request bodies: parsed and checked completely before anything changes state."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
import json
from typing import Any

from aiohttp import web
import voluptuous as vol

from pi_agent.api.errors import ApiError, invalid
from pi_agent.control.pairing.run import MAX_WINDOWS
from pi_agent.control.plan import MAX_TTL_S, refused_outlet
from pi_agent.validators import (
    NAME,
    boolean,
    integer,
    is_unknown_key,
    json_integer,
    number,
    user_proof,
)

MAX_BUDGET_W = 100_000.0
# No request body of this API nests deeper than 3; a deeper one is an attack on the parser.
MAX_DEPTH = 16
# A body arriving slower than this holds a connection for nothing: the connection is dropped.
BODY_TIMEOUT_S = 10.0


def _outlet_ids(value: Any) -> list[int]:
    if not isinstance(value, list):
        raise vol.Invalid("expected a list of outlet ids")
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int):
            raise vol.Invalid("expected an integer outlet id", path=[index])
    if len(set(value)) != len(value):
        raise vol.Invalid("outlet ids must not repeat")
    return value


def _reserves(value: Any) -> dict[int, float]:
    """``{"3": 45.0}``: the draw Home Assistant expects of an outlet it asks to switch on."""
    if not isinstance(value, dict):
        raise vol.Invalid("expected an object of outlet id to watts")
    watts = number(0, MAX_BUDGET_W, min_included=False)
    result = {}
    for key, item in value.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 3):
            raise vol.Invalid("keys must be outlet ids", path=[key])
        try:
            result[int(key)] = watts(item)
        except vol.Invalid as err:
            raise vol.Invalid(err.msg, path=[key]) from None
    return result


def _optional_bool(value: Any) -> bool | None:
    return None if value is None else boolean(value)


RELAY = vol.Schema({vol.Required("on"): _optional_bool})
BATTERY = vol.Schema(
    {
        vol.Required("percent"): number(0, 100),
        vol.Required("plugged"): boolean,
        vol.Optional("user"): NAME,
    }
)
CREDENTIAL = vol.Schema({vol.Optional("user"): NAME})


PAIRING_START = vol.Schema(
    {
        vol.Required("plugged"): boolean,
        vol.Optional("user"): NAME,
        vol.Optional("user_proof"): user_proof,
    }
)
PAIRING_ANSWER = vol.Schema(
    {vol.Required("window"): integer(0, MAX_WINDOWS), vol.Required("plugged"): boolean}
)
OUTLET_PATCH = vol.All(
    vol.Schema(
        {
            vol.Optional("name"): NAME,
            vol.Optional("exception"): boolean,
            vol.Optional("max_power_w"): number(0, MAX_BUDGET_W, min_included=False),
        }
    ),
    vol.Length(min=1, msg="give at least one of name, exception, max_power_w"),
)
PLAN = vol.Schema(
    {
        vol.Required("on"): _outlet_ids,
        vol.Required("priority"): _outlet_ids,
        vol.Required("budget_w"): number(0, MAX_BUDGET_W),
        vol.Required("ttl_s"): number(1, MAX_TTL_S),
        vol.Optional("on_expiry"): vol.In(["failsafe", "off"]),
        vol.Optional("exceptions_on"): boolean,
        vol.Optional("reserve_w"): _reserves,
        vol.Optional("looks"): _outlet_ids,
        vol.Optional("failsafe_cap_w"): number(0, MAX_BUDGET_W),
    }
)


def check_plan_outlets(body: dict[str, Any], count: int, exceptions: Collection[int]) -> None:
    """The checks of a valid ``PLAN`` that need the strip (``plan.refused_outlet``):
    ``invalid`` naming the first field that fails."""
    refused = refused_outlet(
        body["on"],
        body["priority"],
        looks=body.get("looks", []),
        reserve_w=body.get("reserve_w", {}),
        count=count,
        exceptions=exceptions,
    )
    if refused is not None:
        raise invalid(*refused)


def _field(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "body"


def json_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in ``raw`` (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


async def read_json(request: web.Request, schema: vol.Schema | vol.All) -> dict[str, Any]:
    """Decode and validate a JSON object body; 400 if it is not JSON, 422 naming the field."""
    try:
        raw = await asyncio.wait_for(request.read(), BODY_TIMEOUT_S)
    except TimeoutError:
        raise ApiError(
            408, "request_timeout", f"request body not received within {BODY_TIMEOUT_S:g} s"
        ) from None
    if json_depth(raw) > MAX_DEPTH:
        raise ApiError(400, "malformed_json", f"request body nests deeper than {MAX_DEPTH} levels")
    try:
        # An integer literal too long to read is refused by its field, like any out of range.
        body = json.loads(raw, parse_int=json_integer)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ApiError(400, "malformed_json", f"request body is not valid JSON: {err}") from None
    except (ValueError, RecursionError) as err:  # e.g. an integer beyond Python's digit limit
        raise ApiError(400, "malformed_json", f"request body cannot be read: {err}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", "request body must be a JSON object")
    try:
        result: dict[str, Any] = schema(body)
    except vol.MultipleInvalid as err:
        first = err.errors[0]
        message = "unknown field" if is_unknown_key(first) else first.msg
        raise invalid(_field(first.path), message) from None
    except vol.Invalid as err:
        raise invalid(_field(err.path), err.msg) from None
    return result
