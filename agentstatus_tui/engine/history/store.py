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
import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..model import RunResult, Stats, Verdict
from . import db, pauses
from .queries import HistoryQueries
from .records import Transition

log = logging.getLogger(__name__)

COMPONENT = "store"
PRUNE_EVERY = 3600.0  # seconds between retention passes, shared by every process

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


class Store(HistoryQueries):
    """The history in one SQLite file. One Store per thread: the connection is not shared."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.conn: sqlite3.Connection = db.connect(self.path)
        try:
            with db.store_errors(self.path):
                db.migrate(self.conn, COMPONENT, MIGRATIONS)
                pauses.migrate(self.conn)
        except BaseException:
            self.conn.close()
            raise

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

    def paused_agents(self) -> dict[str, float]:
        """The agents paused by an engineer (kept across restarts), with when."""
        with db.store_errors(self.path):
            return pauses.paused(self.conn)

    def _set_paused(self, agent_id: str, paused: bool, at: float) -> None:
        pauses.set_paused(self.conn, agent_id, paused, at)

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

    def record_changes(self, agent_id: str, changes: Sequence[tuple[float, Verdict]],
                       reason: str) -> list[Transition]:
        """Overall verdict changes that were seen but could not be stored then (the store
        could not be written): each `(at, verdict)` that differs from the verdict before
        it becomes a transition, in order, from the stored verdict on; the agent's overall
        state ends at the last. No runs: they were lost. Inside the caller's transaction."""
        prev, since = self._state(agent_id).get(None, (Verdict.UNKNOWN, None))
        out: list[Transition] = []
        for at, verdict in changes:
            if verdict is prev:
                continue
            at = at if since is None else max(at, since)  # time never runs backwards
            out.append(self._transition(agent_id, None, at, prev, verdict, reason))
            prev, since = verdict, at
        if out:
            self.conn.execute(
                "INSERT INTO agent_state(agent_id, region, verdict, since) VALUES (?, '', ?, ?)"
                " ON CONFLICT(agent_id, region) DO UPDATE SET verdict = excluded.verdict,"
                " since = excluded.since", (agent_id, prev.value, since))
        return out

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
