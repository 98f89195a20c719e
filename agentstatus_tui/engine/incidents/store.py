"""Incident tables in the shared SQLite file: incidents, timelines, step states, notes,
follow-ups and per-region impact, plus the tracker's cursor."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from ..history.db import migrate, transaction
from ..model import URGENCY, Verdict
from ..secrets import redact

# The eight steps of the incident checklist, in order; step numbers are 1-based everywhere.
STEPS: tuple[str, ...] = (
    "Acknowledge",
    "Check dashboard",
    "Recent changes",
    "Reproduce",
    "Root cause",
    "Fix",
    "Verify",
    "Resolve",
)
ACKNOWLEDGE, DASHBOARD, CHANGES, REPRODUCE, ROOT_CAUSE, FIX, VERIFY, RESOLVE = range(1, 9)

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id TEXT NOT NULL,
        agent_name TEXT NOT NULL,
        opened_at REAL NOT NULL,
        opened_by TEXT NOT NULL,             -- 'monitor', or who opened it by hand
        trigger TEXT NOT NULL,               -- DOWN / DEGRADED, or 'manual'
        verdict_at_open TEXT NOT NULL,
        worst_verdict TEXT NOT NULL,
        detected_at REAL,                    -- when the monitor saw the verdict change
        first_failure_at REAL,               -- start of the first failing run
        first_failure TEXT,                  -- e.g. 'us, eu: HTTP_503'
        alert_delivered_at REAL,             -- first trigger delivered anywhere
        dedup_key TEXT,
        acknowledged_at REAL,
        acknowledged_by TEXT,
        recovered_at REAL,                   -- last change back to UP/REACHABLE
        resolved_at REAL,
        resolved_by TEXT,
        root_cause TEXT,
        root_cause_key TEXT,
        resolution TEXT,
        current_step INTEGER NOT NULL DEFAULT 1,
        document_path TEXT,
        runs INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        requests_failed INTEGER NOT NULL DEFAULT 0
    );
    -- One open incident per agent, enforced by the file itself so a dashboard and a
    -- cron job sharing it cannot both open one.
    CREATE UNIQUE INDEX incidents_one_open_per_agent ON incidents(agent_id)
        WHERE resolved_at IS NULL;
    CREATE TABLE incident_timeline (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        actor TEXT
    );
    CREATE INDEX incident_timeline_by_incident ON incident_timeline(incident_id, at, id);
    CREATE TABLE incident_steps (
        incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        done_at REAL,
        done_by TEXT,
        data TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (incident_id, step)
    );
    CREATE TABLE incident_notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        step INTEGER,
        at REAL NOT NULL,
        author TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE TABLE incident_followups (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE TABLE incident_impact (
        incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        region TEXT NOT NULL,
        worst_verdict TEXT NOT NULL,
        runs INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        requests_failed INTEGER NOT NULL DEFAULT 0,
        errors TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (incident_id, region)
    );
    CREATE TABLE incident_cursor (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    """,
)


@dataclass(frozen=True)
class Incident:
    id: int
    agent_id: str
    agent_name: str
    opened_at: float
    opened_by: str
    trigger: str
    verdict_at_open: Verdict
    worst_verdict: Verdict
    detected_at: float | None = None
    first_failure_at: float | None = None
    first_failure: str | None = None
    alert_delivered_at: float | None = None
    dedup_key: str | None = None
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    recovered_at: float | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    root_cause: str | None = None
    root_cause_key: str | None = None
    resolution: str | None = None
    current_step: int = 1
    document_path: str | None = None
    runs: int = 0
    requests: int = 0
    requests_failed: int = 0

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def is_drill(self) -> bool:
        """Opened by hand on an agent that was up: practice, not an outage."""
        return self.trigger == "manual" and self.verdict_at_open.is_up

    @property
    def started_at(self) -> float:
        """When trouble began: the first failing run if known, else when it was opened."""
        candidates = [t for t in (self.first_failure_at, self.detected_at) if t is not None]
        return min(candidates) if candidates else self.opened_at

    def duration(self, now: float) -> float:
        end = self.resolved_at if self.resolved_at is not None else now
        return max(0.0, end - self.started_at)


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    at: float
    kind: str  # detected, first_failure, verdict, alert, acknowledged, note, run, step, …
    text: str
    actor: str | None = None


@dataclass(frozen=True)
class StepState:
    step: int
    done_at: float | None = None
    done_by: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class Note:
    id: int
    step: int | None
    at: float
    author: str
    text: str


@dataclass(frozen=True)
class FollowUp:
    id: int
    text: str
    done: bool
    created_at: float


@dataclass(frozen=True)
class RegionImpact:
    region: str
    worst_verdict: Verdict
    runs: int
    requests: int
    requests_failed: int
    errors: Mapping[str, int]


@dataclass(frozen=True)
class IncidentRecord:
    """Everything stored about one incident: what the panel and the document read."""

    incident: Incident
    timeline: tuple[TimelineEntry, ...]
    steps: Mapping[int, StepState]
    notes: tuple[Note, ...]
    followups: tuple[FollowUp, ...]
    impact: tuple[RegionImpact, ...]


_INCIDENT_COLUMNS = tuple(Incident.__dataclass_fields__)


def _incident(row: sqlite3.Row) -> Incident:
    values = {k: row[k] for k in _INCIDENT_COLUMNS}
    values["verdict_at_open"] = Verdict(values["verdict_at_open"])
    values["worst_verdict"] = Verdict(values["worst_verdict"])
    return Incident(**values)


def worse(a: Verdict, b: Verdict) -> Verdict:
    return a if URGENCY[a] >= URGENCY[b] else b


class IncidentStore:
    """Incident rows in the shared SQLite file. Every text that comes in is redacted
    with `secrets` first, so nothing stored here can leak a `${VAR}` value later."""

    def __init__(self, conn: sqlite3.Connection, secrets: Iterable[str] = ()) -> None:
        self.conn = conn
        self.secrets = frozenset(secrets)
        migrate(conn, "incidents", MIGRATIONS)

    # ------------------------------------------------------------------ plumbing

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        # The connection may be shared with the run store: inside its open transaction
        # this is a savepoint rather than a failing nested BEGIN.
        return transaction(self.conn, "incidents")

    def _clean(self, text: str | None) -> str | None:
        return None if text is None else redact(text, self.secrets)

    # ------------------------------------------------------------------ incidents

    def open_incident(
        self,
        *,
        agent_id: str,
        agent_name: str,
        at: float,
        opened_by: str,
        trigger: str,
        verdict: Verdict,
        detected_at: float | None = None,
        dedup_key: str | None = None,
    ) -> tuple[Incident, bool]:
        """The agent's open incident, or a new one. Returns (incident, created)."""
        with self.transaction() as c:
            row = c.execute(
                "SELECT * FROM incidents WHERE agent_id = ? AND resolved_at IS NULL", (agent_id,)
            ).fetchone()
            if row is not None:
                return _incident(row), False
            cur = c.execute(
                "INSERT INTO incidents (agent_id, agent_name, opened_at, opened_by, trigger,"
                " verdict_at_open, worst_verdict, detected_at, dedup_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (agent_id, agent_name, at, opened_by, trigger, str(verdict), str(verdict),
                 detected_at, self._clean(dedup_key)),
            )
            incident_id = int(cur.lastrowid or 0)
        return self.get(incident_id), True

    def get(self, incident_id: int) -> Incident:
        row = self.conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        if row is None:
            raise KeyError(incident_id)
        return _incident(row)

    def open_agents(self) -> set[str]:
        """The agents with an open incident."""
        rows = self.conn.execute("SELECT agent_id FROM incidents WHERE resolved_at IS NULL")
        return {str(r[0]) for r in rows}

    def open_for(self, agent_id: str) -> Incident | None:
        row = self.conn.execute(
            "SELECT * FROM incidents WHERE agent_id = ? AND resolved_at IS NULL", (agent_id,)
        ).fetchone()
        return _incident(row) if row else None

    def incidents(self, *, open_only: bool = False, limit: int | None = None) -> list[Incident]:
        sql = "SELECT * FROM incidents"
        if open_only:
            sql += " WHERE resolved_at IS NULL"
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_incident(r) for r in self.conn.execute(sql)]

    def update(self, incident_id: int, **fields: Any) -> Incident:
        """Set columns of one incident (names as in `Incident`)."""
        if not fields:
            return self.get(incident_id)
        unknown = set(fields) - set(_INCIDENT_COLUMNS) - {"id"}
        if unknown:
            raise ValueError(f"unknown incident fields: {sorted(unknown)}")
        values = [
            str(v) if isinstance(v, Verdict) else self._clean(v) if isinstance(v, str) else v
            for v in fields.values()
        ]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction() as c:
            c.execute(f"UPDATE incidents SET {assignments} WHERE id = ?", (*values, incident_id))
        return self.get(incident_id)

    def set_if_unset(self, incident_id: int, column: str, value: Any) -> bool:
        """Set `column` only if it is still NULL (first alert delivered, first ack, …)."""
        if column not in _INCIDENT_COLUMNS:
            raise ValueError(column)
        v = self._clean(value) if isinstance(value, str) else value
        with self.transaction() as c:
            cur = c.execute(
                f"UPDATE incidents SET {column} = ? WHERE id = ? AND {column} IS NULL",
                (v, incident_id),
            )
        return cur.rowcount > 0

    # ------------------------------------------------------------------ timeline

    def add_event(
        self, incident_id: int, at: float, kind: str, text: str, actor: str | None = None
    ) -> int:
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO incident_timeline (incident_id, at, kind, text, actor)"
                " VALUES (?, ?, ?, ?, ?)",
                (incident_id, at, kind, self._clean(text), self._clean(actor)),
            )
        return int(cur.lastrowid or 0)

    def timeline(self, incident_id: int) -> tuple[TimelineEntry, ...]:
        rows = self.conn.execute(
            "SELECT id, at, kind, text, actor FROM incident_timeline WHERE incident_id = ?"
            " ORDER BY at, id",
            (incident_id,),
        )
        return tuple(TimelineEntry(r["id"], r["at"], r["kind"], r["text"], r["actor"]) for r in rows)

    # ------------------------------------------------------------------ steps

    def steps(self, incident_id: int) -> dict[int, StepState]:
        out = {n: StepState(n) for n in range(1, len(STEPS) + 1)}
        for r in self.conn.execute(
            "SELECT step, done_at, done_by, data FROM incident_steps WHERE incident_id = ?",
            (incident_id,),
        ):
            out[r["step"]] = StepState(r["step"], r["done_at"], r["done_by"], json.loads(r["data"]))
        return out

    def mark_step(
        self, incident_id: int, step: int, *, done: bool, at: float | None = None,
        by: str | None = None,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO incident_steps (incident_id, step, done_at, done_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(incident_id, step) DO UPDATE SET done_at = excluded.done_at,"
                " done_by = excluded.done_by",
                (incident_id, step, at if done else None, self._clean(by) if done else None),
            )

    def step_data(self, incident_id: int, step: int) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT data FROM incident_steps WHERE incident_id = ? AND step = ?",
            (incident_id, step),
        ).fetchone()
        return json.loads(row["data"]) if row else {}

    def set_step_data(self, incident_id: int, step: int, data: Mapping[str, Any]) -> None:
        text = self._clean(json.dumps(data, sort_keys=True)) or "{}"
        with self.transaction() as c:
            c.execute(
                "INSERT INTO incident_steps (incident_id, step, data) VALUES (?, ?, ?)"
                " ON CONFLICT(incident_id, step) DO UPDATE SET data = excluded.data",
                (incident_id, step, text),
            )

    # ------------------------------------------------------------------ notes, follow-ups

    def add_note(
        self, incident_id: int, at: float, author: str, text: str, step: int | None = None
    ) -> int:
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO incident_notes (incident_id, step, at, author, text)"
                " VALUES (?, ?, ?, ?, ?)",
                (incident_id, step, at, self._clean(author), self._clean(text)),
            )
        return int(cur.lastrowid or 0)

    def notes(self, incident_id: int) -> tuple[Note, ...]:
        rows = self.conn.execute(
            "SELECT id, step, at, author, text FROM incident_notes WHERE incident_id = ?"
            " ORDER BY at, id",
            (incident_id,),
        )
        return tuple(Note(r["id"], r["step"], r["at"], r["author"], r["text"]) for r in rows)

    def add_followup(self, incident_id: int, text: str, at: float) -> int:
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO incident_followups (incident_id, text, created_at) VALUES (?, ?, ?)",
                (incident_id, self._clean(text), at),
            )
        return int(cur.lastrowid or 0)

    def update_followup(
        self, followup_id: int, *, text: str | None = None, done: bool | None = None
    ) -> None:
        with self.transaction() as c:
            if text is not None:
                c.execute("UPDATE incident_followups SET text = ? WHERE id = ?",
                          (self._clean(text), followup_id))
            if done is not None:
                c.execute("UPDATE incident_followups SET done = ? WHERE id = ?",
                          (int(done), followup_id))

    def delete_followup(self, followup_id: int) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM incident_followups WHERE id = ?", (followup_id,))

    def followups(self, incident_id: int) -> tuple[FollowUp, ...]:
        rows = self.conn.execute(
            "SELECT id, text, done, created_at FROM incident_followups WHERE incident_id = ?"
            " ORDER BY id",
            (incident_id,),
        )
        return tuple(FollowUp(r["id"], r["text"], bool(r["done"]), r["created_at"]) for r in rows)

    # ------------------------------------------------------------------ impact

    def add_impact(
        self,
        incident_id: int,
        region: str,
        *,
        verdict: Verdict,
        requests: int,
        requests_failed: int,
        errors: Mapping[str, int],
    ) -> None:
        """Add one run's numbers for one region to the incident's impact."""
        with self.transaction() as c:
            row = c.execute(
                "SELECT worst_verdict, errors FROM incident_impact"
                " WHERE incident_id = ? AND region = ?",
                (incident_id, region),
            ).fetchone()
            merged: dict[str, int] = json.loads(row["errors"]) if row else {}
            for code, n in errors.items():
                merged[code] = merged.get(code, 0) + int(n)
            worst = worse(Verdict(row["worst_verdict"]), verdict) if row else verdict
            c.execute(
                "INSERT INTO incident_impact (incident_id, region, worst_verdict, runs, requests,"
                " requests_failed, errors) VALUES (?, ?, ?, 1, ?, ?, ?)"
                " ON CONFLICT(incident_id, region) DO UPDATE SET"
                " worst_verdict = excluded.worst_verdict, runs = runs + 1,"
                " requests = requests + excluded.requests,"
                " requests_failed = requests_failed + excluded.requests_failed,"
                " errors = excluded.errors",
                (incident_id, region, str(worst), requests, requests_failed,
                 json.dumps(dict(sorted(merged.items())))),
            )

    def impact(self, incident_id: int) -> tuple[RegionImpact, ...]:
        rows = self.conn.execute(
            "SELECT * FROM incident_impact WHERE incident_id = ? ORDER BY region", (incident_id,)
        )
        return tuple(
            RegionImpact(r["region"], Verdict(r["worst_verdict"]), r["runs"], r["requests"],
                         r["requests_failed"], json.loads(r["errors"]))
            for r in rows
        )

    # ------------------------------------------------------------------ whole record, cursor

    def record(self, incident_id: int) -> IncidentRecord:
        return IncidentRecord(
            incident=self.get(incident_id),
            timeline=self.timeline(incident_id),
            steps=self.steps(incident_id),
            notes=self.notes(incident_id),
            followups=self.followups(incident_id),
            impact=self.impact(incident_id),
        )

    def cursor(self, name: str) -> int | None:
        row = self.conn.execute(
            "SELECT value FROM incident_cursor WHERE name = ?", (name,)
        ).fetchone()
        return int(row["value"]) if row else None

    def set_cursor(self, name: str, value: int) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO incident_cursor (name, value) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
