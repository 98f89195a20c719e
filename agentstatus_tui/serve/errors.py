"""Every error the API answers as `{"error": {"code", "message"}}` with the right status;
never a traceback (an unexpected failure is logged and answered 500 `internal`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

log = logging.getLogger("agentstatus.serve")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    417: "expectation_failed",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None,
                 headers: Mapping[str, str] | None = None,
                 details: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.headers = dict(headers or {})
        self.details = details


def error_response(status: int, code: str, message: str, *,
                   headers: Mapping[str, str] | None = None,
                   details: list[str] | None = None) -> web.Response:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return web.Response(status=status, text=json.dumps({"error": body}),
                        content_type="application/json", headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers,
                              details=exc.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return error_response(exc.status, CODES.get(exc.status, "error"),
                              _message(exc), headers=headers)
    except ConnectionResetError:
        raise  # the client went away: nobody to answer
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "internal", "internal error (see the daemon's log)")


def _message(exc: web.HTTPException) -> str:
    if exc.status == 404:
        return "no such endpoint (see /api/v1/openapi.json)"
    if exc.status == 405:
        return f"method not allowed (allowed: {exc.headers.get('Allow', '')})"
    if exc.status == 413:
        return "request body too large"
    return str(exc.reason or "error").lower()
