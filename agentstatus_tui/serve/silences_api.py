"""`/api/v1/silences`: list, add and expire silences through the daemon (the same store
rows `agentstatus silence` and the dashboard write)."""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..engine.alerts.silences import NoSuchSilence, SilenceError, silence_document
from ..engine.config.yaml_lines import parse_duration
from ..engine.text import iso_utc_now
from .auth import caller
from .errors import ApiError

if TYPE_CHECKING:
    from .daemon import Daemon

log = logging.getLogger("agentstatus.serve")
MAX_SILENCE = 366 * 86400.0  # a silence of more than a year is a mistake (or a removal)


def add_routes(r: web.RouteTableDef) -> None:
    r.get("/api/v1/silences")(list_silences)
    r.post("/api/v1/silences")(add_silence)
    r.delete("/api/v1/silences/{silence_id}")(expire_silence)


def _daemon(request: web.Request) -> Daemon:
    from .api import DAEMON

    return request.app[DAEMON]


def _ok(body: Any, status: int = 200) -> web.Response:
    from .api import ok

    return ok(body, status)


async def list_silences(request: web.Request) -> web.Response:
    raw = request.query.get("all", "false").lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise ApiError(400, "all must be true or false")
    found = await _daemon(request).monitor.silences(include_expired=raw in ("true", "1", "yes"))
    now = time.time()
    return _ok({"generated_at": iso_utc_now(),
                "silences": [silence_document(s, now) for s in found]})


def _end(data: dict[str, Any], now: float) -> float:
    """`ends_at` (ISO 8601 with a zone) or `duration` (`2h`, or seconds)."""
    ends_at, length = data.get("ends_at"), data.get("duration")
    if (ends_at is None) == (length is None):
        raise ApiError(400, "a silence needs an end: give 'ends_at' or 'duration'")
    if length is not None:
        if isinstance(length, bool) or not isinstance(length, int | float | str):
            raise ApiError(400, "'duration' must be a duration like 2h, or seconds")
        seconds = parse_duration(length) if isinstance(length, str) else float(length)
        if seconds is None or not math.isfinite(seconds) or not 0 < seconds <= MAX_SILENCE:
            raise ApiError(400, "'duration' must be a duration like 2h (at most a year)")
        return now + seconds
    if not isinstance(ends_at, str):
        raise ApiError(400, "'ends_at' must be an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(ends_at.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "'ends_at' must be an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ApiError(400, "'ends_at' needs a time zone (e.g. 2026-01-31T14:00:00Z)")
    value = parsed.timestamp()
    if value > now + MAX_SILENCE:
        raise ApiError(400, "'ends_at' is more than a year away")
    return value


async def add_silence(request: web.Request) -> web.Response:
    from .api import _body, _text

    data = await _body(request)
    matcher = data.get("matcher")
    if not isinstance(matcher, dict):
        raise ApiError(400, "'matcher' is required: {\"kind\": \"agent\" | \"region\" | "
                            "\"tag\", \"value\": NAME}")
    kind, value = matcher.get("kind"), matcher.get("value")
    if not isinstance(kind, str) or not isinstance(value, str):
        raise ApiError(400, "'matcher' needs a text 'kind' and 'value'")
    reason = _text(data, "reason", required=True)
    author = _text(data, "author", required=False)
    assert reason is not None
    now = time.time()
    ends_at = _end(data, now)
    who = caller(request).name
    try:
        silence = await _daemon(request).monitor.add_silence(
            kind, value, ends_at, reason, author if author is not None else who)
    except SilenceError as exc:
        raise ApiError(400, str(exc)) from None
    log.info("silence %s (%s %s) added by %s", silence.id, kind, value, who)
    return _ok(silence_document(silence, time.time()), status=201)


async def expire_silence(request: web.Request) -> web.Response:
    silence_id = request.match_info["silence_id"][:40]
    try:
        silence = await _daemon(request).monitor.expire_silence(silence_id)
    except NoSuchSilence:
        raise ApiError(404, f"no silence '{silence_id}'") from None
    except SilenceError as exc:
        raise ApiError(409, str(exc)) from None
    log.info("silence %s expired by %s", silence_id, caller(request).name)
    return _ok(silence_document(silence, time.time()))
