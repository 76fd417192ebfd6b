"""Async client for the SmartMulti agent's HTTP API (``/api/v1``, see ``pi_agent/openapi.json``).

The client knows HTTP, JSON and Server-Sent Events; it knows nothing of Home Assistant, so it
could be published as its own library. It is given the session (Home Assistant's shared one).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
import json
from typing import Any, Literal

import aiohttp
from yarl import URL

from ..const import REQUEST_TIMEOUT_S, STREAM_READ_TIMEOUT_S
from .models import AgentInfo, Outlet, StripState

API_PREFIX = "/api/v1"
# The code of an error that is not one of the agent's JSON errors.
HTTP_ERROR = "http_error"


class SmartMultiError(Exception):
    """Any failure talking to the agent."""


class SmartMultiConnectionError(SmartMultiError):
    """The agent cannot be reached, timed out, closed the connection or does not speak the API."""


class SmartMultiNotAgentError(SmartMultiConnectionError):
    """Something answered, but not as this API does: not JSON, or not the JSON it sends."""


class SmartMultiAuthError(SmartMultiError):
    """The agent refused the token (HTTP 401)."""


class SmartMultiForbiddenError(SmartMultiAuthError):
    """The token is valid but too narrow: a laptop reporter's token (HTTP 403)."""


class SmartMultiResponseError(SmartMultiError):
    """The agent answered with a JSON error (``{"error": {"code", "message", "field"?}}``)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One Server-Sent Event: ``snapshot`` (the full state) or ``update`` (what changed)."""

    kind: str
    data: Mapping[str, Any]

    @property
    def outlet_fields(self) -> frozenset[tuple[int, str]] | None:
        """The (outlet id, field) pairs an update carries; None for a snapshot (all of them)."""
        if self.kind != "update":
            return None
        outlets = self.data.get("outlets", ())
        return frozenset((int(o["id"]), key) for o in outlets for key in o if key != "id")


class SmartMultiClient:
    """One agent, addressed by host and port, with its admin token."""

    def __init__(
        self,
        host: str,
        port: int,
        token: str | None,
        *,
        session: aiohttp.ClientSession,
        request_timeout: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.host = host
        self.port = port
        self._token = token
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, connect=request_timeout, sock_read=STREAM_READ_TIMEOUT_S
        )

    @property
    def base_url(self) -> URL:
        return URL.build(scheme="http", host=self.host, port=self.port)

    # ------------------------------------------------------------------ endpoints

    async def info(self) -> AgentInfo:
        """Identity; needs no token."""
        return _parse(AgentInfo.from_dict, await self._request("GET", "/info", auth=False))

    async def address_proof(self, nonce: str) -> str:
        """The agent's proof that it holds the admin token at the address it is reached at
        (``flows.agent.address_proof``); needs no token, and sends none."""
        body = await self._request("POST", "/address-proof", auth=False, json={"nonce": nonce})
        return _parse(lambda data: str(data["proof"]), body)

    async def state(self) -> StripState:
        return _parse(StripState.from_dict, await self._request("GET", "/state"))

    async def set_relay(self, outlet_id: int, on: bool | None) -> Outlet:
        """A manual command held by the agent; ``None`` hands the outlet back to automatic."""
        body = await self._request("POST", f"/outlets/{outlet_id}/relay", json={"on": on})
        return _parse(Outlet.from_dict, body)

    async def update_outlet(
        self,
        outlet_id: int,
        *,
        name: str | None = None,
        exception: bool | None = None,
        max_power_w: float | None = None,
    ) -> Outlet:
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if exception is not None:
            changes["exception"] = exception
        if max_power_w is not None:
            changes["max_power_w"] = max_power_w
        body = await self._request("PATCH", f"/outlets/{outlet_id}", json=changes)
        return _parse(Outlet.from_dict, body)

    async def forget_pairing(self, outlet_id: int) -> Outlet:
        """Forget who reports for the outlet: its reporter pairs again at its next report."""
        body = await self._request("DELETE", f"/outlets/{outlet_id}/pairing")
        return _parse(Outlet.from_dict, body)

    async def send_plan(
        self,
        *,
        on: Sequence[int],
        priority: Sequence[int],
        budget_w: float,
        ttl_s: float,
        on_expiry: Literal["failsafe", "off"] = "failsafe",
        exceptions_on: bool = True,
        reserve_w: Mapping[int, float] | None = None,
        looks: Sequence[int] = (),
        failsafe_cap_w: float | None = None,
    ) -> float:
        """Hand the agent a plan valid for ``ttl_s``; returns when it expires (agent wall time).

        ``reserve_w``: what an outlet switching on is expected to draw, counted by the agent's
        admission instead of the outlet's maximum (agents before 0.2 refuse the field).
        ``looks``: outlets of ``on`` switched on only to look for a laptop, which the agent
        switches off as soon as their meters read nothing (older agents refuse the field).
        ``failsafe_cap_w``: the most the agent's failsafe may use from the plan's end on, kept
        until a plan without it (older agents refuse the field).
        """
        plan: dict[str, Any] = {
            "on": list(on),
            "priority": list(priority),
            "budget_w": budget_w,
            "ttl_s": ttl_s,
            "on_expiry": on_expiry,
            "exceptions_on": exceptions_on,
        }
        if reserve_w:
            plan["reserve_w"] = {str(outlet): watts for outlet, watts in reserve_w.items()}
        if looks:
            plan["looks"] = list(looks)
        if failsafe_cap_w is not None:
            plan["failsafe_cap_w"] = failsafe_cap_w
        body = await self._request("POST", "/plan", json=plan)
        return _parse(lambda data: float(data["expires_at"]), body)

    async def clear_plan(self) -> None:
        """Hand control back to the agent's failsafe at once."""
        await self._request("DELETE", "/plan")

    async def events(self) -> AsyncGenerator[StreamEvent]:
        """The event stream, until the agent closes it; keepalive comments are skipped.

        Use it with ``contextlib.aclosing`` so the connection is released when the reader stops.
        """
        try:
            async with self._session.get(
                self.base_url.with_path(f"{API_PREFIX}/events"),
                headers={**self._auth_headers(), "Accept": "text/event-stream"},
                timeout=self._stream_timeout,
            ) as response:
                await _raise_for_status(response)
                parser = EventStreamParser()
                async for line in response.content:
                    if (event := parser.feed(line)) is not None:
                        yield event
        except TimeoutError as err:
            raise SmartMultiConnectionError(
                f"no data from {self.host}:{self.port} for {STREAM_READ_TIMEOUT_S:g} s"
            ) from err
        except aiohttp.ClientError as err:
            raise SmartMultiConnectionError(_describe(err)) from err

    # ------------------------------------------------------------------ plumbing

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def _request(self, method: str, path: str, *, auth: bool = True, json: Any = None) -> Any:
        try:
            async with self._session.request(
                method,
                self.base_url.with_path(API_PREFIX + path),
                headers=self._auth_headers() if auth else None,
                json=json,
                timeout=self._timeout,
            ) as response:
                await _raise_for_status(response)
                try:
                    return await response.json(content_type=None)
                except ValueError as err:
                    raise SmartMultiNotAgentError(f"not JSON: {err}") from err
        except TimeoutError as err:
            raise SmartMultiConnectionError(
                f"{self.host}:{self.port} did not answer in time"
            ) from err
        except (aiohttp.ClientError, ValueError) as err:  # ValueError: not a URL
            raise SmartMultiConnectionError(_describe(err)) from err


def _describe(err: Exception) -> str:
    return str(err) or type(err).__name__


async def _raise_for_status(response: aiohttp.ClientResponse) -> None:
    if response.status < 400:
        return
    code, message, field = HTTP_ERROR, response.reason or "", None
    try:
        error = (await response.json(content_type=None))["error"]
        code, message, field = str(error["code"]), str(error["message"]), error.get("field")
    except (aiohttp.ClientError, ValueError, KeyError, TypeError):
        pass  # not one of the agent's JSON errors: keep the HTTP reason
    if response.status == 401:
        raise SmartMultiAuthError(message)
    if response.status == 403:
        raise SmartMultiForbiddenError(message)
    raise SmartMultiResponseError(response.status, code, message, field)


def _parse[T](parse: Callable[[Any], T], data: Any) -> T:
    """A model from JSON; anything malformed means this is not (this version of) the agent."""
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError) as err:
        raise SmartMultiNotAgentError(f"unexpected answer from the agent: {err!r}") from err


class EventStreamParser:
    """The text/event-stream format: ``field: value`` lines, a blank line ends an event."""

    def __init__(self) -> None:
        self._kind = ""
        self._data: list[str] = []

    def feed(self, raw: bytes) -> StreamEvent | None:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):  # a comment: the agent's keepalive
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._kind = value
        elif name == "data":
            self._data.append(value)
        return None  # "id" and "retry" are not used: every connection starts with a snapshot

    def _dispatch(self) -> StreamEvent | None:
        kind, data = self._kind or "message", "\n".join(self._data)
        self._kind, self._data = "", []
        if not data:
            return None
        try:
            payload = json.loads(data)
        except ValueError as err:
            raise SmartMultiConnectionError(f"malformed {kind} event: {err}") from err
        if not isinstance(payload, dict):
            raise SmartMultiConnectionError(f"malformed {kind} event: not an object")
        return StreamEvent(kind, payload)
