"""`GET /api/v1/status`: the daemon's own health in one document, for `agentstatus status`
and for a person with curl — version, uptime, where it listens, agents by verdict, the
first round and the last run, pending and failing alerts, the store, event clients.
Readiness is /readyz's, so the two never disagree."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import __version__
from ..engine.model import Verdict
from ..engine.secrets import redact
from . import engine_reads
from .documents import iso
from .errors import ApiError

# The Nagios line's order: the most urgent first.
URGENCY = tuple(v.value for v in (Verdict.DOWN, Verdict.DEGRADED, Verdict.UNKNOWN, Verdict.UP,
                                  Verdict.REACHABLE))

if TYPE_CHECKING:
    from .daemon import Daemon


def status_document(daemon: Daemon) -> dict[str, Any]:
    checks = daemon.readiness()
    now = time.time()
    doc: dict[str, Any] = {
        "version": __version__,
        "pid": os.getpid(),
        "started_at": iso(daemon.started_at),
        "uptime_s": round(now - daemon.started_at, 3),
        "ready": all(c["ok"] for c in checks.values()),
        "checks": checks,
        "listening": list(daemon.listening),
        "events": {"clients": daemon.feed.clients, "dropped": daemon.feed.dropped},
        **serves(daemon),
    }
    try:
        mon = daemon.monitor
    except ApiError:  # starting or stopping: readiness says so
        return doc
    views = engine_reads.agents(mon)
    verdicts = Counter(v.verdict.value for v in views)
    finished = [v.last.finished_at for v in views if v.last is not None]
    polled = [v.last.finished_at if v.last is not None else None for v in views
              if not v.paused]
    doc["agents"] = {
        "total": len(views),
        "paused": sum(v.paused for v in views),
        "running": sum(v.in_flight for v in views),
        "by_verdict": {v: verdicts.get(v, 0) for v in URGENCY},
    }
    doc["runs"] = {
        "since_start": daemon.runs_finished,
        "first_round_done_at": iso(daemon.first_round_at),
        "last_finished_at": iso(max(finished, default=None)),
        # The stalest agent still polled: a run that never comes shows here first.
        "oldest_finished_at": (None if not polled or None in polled
                               else iso(min(t for t in polled if t is not None))),
    }
    health = engine_reads.alert_health(mon)
    secrets = engine_reads.config(mon).secrets
    doc["alerts"] = {
        "pending": health.pending,
        "failed_last_day": health.failed,
        "failing_channels": [{"channel": f.channel, "failed_attempts": f.failed_attempts,
                              "since": iso(f.since),
                              "last_error": None if f.last_error is None
                              else redact(f.last_error, secrets)}
                             for f in health.failing],
        "last_error": None if health.last_error is None else redact(health.last_error, secrets),
    }
    doc["store"] = {"writable": bool(checks.get("store", {}).get("ok"))}
    return doc


def serves(daemon: Daemon) -> dict[str, str | None]:
    """What this daemon monitors: its data dir and config file, absolute, so a dashboard
    that finds it on a default socket can tell whether it is the one for its own data."""
    config = daemon.config_path
    return {"data_dir": str(Path(daemon.data_dir).resolve()),
            "config": None if config is None else str(Path(config).resolve())}


async def status(request: web.Request) -> web.Response:
    from .api import DAEMON, ok

    return ok(status_document(request.app[DAEMON]))
