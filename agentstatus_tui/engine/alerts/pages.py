"""An agent's page row (table `alert_pages`): the open page, and what the paging policy
keeps beside it — a page held back and why, a recovery waiting for confirmation, who
acknowledged and when, the escalation step reached, the last reminder, flapping.

Every process (dashboard, cron `check`, `serve`) reads and writes these rows inside the
same write transaction as the outbox rows they cause, so no page, reminder or escalation
is sent twice."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields, replace

from ..history import db
from ..model import Verdict
from .rules import CLOSED, PageState

COMPONENT = "paging"
MIGRATIONS = (
    """
    ALTER TABLE alert_pages ADD COLUMN held TEXT;          -- why a due page waits, or NULL
    ALTER TABLE alert_pages ADD COLUMN held_kind TEXT;     -- confirm / parent / silence / ...
    ALTER TABLE alert_pages ADD COLUMN held_verdict TEXT;  -- the verdict it would page
    ALTER TABLE alert_pages ADD COLUMN held_previous TEXT;
    ALTER TABLE alert_pages ADD COLUMN held_since REAL;    -- when the agent got there
    ALTER TABLE alert_pages ADD COLUMN recovering_since REAL;
    ALTER TABLE alert_pages ADD COLUMN acked_at REAL;
    ALTER TABLE alert_pages ADD COLUMN acked_by TEXT;
    ALTER TABLE alert_pages ADD COLUMN ack_note TEXT;
    ALTER TABLE alert_pages ADD COLUMN escalation_step INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE alert_pages ADD COLUMN reminded_at REAL;
    ALTER TABLE alert_pages ADD COLUMN flapping_since REAL;
    """,
)


@dataclass(frozen=True)
class PageRow:
    """One agent's row. `alerted` is set while a page is open (see `rules.PageState`)."""

    agent_id: str
    dedup_key: str | None = None
    alerted: Verdict | None = None
    started_at: float | None = None
    held: str | None = None
    held_kind: str | None = None
    held_verdict: Verdict | None = None
    held_previous: str | None = None
    held_since: float | None = None
    recovering_since: float | None = None
    acked_at: float | None = None
    acked_by: str | None = None
    ack_note: str | None = None
    escalation_step: int = 0  # steps paged so far (the first page is step 1)
    reminded_at: float | None = None
    flapping_since: float | None = None

    @property
    def is_open(self) -> bool:
        return self.alerted is not None

    @property
    def page(self) -> PageState:
        if self.alerted is None:
            return CLOSED
        return PageState(self.dedup_key, self.alerted, self.started_at)

    def with_page(self, state: PageState) -> PageRow:
        """The row after `rules.decide_alert` moved the page to `state`: a page opened
        anew starts without acknowledgement, escalation or reminder; a closed page keeps
        its key (a late manual resolve still targets it)."""
        if not state.is_open:
            return replace(self, alerted=None, recovering_since=None, escalation_step=0,
                           reminded_at=None)
        if state.dedup_key != self.dedup_key or not self.is_open:
            return replace(self, dedup_key=state.dedup_key, alerted=state.alerted,
                           started_at=state.started_at, acked_at=None, acked_by=None,
                           ack_note=None, escalation_step=0, reminded_at=None,
                           recovering_since=None, held=None, held_kind=None,
                           held_verdict=None, held_previous=None, held_since=None)
        return replace(self, alerted=state.alerted, started_at=state.started_at)

    def released(self) -> PageRow:
        return replace(self, held=None, held_kind=None, held_verdict=None,
                       held_previous=None, held_since=None)


_COLUMNS = tuple(f.name for f in fields(PageRow))
_VERDICTS = ("alerted", "held_verdict")


def migrate(conn: sqlite3.Connection) -> None:
    """After the outbox's own migrations (they create `alert_pages`)."""
    db.migrate(conn, COMPONENT, MIGRATIONS)


def _row(r: sqlite3.Row) -> PageRow:
    values = {name: r[name] for name in _COLUMNS}
    for name in _VERDICTS:
        values[name] = Verdict(values[name]) if values[name] else None
    values["escalation_step"] = int(values["escalation_step"] or 0)
    return PageRow(**values)


def read(conn: sqlite3.Connection, agent_id: str) -> PageRow:
    r = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM alert_pages WHERE agent_id = ?",
                     (agent_id,)).fetchone()
    return PageRow(agent_id) if r is None else _row(r)


def read_all(conn: sqlite3.Connection) -> dict[str, PageRow]:
    rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM alert_pages")
    return {r["agent_id"]: _row(r) for r in rows}


def pending(row: PageRow) -> bool:
    """Something that time or a run may move: a held page, a recovery to confirm,
    flapping, or an open page nobody acknowledged (reminders, escalation)."""
    return (row.held is not None or row.recovering_since is not None
            or row.flapping_since is not None or (row.is_open and row.acked_at is None))


def read_pending(conn: sqlite3.Connection) -> dict[str, PageRow]:
    """The rows that are `pending`, read by one query."""
    rows = conn.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM alert_pages WHERE held IS NOT NULL"
        " OR recovering_since IS NOT NULL OR flapping_since IS NOT NULL"
        " OR (alerted IS NOT NULL AND acked_at IS NULL)")
    return {r["agent_id"]: _row(r) for r in rows}


def write(conn: sqlite3.Connection, row: PageRow, now: float) -> None:
    values = [getattr(row, name) for name in _COLUMNS]
    values = [str(v) if isinstance(v, Verdict) else v for v in values]
    names = ", ".join(_COLUMNS)
    marks = ", ".join("?" * len(_COLUMNS))
    updates = ", ".join(f"{n} = excluded.{n}" for n in _COLUMNS[1:])
    conn.execute(
        f"INSERT INTO alert_pages({names}, updated_at) VALUES ({marks}, ?)"
        f" ON CONFLICT(agent_id) DO UPDATE SET {updates}, updated_at = excluded.updated_at",
        (*values, now))
