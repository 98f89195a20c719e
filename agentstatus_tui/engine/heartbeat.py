"""Watching the watcher: after each completed round the monitor pings a dead man's switch
(Healthchecks.io, Cronitor, a PagerDuty heartbeat: a plain GET or POST), so a monitor that
stops, hangs or cannot probe anything pages someone through the switch's own service.

A round is complete when every active (not paused) agent has had a completed run since
the last ping. A run is completed when its verdict is known (not UNKNOWN: some region
could probe it) and it was stored. So there is no ping when nothing could be probed (the
monitor's network is down, every run failed inside the monitor), while the store is
failing (runs are not saved, pages are sent without retries), when no agent is active
(all paused), or once the monitor is stopping. The long-running monitor pings at most
once every `every`; `check` pings once at the end of its round.

The URL is the switch's token: it never reaches a screen, a log or the store. What is
stored is when the last ping was tried, when one last worked, and the redacted error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

import httpx

from .alerts import channels
from .alerts.channels import DeliveryResult
from .history import db
from .history.db import failure_cause
from .model import HeartbeatConfig

log = logging.getLogger("agentstatus.heartbeat")

MIGRATIONS = (
    """
    CREATE TABLE heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_try_at REAL,           -- the last ping tried, by any process on this store
        last_ok_at REAL,            -- the last ping the switch accepted
        failing_since REAL,         -- the first failed ping since the last good one
        last_error TEXT             -- redacted; NULL once a ping works again
    );
    """,
)


@dataclass(frozen=True)
class HeartbeatHealth:
    """What the header, `check --json` and the API say about the heartbeat."""

    last_try_at: float | None
    last_ok_at: float | None
    failing_since: float | None
    last_error: str | None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


class Heartbeat:
    """The pings of one config's `heartbeat:` over one store (shared by every process on
    the data dir: the dashboard, `serve` and cron `check` see each other's pings)."""

    def __init__(
        self,
        config: HeartbeatConfig,
        conn: sqlite3.Connection,
        *,
        secrets: Collection[str],
        client: Callable[[], httpx.AsyncClient],
        clock: Callable[[], float] = time.time,
    ) -> None:
        db.migrate(conn, "heartbeat", MIGRATIONS)
        self.config = config
        self.conn = conn
        self._hide = frozenset({*secrets, *channels.url_secrets(config.url)})
        self._client = client
        self.clock = clock
        self._ran: set[str] = set()  # agents with a completed run since the last ping
        self._last_try: float | None = None  # this process's last ping
        self._task: asyncio.Task[DeliveryResult] | None = None
        self._closed = False

    # ------------------------------------------------------------------ rounds

    def run_finished(self, agent_id: str, completed: bool, active: Collection[str]) -> None:
        """The long-running monitor's hook after each run: pings (in the background) once
        every agent in `active` has had a completed run since the last ping, and `every`
        has passed since it."""
        if completed:
            self._ran.add(agent_id)
        if self._closed or not active or not set(active) <= self._ran:
            return
        if self._task is not None and not self._task.done():
            return
        now = self.clock()
        if self._last_try is not None and now - self._last_try < self.config.every:
            return
        self._ran.clear()
        self._last_try = now
        self._task = asyncio.get_running_loop().create_task(self.ping(), name="heartbeat")

    # ------------------------------------------------------------------ pinging

    async def ping(self) -> DeliveryResult:
        """One ping, all of it within the configured timeout; never raises for the
        switch's fault. The outcome is stored and, when it fails, logged (redacted)."""
        self._last_try = self.clock()
        try:
            result = await channels.request(self._client(), self.config.method,
                                            self.config.url, None, {}, self._hide,
                                            self.config.timeout)
        except Exception as exc:  # a bug in the ping must not stop the monitor
            result = DeliveryResult(False, error=channels.snippet(
                f"{type(exc).__name__}: {exc}", self._hide))
        self._record(result)
        return result

    def _record(self, result: DeliveryResult) -> None:
        now = self.clock()
        try:
            before = self.health()
            with db.transaction(self.conn, "heartbeat"):
                self.conn.execute(
                    "INSERT INTO heartbeat(id, last_try_at, last_ok_at, failing_since,"
                    " last_error) VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                    " last_try_at = excluded.last_try_at,"
                    " last_ok_at = COALESCE(excluded.last_ok_at, heartbeat.last_ok_at),"
                    " failing_since = CASE WHEN excluded.last_error IS NULL THEN NULL"
                    "   ELSE COALESCE(heartbeat.failing_since, excluded.failing_since) END,"
                    " last_error = excluded.last_error",
                    (now, now if result.ok else None, None if result.ok else now,
                     None if result.ok else result.error))
        except (sqlite3.Error, db.StoreError) as exc:
            log.warning("the heartbeat's outcome could not be saved: %s", failure_cause(exc))
            before = None
        if result.ok:
            if before is not None and before.failing:
                log.info("heartbeat pings work again")
        elif before is None or not before.failing or before.last_error != result.error:
            log.warning("heartbeat ping failed: %s", result.error)

    def health(self) -> HeartbeatHealth:
        r = self.conn.execute("SELECT last_try_at, last_ok_at, failing_since, last_error"
                              " FROM heartbeat WHERE id = 1").fetchone()
        if r is None:
            return HeartbeatHealth(None, None, None, None)
        return HeartbeatHealth(r["last_try_at"], r["last_ok_at"], r["failing_since"],
                               r["last_error"])

    async def aclose(self) -> None:
        """No ping once the monitor is stopping: one in flight is abandoned."""
        self._closed = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
