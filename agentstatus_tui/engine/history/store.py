"""The verdict history store: every run, every verdict transition, and the reads built on them.

Tables live in the shared SQLite file (engine/db.py), migrated under the component name
"store". Transitions are detected against the database, not memory, so a running
dashboard and a cron `agentstatus check` sharing one file never double a transition.
Only codes, numbers and verdicts are written: nothing that could hold a secret (request
answers and details never reach the store).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import RunResult, Stats, Verdict
from . import db, uptime
from .uptime import Outage, Point, Summary

log = logging.getLogger(__name__)

COMPONENT = "store"
PRUNE_EVERY = 3600.0  # seconds between retention passes, shared by every process
UPTIME_WINDOWS: Mapping[str, float] = {"24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0}

# Region '' in agent_state is the overall verdict: a NULL in a primary key would never
# conflict, so the small state table uses '' where runs and transitions use NULL.
MIGRATIONS: Sequence[str] = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        agent_id TEXT NOT NULL,
        region TEXT,                -- NULL: the overall row of the run
        started_at REAL NOT NULL,
        finished_at REAL NOT NULL,
        verdict TEXT NOT NULL,
        validations INTEGER NOT NULL DEFAULT 0,
        validations_ok INTEGER NOT NULL DEFAULT 0,
        gold INTEGER NOT NULL DEFAULT 0,
        gold_ok INTEGER NOT NULL DEFAULT 0,
        reachability REAL,
        eval_pass REAL,
        ttfb_p50 REAL,
        ttfb_p95 REAL,
        errors TEXT,                -- JSON {code: count}; NULL when none
        retried INTEGER NOT NULL DEFAULT 0,
        manual INTEGER NOT NULL DEFAULT 0,
        discarded INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX runs_by_agent ON runs(agent_id, region, started_at);
    CREATE TABLE transitions (
        id INTEGER PRIMARY KEY,
        agent_id TEXT NOT NULL,
        region TEXT,                -- NULL: overall
        at REAL NOT NULL,
        previous TEXT NOT NULL,
        current TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX transitions_by_agent ON transitions(agent_id, region, at);
    CREATE INDEX transitions_by_time ON transitions(at);
    CREATE TABLE agent_state (
        agent_id TEXT NOT NULL,
        region TEXT NOT NULL,       -- '': overall
        verdict TEXT NOT NULL,
        since REAL NOT NULL,
        last_run_id INTEGER,
        PRIMARY KEY (agent_id, region)
    ) WITHOUT ROWID;
    CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)

# Error keys are codes (TIMEOUT, HTTP_503, …). Anything else is folded into OTHER so a
# stray message can never carry text (or a secret) into the file.
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
_VERDICTS: Mapping[str, Verdict] = {v.value: v for v in Verdict}

# The change in force at a window's start (the last at or before it) and every later one,
# in one range read of the (agent_id, region, at) index.
_POINTS_SQL = (
    "SELECT at, current FROM transitions WHERE agent_id = ? AND region IS ? AND at >= coalesce("
    "(SELECT at FROM transitions WHERE agent_id = ? AND region IS ? AND at <= ?"
    " ORDER BY at DESC LIMIT 1), ?) ORDER BY at, id"
)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Transition:
    id: int
    agent_id: str
    region: str | None  # None: overall
    at: float
    previous: Verdict
    current: Verdict
    reason: str = ""  # error codes or the regions behind the change, e.g. "HTTP_503"


@dataclass(frozen=True)
class RunRecord:
    """One stored run row (overall, or one region of a run)."""

    started_at: float
    verdict: Verdict
    ttfb_p50: float | None
    ttfb_p95: float | None
    reachability: float | None
    eval_pass: float | None
    errors: Mapping[str, int]
    retried: int
    agent_id: str = ""
    region: str | None = None
    finished_at: float = 0.0
    validations: int = 0
    validations_ok: int = 0
    gold: int = 0
    gold_ok: int = 0
    manual: bool = False
    discarded: bool = False

    def stats(self) -> Stats:
        return Stats(
            verdict=self.verdict,
            validations=self.validations,
            validations_ok=self.validations_ok,
            gold=self.gold,
            gold_ok=self.gold_ok,
            ttfb_p50=self.ttfb_p50,
            ttfb_p95=self.ttfb_p95,
            errors=dict(self.errors),
            retried=self.retried,
            discarded=self.discarded,
        )


class _SummaryFields:
    summary: Summary

    @property
    def uptime(self) -> float | None:
        return self.summary.uptime

    @property
    def outages(self) -> tuple[Outage, ...]:
        return self.summary.outages

    @property
    def outage_count(self) -> int:
        return self.summary.outage_count

    @property
    def outage_total(self) -> float:
        return self.summary.outage_total

    @property
    def outage_longest(self) -> float | None:
        return self.summary.outage_longest

    @property
    def mttr(self) -> float | None:
        return self.summary.mttr

    @property
    def mtbf(self) -> float | None:
        return self.summary.mtbf


@dataclass(frozen=True)
class RegionReport(_SummaryFields):
    region: str
    verdict: Verdict
    verdict_since: float | None
    summary: Summary


@dataclass(frozen=True)
class AgentReport(_SummaryFields):
    """One agent over one window: uptime, outages, MTTR, MTBF, now; and per region."""

    agent_id: str
    verdict: Verdict  # current overall verdict
    verdict_since: float | None
    summary: Summary
    regions: Mapping[str, RegionReport] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentHistory:
    """What the dashboard needs of one agent at start-up to look as it did before."""

    agent_id: str
    verdict: Verdict  # current overall verdict (UNKNOWN after a clean stop)
    since: float | None
    region_verdicts: Mapping[str, Verdict]
    last: RunResult | None  # the last stored run rebuilt (no requests)
    sparkline: list[float | None]  # overall TTFB p50 of recent runs, oldest first
    transitions: list[Transition]  # overall, newest first
    uptime: Mapping[str, float | None]  # "24h", "7d", "30d"
    region_since: Mapping[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- the store


class Store:
    """The history in one SQLite file. One Store per thread: the connection is not shared."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.conn: sqlite3.Connection = db.connect(self.path)
        db.migrate(self.conn, COMPONENT, MIGRATIONS)

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None = None) -> Store:
        """The store in `--data-dir`, $AGENTSTATUS_DATA_DIR or the platformdirs data dir."""
        return cls(db.data_dir(data_dir) / db.DB_FILENAME)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """`db.transaction` on this store's connection: nested use joins the outer one,
        so another component can store its rows atomically with a run or a cursor."""
        return db.transaction(self.conn)

    # ------------------------------------------------------------------ writes

    def record_run(
        self, result: RunResult, *, stale_after: float | None = None
    ) -> list[Transition]:
        """Store the run (overall + each region) and the verdict changes it causes.

        `stale_after` (seconds): when the agent's previous stored run finished longer
        than this before this one started, nobody was watching in between (a crash, a
        killed cron): the verdicts are recorded as UNKNOWN from `previous + stale_after`
        so that gap counts neither as up nor as down."""
        with self.transaction():
            return self._record(result, stale_after)

    def mark_unknown(self, agent_id: str, at: float) -> list[Transition]:
        """From `at` on, the agent's verdicts (overall and regions) are UNKNOWN: paused, or
        the monitor stopped, so the time until the next run is counted neither up nor down."""
        with self.transaction():
            return self._mark_unknown(agent_id, at)

    def _state(self, agent_id: str) -> dict[str | None, tuple[Verdict, float]]:
        rows = self.conn.execute(
            "SELECT region, verdict, since FROM agent_state WHERE agent_id = ?", (agent_id,)
        ).fetchall()
        return {(r[0] or None): (Verdict(r[1]), r[2]) for r in rows}

    def _record(self, result: RunResult, stale_after: float | None = None) -> list[Transition]:
        out: list[Transition] = []
        if stale_after is not None:
            last = self._last_run_at(result.agent_id)
            if last is not None and result.started_at - last > stale_after:
                out += self._mark_unknown(result.agent_id, last + stale_after)
        state = self._state(result.agent_id)
        rows: list[tuple[str | None, Stats]] = [(None, result.overall)]
        rows += list(result.regions.items())
        for region, stats in rows:
            run_id = self._insert_run(result, region, stats)
            prev, since = state.get(region, (Verdict.UNKNOWN, None))
            if stats.verdict is not prev:
                # A run finishing "earlier" than the last change (two writers, clock
                # steps) must not make time run backwards in the transition list.
                at = result.finished_at if since is None else max(result.finished_at, since)
                reason = _reason(region, stats, result)
                out.append(self._transition(result.agent_id, region, at, prev, stats.verdict,
                                            reason))
                self.conn.execute(
                    "INSERT INTO agent_state(agent_id, region, verdict, since, last_run_id)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT(agent_id, region) DO UPDATE SET"
                    " verdict = excluded.verdict, since = excluded.since,"
                    " last_run_id = excluded.last_run_id",
                    (result.agent_id, region or "", stats.verdict.value, at, run_id),
                )
            else:
                self.conn.execute(
                    "UPDATE agent_state SET last_run_id = ? WHERE agent_id = ? AND region = ?",
                    (run_id, result.agent_id, region or ""),
                )
        return out

    def _last_run_at(self, agent_id: str) -> float | None:
        row = self.conn.execute(
            "SELECT r.finished_at FROM agent_state s JOIN runs r ON r.id = s.last_run_id"
            " WHERE s.agent_id = ? AND s.region = ''",
            (agent_id,),
        ).fetchone()
        return None if row is None else float(row[0])

    def _insert_run(self, result: RunResult, region: str | None, s: Stats) -> int:
        errors = _clean_errors(s.errors)
        cur = self.conn.execute(
            "INSERT INTO runs(agent_id, region, started_at, finished_at, verdict, validations,"
            " validations_ok, gold, gold_ok, reachability, eval_pass, ttfb_p50, ttfb_p95,"
            " errors, retried, manual, discarded)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                result.agent_id, region, result.started_at, result.finished_at,
                s.verdict.value, s.validations, s.validations_ok, s.gold, s.gold_ok,
                s.reachability, s.eval_pass, s.ttfb_p50, s.ttfb_p95,
                json.dumps(errors, sort_keys=True) if errors else None,
                s.retried, int(result.manual), int(s.discarded),
            ),
        )
        return int(cur.lastrowid or 0)

    def _transition(
        self, agent_id: str, region: str | None, at: float, prev: Verdict, cur: Verdict,
        reason: str = "",
    ) -> Transition:
        c = self.conn.execute(
            "INSERT INTO transitions(agent_id, region, at, previous, current, reason)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (agent_id, region, at, prev.value, cur.value, reason),
        )
        return Transition(int(c.lastrowid or 0), agent_id, region, at, prev, cur, reason)

    def _mark_unknown(self, agent_id: str, at: float) -> list[Transition]:
        out: list[Transition] = []
        # Overall first, so consumers reading by id see the agent go UNKNOWN first.
        state = sorted(self._state(agent_id).items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))
        for region, (prev, since) in state:
            if prev is Verdict.UNKNOWN:
                continue
            t_at = max(at, since)
            out.append(self._transition(agent_id, region, t_at, prev, Verdict.UNKNOWN))
            self.conn.execute(
                "UPDATE agent_state SET verdict = ?, since = ? WHERE agent_id = ? AND region = ?",
                (Verdict.UNKNOWN.value, t_at, agent_id, region or ""),
            )
        return out

    # ------------------------------------------------------------------ retention

    def prune(self, older_than: float) -> int:
        """Delete raw runs started before `older_than` (transitions are kept). One short
        transaction per agent/region, so a big first prune never blocks other writers
        for long. Returns the number of runs deleted."""
        keys = self.conn.execute("SELECT DISTINCT agent_id, region FROM agent_state").fetchall()
        deleted = 0
        for agent_id, region in keys:
            with self.transaction():
                c = self.conn.execute(
                    "DELETE FROM runs WHERE agent_id = ? AND region IS ? AND started_at < ?",
                    (agent_id, region or None, older_than),
                )
                deleted += c.rowcount
        return deleted

    def maybe_prune(self, retention: float, now: float | None = None) -> int | None:
        """Prune runs older than `retention` seconds if no process did in the last hour.
        Returns the number deleted, or None when it was not due."""
        now = time.time() if now is None else now
        with self.transaction():
            row = self.conn.execute(
                "SELECT value FROM store_meta WHERE key = 'last_prune'"
            ).fetchone()
            if row is not None and now - float(row[0]) < PRUNE_EVERY:
                return None
            self.conn.execute(
                "INSERT INTO store_meta(key, value) VALUES ('last_prune', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (repr(now),),
            )
        return self.prune(now - retention)

    # ------------------------------------------------------------------ reads

    def last_transition_id(self) -> int:
        """The newest transition id (0 when none): where a new cursor starts."""
        row = self.conn.execute("SELECT MAX(id) FROM transitions").fetchone()
        return int(row[0] or 0)

    def transitions_after(
        self, last_id: int, *, overall_only: bool = True, limit: int | None = None
    ) -> list[Transition]:
        """Transitions with id > `last_id`, oldest first: a consumer's cursor (alert outbox,
        incidents) moves over these."""
        sql = "SELECT * FROM transitions WHERE id > ?"
        if overall_only:
            sql += " AND region IS NULL"
        sql += " ORDER BY id"
        params: list[Any] = [last_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_transition(r) for r in self.conn.execute(sql, params)]

    def last_verdicts(self) -> dict[str, dict[str | None, tuple[Verdict, float]]]:
        """agent → region (None = overall) → (verdict, since)."""
        out: dict[str, dict[str | None, tuple[Verdict, float]]] = {}
        for agent_id, region, verdict, since in self.conn.execute(
            "SELECT agent_id, region, verdict, since FROM agent_state"
        ):
            out.setdefault(agent_id, {})[region or None] = (Verdict(verdict), since)
        return out

    def agent_ids(self) -> list[str]:
        """Every agent the store has heard of, sorted."""
        rows = self.conn.execute(
            "SELECT agent_id FROM agent_state WHERE region = '' ORDER BY agent_id"
        )
        return [r[0] for r in rows]

    def regions(self, agent_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT region FROM agent_state WHERE agent_id = ? AND region != '' ORDER BY region",
            (agent_id,),
        )
        return [r[0] for r in rows]

    def recent_runs(
        self,
        agent_id: str,
        limit: int = 60,
        region: str | None = None,
        *,
        since: float | None = None,
    ) -> list[RunRecord]:
        """The last `limit` runs (overall, or of `region`), oldest first."""
        sql = "SELECT * FROM runs WHERE agent_id = ? AND region IS ?"
        params: list[Any] = [agent_id, region]
        if since is not None:
            sql += " AND started_at >= ?"
            params.append(since)
        sql += " ORDER BY started_at DESC LIMIT ?"
        params.append(limit)
        rows = self.conn.execute(sql, params).fetchall()
        return [_run_record(r) for r in reversed(rows)]

    def transitions(
        self,
        agent_id: str,
        *,
        since: float | None = None,
        until: float | None = None,
        region: str | None = None,
        overall: bool = True,
        limit: int | None = None,
    ) -> list[Transition]:
        """An agent's transitions, oldest first: of `region` if given, else overall ones
        (`overall=False`: overall and every region). `limit` keeps the newest."""
        sql = "SELECT * FROM transitions WHERE agent_id = ?"
        params: list[Any] = [agent_id]
        if region is not None:
            sql += " AND region = ?"
            params.append(region)
        elif overall:
            sql += " AND region IS NULL"
        if since is not None:
            sql += " AND at >= ?"
            params.append(since)
        if until is not None:
            sql += " AND at <= ?"
            params.append(until)
        sql += " ORDER BY at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_transition(r) for r in reversed(self.conn.execute(sql, params).fetchall())]

    def points(
        self, agent_id: str, since: float, until: float | None = None, region: str | None = None
    ) -> list[Point]:
        """(at, verdict) changes needed for a window: the one in force at `since` and every
        later one. One indexed range read: cost grows with changes, not runs. Changes after
        `until` are kept on purpose: they tell an outage past a closed window from an
        ongoing one (and there are none when `until` is now)."""
        del until  # see above: the arithmetic clips, the read does not
        cur = self.conn.cursor()
        cur.row_factory = None  # plain tuples: a 30-day report reads every change
        rows = cur.execute(_POINTS_SQL, (agent_id, region, agent_id, region, since, since))
        return [(at, _VERDICTS[v]) for at, v in rows]

    def uptime(
        self, agent_id: str, since: float, until: float | None = None, region: str | None = None
    ) -> float | None:
        """Time UP/REACHABLE ÷ time with a known verdict in [since, until or now)."""
        end = time.time() if until is None else until
        return uptime.uptime(self.points(agent_id, since, until, region), since, end)

    def uptimes(self, agent_id: str, now: float) -> dict[str, float | None]:
        """Overall uptime over each of UPTIME_WINDOWS (24h, 7d, 30d) from one read."""
        pts = self.points(agent_id, now - max(UPTIME_WINDOWS.values()))
        return {name: uptime.uptime(pts, now - span, now) for name, span in UPTIME_WINDOWS.items()}

    def outages(
        self, agent_id: str, since: float, until: float | None = None, region: str | None = None
    ) -> list[Outage]:
        end = time.time() if until is None else until
        return uptime.outages(self.points(agent_id, since, until, region), since, end)

    def summary(
        self, agent_id: str, since: float, until: float | None = None, region: str | None = None
    ) -> Summary:
        end = time.time() if until is None else until
        return uptime.summarize(self.points(agent_id, since, until, region), since, end)

    def report(
        self, since: float, until: float | None = None, agent_ids: Iterable[str] | None = None
    ) -> list[AgentReport]:
        """Per agent (and per region): uptime, outages, MTTR, MTBF and the verdict now.
        Agents the store never saw are reported with no data (uptime None)."""
        end = time.time() if until is None else until
        state = self.last_verdicts()
        ids = sorted(state) if agent_ids is None else list(agent_ids)
        out: list[AgentReport] = []
        for agent_id in ids:
            regions_state = state.get(agent_id, {})
            verdict, vsince = regions_state.get(None, (Verdict.UNKNOWN, None))
            regions = {
                name: RegionReport(
                    name, v, s, uptime.summarize(self.points(agent_id, since, region=name),
                                                 since, end)
                )
                for name, (v, s) in sorted(
                    (k, vs) for k, vs in regions_state.items() if k is not None
                )
            }
            overall = uptime.summarize(self.points(agent_id, since), since, end)
            out.append(AgentReport(agent_id, verdict, vsince, overall, regions))
        return out

    def dashboard_history(
        self,
        agent_ids: Iterable[str],
        now: float,
        sparkline: int = 60,
        transitions: int = 50,
    ) -> dict[str, AgentHistory]:
        """Everything the dashboard shows of each agent right after a restart: verdicts,
        the last run, sparkline points, recent transitions and 24h/7d/30d uptime. Agents
        the store never saw are left out."""
        ids = list(agent_ids)
        wanted = set(ids)
        state: dict[str, dict[str | None, tuple[Verdict, float, int | None]]] = {}
        for agent_id, region, verdict, since, run_id in self.conn.execute(
            "SELECT agent_id, region, verdict, since, last_run_id FROM agent_state"
        ):
            if agent_id in wanted:
                state.setdefault(agent_id, {})[region or None] = (Verdict(verdict), since, run_id)
        last_rows = self._runs_by_id(
            [v[2] for regions in state.values() for v in regions.values() if v[2] is not None]
        )
        out: dict[str, AgentHistory] = {}
        for agent_id in ids:
            regions = state.get(agent_id)
            if not regions:
                continue
            verdict, since, run_id = regions.get(None, (Verdict.UNKNOWN, None, None))
            last = None
            overall_row = last_rows.get(run_id) if run_id is not None else None
            if overall_row is not None:
                same_run = {
                    name: last_rows[v[2]].stats()
                    for name, v in regions.items()
                    if name is not None and v[2] in last_rows
                    and last_rows[v[2]].started_at == overall_row.started_at
                }
                last = RunResult(
                    agent_id=agent_id,
                    started_at=overall_row.started_at,
                    finished_at=overall_row.finished_at,
                    overall=overall_row.stats(),
                    regions=same_run,
                    manual=overall_row.manual,
                )
            spark = [
                r[0]
                for r in reversed(
                    self.conn.execute(
                        "SELECT ttfb_p50 FROM runs WHERE agent_id = ? AND region IS NULL"
                        " ORDER BY started_at DESC LIMIT ?",
                        (agent_id, sparkline),
                    ).fetchall()
                )
            ]
            recent = [
                _transition(r)
                for r in self.conn.execute(
                    "SELECT * FROM transitions WHERE agent_id = ? AND region IS NULL"
                    " ORDER BY at DESC, id DESC LIMIT ?",
                    (agent_id, transitions),
                )
            ]
            out[agent_id] = AgentHistory(
                agent_id=agent_id,
                verdict=verdict,
                since=since,
                region_verdicts={k: v[0] for k, v in regions.items() if k is not None},
                last=last,
                sparkline=spark,
                transitions=recent,
                uptime=self.uptimes(agent_id, now),
                region_since={k: v[1] for k, v in regions.items() if k is not None},
            )
        return out

    def _runs_by_id(self, ids: list[int]) -> dict[int, RunRecord]:
        out: dict[int, RunRecord] = {}
        # Chunked: SQLite caps the number of bound parameters per statement.
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(f"SELECT * FROM runs WHERE id IN ({marks})", chunk):
                out[r["id"]] = _run_record(r)
        return out


# --------------------------------------------------------------------------- writer


class _Stop:
    pass


_STOP = _Stop()


class StoreWriter:
    """Writes off the UI event loop: one background thread owns `store` (its connection)
    and commits queued runs in batches, one transaction per batch. A future resolves
    only after its batch is committed (synchronous=FULL), so "stored" means durable."""

    def __init__(self, store: Store, *, retention: float | None = None,
                 batch_size: int = 256) -> None:
        self.store = store
        self.retention = retention
        self.batch_size = batch_size
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="store-writer", daemon=True)
        self._thread.start()

    async def record(
        self, result: RunResult, *, stale_after: float | None = None
    ) -> list[Transition]:
        """Store.record_run, committed on the writer thread (see there for stale_after)."""
        return await self._submit(self.store._record, result, stale_after)

    async def mark_unknown(self, agent_id: str, at: float) -> list[Transition]:
        return await self._submit(self.store._mark_unknown, agent_id, at)

    async def flush(self) -> None:
        """Wait until everything queued before this call is committed."""
        await self._submit(lambda: None)

    def close(self) -> None:
        """Commit what is queued, stop the thread, close the connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        self.store.close()

    async def _submit(self, fn: Any, *args: Any) -> Any:
        import asyncio

        if self._closed:
            raise RuntimeError("the store writer is closed")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self._queue.put((fn, args, loop, fut))
        return await fut

    def _work(self) -> None:
        stop = False
        while not stop:
            job = self._queue.get()
            if job is _STOP:
                break
            batch = [job]
            while len(batch) < self.batch_size:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._run_batch(batch)
            if self.retention:
                try:
                    self.store.maybe_prune(self.retention)
                except Exception:
                    log.exception("pruning old runs failed")

    def _run_batch(self, batch: list[Any]) -> None:
        try:
            with self.store.transaction():
                results = [fn(*args) for fn, args, _, _ in batch]
        except Exception:
            # One bad job must not lose the others: retry each on its own.
            for fn, args, loop, fut in batch:
                try:
                    with self.store.transaction():
                        value = fn(*args)
                except Exception as exc:
                    _resolve(loop, fut, exc=exc)
                else:
                    _resolve(loop, fut, value)
            return
        for (_, _, loop, fut), value in zip(batch, results, strict=True):
            _resolve(loop, fut, value)


def _resolve(loop: Any, fut: Any, value: Any = None, exc: BaseException | None = None) -> None:
    def apply() -> None:
        if fut.done():  # the awaiting task was cancelled
            return
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(value)

    # A closed loop means nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(apply)


# --------------------------------------------------------------------------- helpers


def _clean_errors(errors: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for code, n in errors.items():
        key = code if _CODE.match(code) else "OTHER"
        out[key] = out.get(key, 0) + int(n)
    return out


def _reason(region: str | None, stats: Stats, result: RunResult) -> str:
    """A few words on why the verdict changed, from codes and region names only."""
    if stats.verdict.is_up or stats.verdict is Verdict.UNKNOWN:
        return ""
    errors = _clean_errors(stats.errors)
    if errors:
        top = sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
        return ", ".join(code for code, _ in top)
    if region is None:
        worse = [f"{n} {s.verdict.value}" for n, s in result.regions.items() if not s.verdict.is_up]
        if worse:
            return ", ".join(worse[:3])
    return "slow" if stats.verdict is Verdict.DEGRADED else ""


def _transition(r: sqlite3.Row) -> Transition:
    return Transition(
        id=r["id"],
        agent_id=r["agent_id"],
        region=r["region"],
        at=r["at"],
        previous=Verdict(r["previous"]),
        current=Verdict(r["current"]),
        reason=r["reason"],
    )


def _run_record(r: sqlite3.Row) -> RunRecord:
    return RunRecord(
        started_at=r["started_at"],
        verdict=Verdict(r["verdict"]),
        ttfb_p50=r["ttfb_p50"],
        ttfb_p95=r["ttfb_p95"],
        reachability=r["reachability"],
        eval_pass=r["eval_pass"],
        errors=json.loads(r["errors"]) if r["errors"] else {},
        retried=r["retried"],
        agent_id=r["agent_id"],
        region=r["region"],
        finished_at=r["finished_at"],
        validations=r["validations"],
        validations_ok=r["validations_ok"],
        gold=r["gold"],
        gold_ok=r["gold_ok"],
        manual=bool(r["manual"]),
        discarded=bool(r["discarded"]),
    )
