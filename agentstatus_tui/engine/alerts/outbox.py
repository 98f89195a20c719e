"""The persisted alert outbox: every alert is written before it is sent, each attempt is
kept, and a delivery loop per channel+agent sends them in order, retrying with backoff
until the receiver accepts (or refuses for good)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..history import db
from ..history.db import failure_cause
from . import groups
from .messages import AlertFacts

if TYPE_CHECKING:
    from ..heartbeat import HeartbeatHealth
    from .channels import DeliveryResult

MIGRATIONS = (
    """
    CREATE TABLE alert_cursor (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_transition_id INTEGER NOT NULL
    );
    CREATE TABLE alert_incidents (
        agent_id TEXT PRIMARY KEY,
        dedup_key TEXT,             -- the open incident's key, or the last one's
        alerted TEXT,               -- DOWN / DEGRADED while open, NULL when closed
        started_at REAL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE alert_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at REAL NOT NULL,
        agent_id TEXT NOT NULL,
        channel TEXT NOT NULL,      -- the channel's NAME: its URL may hold a token
        channel_type TEXT NOT NULL,
        event TEXT NOT NULL,
        dedup_key TEXT,
        transition_id INTEGER,
        facts TEXT NOT NULL,        -- AlertFacts JSON, redacted; payloads are built at send
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_error TEXT,
        delivered_at REAL,
        lease_until REAL            -- a process is sending it until then
    );
    CREATE INDEX alert_outbox_lane ON alert_outbox(status, channel, agent_id, id);
    CREATE TABLE alert_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id INTEGER NOT NULL REFERENCES alert_outbox(id) ON DELETE CASCADE,
        at REAL NOT NULL,
        channel TEXT NOT NULL,
        result TEXT NOT NULL,       -- delivered / retry / failed
        http_status INTEGER,
        error TEXT,
        elapsed REAL
    );
    CREATE INDEX alert_attempts_alert ON alert_attempts(alert_id);
    """,
    # The paging state is a "page"; "incident" names the on-call checklist alone.
    """
    ALTER TABLE alert_incidents RENAME TO alert_pages;
    """,
)

log = logging.getLogger("agentstatus.alerts")

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
SUPPRESSED = "suppressed"  # held by the paging policy: logged, never sent
Lane = tuple[str, str]  # (channel name, agent id): alerts of one lane go out in order


@dataclass(frozen=True)
class NewAlert:
    agent_id: str
    channel: str
    channel_type: str
    event: str
    facts: AlertFacts
    dedup_key: str | None = None
    transition_id: int | None = None
    status: str = "pending"  # "suppressed": logged, never sent (the paging policy held it)
    note: str | None = None  # why it was suppressed (shown where errors are)


@dataclass(frozen=True)
class AlertRecord:
    """One outbox entry as the delivery log shows it."""

    id: int
    at: float
    agent_id: str
    channel: str
    channel_type: str
    event: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: float | None  # None once delivered or failed
    delivered_at: float | None
    dedup_key: str | None
    group_id: int | None = None  # sent in one message with the group's other pages


@dataclass(frozen=True)
class AttemptRecord:
    alert_id: int
    at: float
    channel: str
    result: str
    http_status: int | None
    error: str | None
    elapsed: float | None


@dataclass(frozen=True)
class ChannelFailure:
    """A channel whose latest delivery attempt failed while it has alerts not delivered:
    paging through it is failing now (the dashboard says so in red)."""

    channel: str
    failed_attempts: int  # failed attempts of its undelivered alerts
    last_error: str | None
    since: float  # the first failed attempt of those alerts
    announced_at: float | None = None  # told on the other channels (paging_health.py)


@dataclass(frozen=True)
class AlertHealth:
    pending: int
    failed: int  # failed for good in the last day
    last_error: str | None
    failing: tuple[ChannelFailure, ...] = ()
    heartbeat: HeartbeatHealth | None = None  # None: no heartbeat configured

    @property
    def ok(self) -> bool:
        return (self.pending == 0 and self.failed == 0
                and not (self.heartbeat is not None and self.heartbeat.failing))


@dataclass(frozen=True)
class _Row:
    id: int
    agent_id: str
    channel: str
    event: str
    facts: str
    attempts: int
    created_at: float
    next_attempt_at: float
    lease_until: float | None
    group_id: int | None = None  # grouped with other agents' pages (groups.py)


Sender = Callable[[str, AlertFacts, float], Awaitable["DeliveryResult"]]
GroupSender = Callable[[str, list[AlertFacts], float], Awaitable["DeliveryResult"]]
Publisher = Callable[[AlertRecord], None]


class Outbox:
    """The outbox tables and the delivery lanes over them."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        send: Sender,
        *,
        transaction: Callable[[], contextlib.AbstractContextManager[object]] | None = None,
        publish: Publisher | None = None,
        clock: Callable[[], float] = time.time,
        attempt_timeout: float = 10.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        retry_after_cap: float = 3600.0,
        give_up_after: float = 86400.0,
        lease_wait: float = 1.0,
        send_group: GroupSender | None = None,
        group_wait: float = 0.0,
    ) -> None:
        db.migrate(conn, "alerts", MIGRATIONS)
        groups.migrate(conn)
        self.conn = conn
        self._send = send
        self._send_group = send_group
        self.group_wait = group_wait if send_group is not None else 0.0
        self.transaction = transaction or (lambda: db.transaction(conn, "outbox"))
        self._publish = publish
        self.clock = clock
        self.attempt_timeout = attempt_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.give_up_after = give_up_after
        self.lease_wait = lease_wait
        self._lanes: dict[Lane, asyncio.Task[None]] = {}
        self._claimed: set[int] = set()
        self._closed = asyncio.Event()

    # ------------------------------------------------------------------ writing

    def insert(self, alerts: Iterable[NewAlert], now: float) -> list[int]:
        """Queue alerts. The caller holds the transaction (with the cursor move)."""
        ids: list[int] = []
        for a in alerts:
            cur = self.conn.execute(
                "INSERT INTO alert_outbox(created_at, agent_id, channel, channel_type, event,"
                " dedup_key, transition_id, facts, next_attempt_at, status, last_error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, a.agent_id, a.channel, a.channel_type, a.event, a.dedup_key,
                 a.transition_id, a.facts.to_json(), now, a.status, a.note),
            )
            alert_id = int(cur.lastrowid or 0)
            if (self.group_wait > 0 and a.status == PENDING
                    and groups.groupable(a.channel_type, a.facts)):
                groups.join(self.conn, alert_id, a.channel, a.event, now, self.group_wait)
            ids.append(alert_id)
        return ids

    def announce(self, ids: Iterable[int]) -> None:
        for i in ids:
            self._announce(i)

    def _announce(self, alert_id: int) -> None:
        if self._publish is None:
            return
        rec = self.record(alert_id)
        if rec is not None:
            self._publish(rec)

    # ------------------------------------------------------------------ delivery

    def kick(self, deadline: float | None = None, *,
             flush: bool = False) -> list[asyncio.Task[None]]:
        """Start a delivery lane for every channel+agent with pending alerts (a lane that
        already runs picks new alerts up by itself). Needs a running loop. With `flush`,
        groups still waiting for `group_wait` go out at once (a one-shot `check` has no
        more runs coming: waiting would only delay the page)."""
        tasks = []
        for lane in self.pending_lanes():
            task = self._lanes.get(lane)
            if task is None or task.done():
                task = asyncio.get_running_loop().create_task(
                    self._run_lane(lane, deadline, flush), name=f"alerts:{lane[0]}:{lane[1]}"
                )
                self._lanes[lane] = task
            tasks.append(task)
        return tasks

    async def deliver_pending(self, deadline: float, *, flush: bool = False) -> None:
        """Deliver what is pending until done or `deadline` (epoch seconds)."""
        tasks = self.kick(deadline, flush=flush)
        if not tasks:
            return
        # Lanes started earlier without a deadline (dashboard) may run on: do not wait
        # for them past ours.
        await asyncio.wait(tasks, timeout=max(0.0, deadline - self.clock()) + 1.0)

    async def _run_lane(self, lane: Lane, deadline: float | None, flush: bool) -> None:
        try:
            await self._lane(lane, deadline, flush)
        except sqlite3.Error as exc:
            # The store failed under the lane (full, corrupt): stop it, with one line
            # rather than a task's traceback; the next kick starts it again.
            log.warning("alerts to %s for %s paused: the store failed: %s", lane[0], lane[1],
                        failure_cause(exc))

    async def _lane(self, lane: Lane, deadline: float | None, flush: bool = False) -> None:
        channel, agent_id = lane
        while not self._closed.is_set():
            row = self._head(channel, agent_id)
            if row is None:
                return
            now = self.clock()
            if deadline is not None and now >= deadline:
                return
            wait = row.next_attempt_at - now
            if flush and row.group_id is not None and row.attempts == 0:
                wait = 0.0  # only waiting for its group
            if row.lease_until is not None and row.lease_until > now:
                # Another process (a dashboard, a cron check) is sending it right now.
                wait = max(wait, self.lease_wait)
            if wait > 0:
                if deadline is not None and now + wait > deadline:
                    return
                await self._sleep(wait)
                continue
            budget = self.attempt_timeout
            if deadline is not None:
                budget = min(budget, deadline - now)
            if row.group_id is not None and self._send_group is not None:
                await self._send_grouped(row, budget, flush)
                continue
            if not self._claim(row.id, now + budget + 30.0):
                continue
            try:
                facts = AlertFacts.from_json(row.facts)
                started = time.monotonic()
                result = await self._send(channel, facts, budget)
                elapsed = time.monotonic() - started
            except asyncio.CancelledError:
                self._release(row.id)
                raise
            self._record_attempt(row, result, elapsed)

    async def _send_grouped(self, head: _Row, budget: float, flush: bool) -> None:
        """Claim the head's group (every member first in its lane) and send it as one."""
        assert head.group_id is not None and self._send_group is not None
        now = self.clock()
        ids = groups.claim(self.conn, head.group_id, head.id, now + budget + 30.0, now,
                           flush=flush, transaction=self.transaction)
        if not ids:
            return
        self._claimed.update(ids)
        rows = [r for r in (self._row(i) for i in ids) if r is not None]
        try:
            facts = [AlertFacts.from_json(r.facts) for r in rows]
            started = time.monotonic()
            result = await self._send_group(head.channel, facts, budget)
            elapsed = time.monotonic() - started
        except asyncio.CancelledError:
            for i in ids:
                self._release(i)
            raise
        now = self.clock()  # one moment for all: retried together, as one message again
        for r in rows:
            self._record_attempt(r, result, elapsed, now)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)

    def _claim(self, alert_id: int, until: float) -> bool:
        now = self.clock()
        cur = self.conn.execute(
            "UPDATE alert_outbox SET lease_until = ? WHERE id = ? AND status = 'pending'"
            " AND (lease_until IS NULL OR lease_until <= ?)",
            (until, alert_id, now),
        )
        if cur.rowcount == 1:
            self._claimed.add(alert_id)
            return True
        return False

    def _release(self, alert_id: int) -> None:
        self._claimed.discard(alert_id)
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("UPDATE alert_outbox SET lease_until = NULL WHERE id = ?",
                              (alert_id,))

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return min(self.backoff_base * 2.0 ** max(0, attempts - 1), self.backoff_cap)

    def _record_attempt(self, row: _Row, result: DeliveryResult, elapsed: float,
                        now: float | None = None) -> None:
        now = self.clock() if now is None else now
        attempts = row.attempts + 1
        error = None if result.ok else (result.error or "not accepted")
        if result.ok:
            status, outcome, next_at = DELIVERED, DELIVERED, None
        elif result.retriable and now - row.created_at < self.give_up_after:
            status, outcome = PENDING, "retry"
            next_at = now + self.backoff(attempts, result.retry_after)
        else:
            status, outcome, next_at = FAILED, FAILED, None
            if result.retriable:
                error = f"gave up after {attempts} attempts: {error}"
        with self.transaction():
            self.conn.execute(
                "INSERT INTO alert_attempts(alert_id, at, channel, result, http_status, error,"
                " elapsed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row.id, now, row.channel, outcome, result.status, error, elapsed),
            )
            self.conn.execute(
                "UPDATE alert_outbox SET status = ?, attempts = ?, last_error = ?,"
                " next_attempt_at = COALESCE(?, next_attempt_at), delivered_at = ?,"
                " lease_until = NULL WHERE id = ?",
                (status, attempts, error, next_at, now if result.ok else None, row.id),
            )
        self._claimed.discard(row.id)
        self._announce(row.id)

    async def aclose(self) -> None:
        self._closed.set()
        tasks = [t for t in self._lanes.values() if not t.done()]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        for alert_id in list(self._claimed):
            self._release(alert_id)

    # ------------------------------------------------------------------ reading

    def pending_lanes(self) -> list[Lane]:
        rows = self.conn.execute(
            "SELECT channel, agent_id, MIN(id) AS first FROM alert_outbox"
            " WHERE status = 'pending' GROUP BY channel, agent_id ORDER BY first"
        ).fetchall()
        return [(r["channel"], r["agent_id"]) for r in rows]

    _ROW_SQL = (
        "SELECT o.id, o.agent_id, o.channel, o.event, o.facts, o.attempts, o.created_at,"
        " o.next_attempt_at, o.lease_until, g.group_id FROM alert_outbox o"
        " LEFT JOIN alert_groups g ON g.alert_id = o.id"
    )

    def _head(self, channel: str, agent_id: str) -> _Row | None:
        r = self.conn.execute(
            self._ROW_SQL + " WHERE o.status = 'pending' AND o.channel = ? AND o.agent_id = ?"
            " ORDER BY o.id LIMIT 1",
            (channel, agent_id),
        ).fetchone()
        return None if r is None else _Row(**dict(r))

    def _row(self, alert_id: int) -> _Row | None:
        r = self.conn.execute(self._ROW_SQL + " WHERE o.id = ?", (alert_id,)).fetchone()
        return None if r is None else _Row(**dict(r))

    _RECORD_SQL = (
        "SELECT o.id, o.created_at, o.agent_id, o.channel, o.channel_type, o.event, o.status,"
        " o.attempts, o.last_error, o.next_attempt_at, o.delivered_at, o.dedup_key,"
        " g.group_id FROM alert_outbox o LEFT JOIN alert_groups g ON g.alert_id = o.id"
    )

    @staticmethod
    def _to_record(r: sqlite3.Row) -> AlertRecord:
        return AlertRecord(
            id=r["id"], at=r["created_at"], agent_id=r["agent_id"], channel=r["channel"],
            channel_type=r["channel_type"], event=r["event"], status=r["status"],
            attempts=r["attempts"], last_error=r["last_error"],
            next_attempt_at=r["next_attempt_at"] if r["status"] == PENDING else None,
            delivered_at=r["delivered_at"], dedup_key=r["dedup_key"], group_id=r["group_id"],
        )

    def record(self, alert_id: int) -> AlertRecord | None:
        r = self.conn.execute(self._RECORD_SQL + " WHERE o.id = ?", (alert_id,)).fetchone()
        return None if r is None else self._to_record(r)

    def log(self, limit: int = 200) -> list[AlertRecord]:
        rows = self.conn.execute(self._RECORD_SQL + " ORDER BY o.id DESC LIMIT ?", (limit,))
        return [self._to_record(r) for r in rows]

    def attempts(self, alert_id: int) -> list[AttemptRecord]:
        rows = self.conn.execute(
            "SELECT alert_id, at, channel, result, http_status, error, elapsed"
            " FROM alert_attempts WHERE alert_id = ? ORDER BY id", (alert_id,)
        )
        return [AttemptRecord(**dict(r)) for r in rows]

    def status(self, ids: Iterable[int]) -> dict[int, str]:
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            f"SELECT id, status FROM alert_outbox WHERE id IN ({marks})", ids
        )
        return {r["id"]: r["status"] for r in rows}

    def health(self) -> AlertHealth:
        since = self.clock() - 86400.0
        r = self.conn.execute(
            "SELECT SUM(status = 'pending') AS pending,"
            " SUM(status = 'failed' AND created_at >= ?) AS failed FROM alert_outbox",
            (since,),
        ).fetchone()
        last = self.conn.execute(
            "SELECT last_error FROM alert_outbox WHERE last_error IS NOT NULL"
            " AND (status = 'pending' OR (status = 'failed' AND created_at >= ?))"
            " ORDER BY id DESC LIMIT 1",
            (since,),
        ).fetchone()
        return AlertHealth(pending=int(r["pending"] or 0), failed=int(r["failed"] or 0),
                           last_error=last["last_error"] if last else None,
                           failing=self._failing_channels(since))

    def _failing_channels(self, since: float) -> tuple[ChannelFailure, ...]:
        undelivered: dict[str, list[sqlite3.Row]] = {}
        for row in self.conn.execute(
            "SELECT id, channel, attempts, last_error FROM alert_outbox WHERE attempts > 0"
            " AND (status = 'pending' OR (status = 'failed' AND created_at >= ?))"
            " ORDER BY id DESC",
            (since,),
        ):
            undelivered.setdefault(row["channel"], []).append(row)
        out = []
        for channel, rows in undelivered.items():
            latest = self.conn.execute(
                "SELECT result FROM alert_attempts WHERE channel = ? ORDER BY id DESC LIMIT 1",
                (channel,),
            ).fetchone()
            if latest is None or latest["result"] == DELIVERED:
                continue  # it delivers again; what it missed stays in `failed`
            ids = [r["id"] for r in rows]
            marks = ",".join("?" * len(ids))
            first = self.conn.execute(
                f"SELECT MIN(at) AS at, COUNT(*) AS n FROM alert_attempts"
                f" WHERE alert_id IN ({marks}) AND result != 'delivered'",
                ids,
            ).fetchone()
            error = next((r["last_error"] for r in rows if r["last_error"]), None)
            out.append(ChannelFailure(channel, int(first["n"] or 0), error,
                                      float(first["at"] if first["at"] is not None else 0.0)))
        return tuple(out)

    def prune(self, before: float) -> int:
        """Forget delivered and failed alerts created before `before` (attempts follow)."""
        with self.transaction():
            self.conn.execute(
                "DELETE FROM alert_attempts WHERE alert_id IN (SELECT id FROM alert_outbox"
                " WHERE status != 'pending' AND created_at < ?)", (before,))
            self.conn.execute(
                "DELETE FROM alert_groups WHERE alert_id IN (SELECT id FROM alert_outbox"
                " WHERE status != 'pending' AND created_at < ?)", (before,))
            cur = self.conn.execute(
                "DELETE FROM alert_outbox WHERE status != 'pending' AND created_at < ?",
                (before,))
        return cur.rowcount
