"""JSON errors: every failure answers ``{"error": {"code", "message"[, "field"]}}``."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        *,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retry_after_s = retry_after_s

    def response(self, headers: dict[str, str] | None = None) -> web.Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.retry_after_s is not None:
            body["retry_after_s"] = self.retry_after_s
            headers = {**(headers or {}), "Retry-After": str(math.ceil(self.retry_after_s))}
        return web.json_response({"error": body}, status=self.status, headers=headers)


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_value", f"{field}: {message}", field=field)


def unknown_outlet(outlet_id: object) -> ApiError:
    return ApiError(404, "unknown_outlet", f"no outlet {outlet_id} on this strip")


_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def from_http_exception(exc: web.HTTPException) -> ApiError:
    """aiohttp's own errors (no route, wrong method, body too large) in our format."""
    code = _HTTP_CODES.get(exc.status, "bad_request" if exc.status < 500 else "internal_error")
    return ApiError(exc.status, code, exc.reason)
