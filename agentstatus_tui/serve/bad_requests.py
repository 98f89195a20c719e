"""Requests aiohttp refuses before any route or middleware sees them (a malformed request
line or header, a line longer than the parser takes, a broken chunked body) are answered
in the API's JSON error shape too, with one log line instead of aiohttp's plain-text
answer and traceback."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from .errors import CODES, error_response

log = logging.getLogger("agentstatus.serve")

MAX_MESSAGE = 200  # characters of the parser's message kept in the answer and the log


def _reason(message: str | None, status: int) -> str:
    """The parser's reason without the request bytes it quotes (they may hold a token)."""
    lines = (message or "").strip().splitlines()
    line = lines[0] if lines else ""
    for quote in (": b'", ': b"', ": bytearray("):
        line = line.split(quote, 1)[0]
    line = line.strip().rstrip(":").strip()
    return line[:MAX_MESSAGE] or ("internal error (see the daemon's log)" if status >= 500
                                  else "malformed request")


class ApiRequestHandler(RequestHandler):
    """aiohttp's per-connection protocol, answering its own errors as JSON."""

    def handle_error(self, request: web.BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("the answer was partly sent already")
        text = _reason(message, status)
        if status >= 500:
            log.error("answering %s: %s", status, text, exc_info=exc)
        else:
            log.warning("refused a malformed request from %s: %s", request.remote, text)
        answer = error_response(status, CODES.get(status, "error"), text)
        answer.force_close()
        return answer


class ApiServer(web.Server):
    def __call__(self) -> RequestHandler:
        return ApiRequestHandler(self, loop=self._loop, **self._kwargs)


class ApiRunner(web.AppRunner):
    """An AppRunner whose connections answer aiohttp's own errors as JSON."""

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()
        return ApiServer(made.request_handler, request_factory=made.request_factory,
                         handler_cancellation=made.handler_cancellation,
                         loop=made._loop, **made._kwargs)


async def json_error_bodies(request: web.Request, response: web.StreamResponse) -> None:
    """An error aiohttp answers after routing but before the middlewares (417 to an
    `Expect` header other than 100-continue) gets the JSON error shape as well."""
    if (response.status < 400 or not isinstance(response, web.Response)
            or response.content_type == "application/json"):
        return
    text = (response.text or "").strip().splitlines()
    message = (text[0] if text else "") or (response.reason or "error").lower()
    error = {"code": CODES.get(response.status, "error"), "message": message[:MAX_MESSAGE]}
    body = json.dumps({"error": error}).encode()
    response.body = body
    response.content_type = "application/json"
    response.headers["Content-Length"] = str(len(body))  # set for the plain text already
