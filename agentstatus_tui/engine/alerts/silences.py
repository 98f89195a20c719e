"""Silences: someone said "this agent (region, tag) is known to be broken, don't page
until then, because …". Stored in the shared SQLite file, so the dashboard, a cron
`check` and `serve` on one data dir all see the same ones.

A silence always has an end and a reason, and records who set it. Expiring one early
keeps the row (with `expired_at`) so `silence list --all` still shows what was quiet.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal, get_args

from ..config.yaml_lines import did_you_mean
from ..history import db
from ..model import Config
from ..text import iso_utc

COMPONENT = "silences"
MIGRATIONS: Sequence[str] = (
    """
    CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        matcher_kind TEXT NOT NULL,   -- agent | region | tag
        matcher_value TEXT NOT NULL,
        starts_at REAL NOT NULL,
        ends_at REAL NOT NULL,
        reason TEXT NOT NULL,
        author TEXT,
        created_at REAL NOT NULL,
        expired_at REAL               -- set when expired before its end
    );
    CREATE INDEX silences_by_end ON silences(ends_at);
    """,
)

MatcherKind = Literal["agent", "region", "tag"]
MATCHER_KINDS: tuple[MatcherKind, ...] = get_args(MatcherKind)
MAX_REASON = 500  # characters: a sentence, not a document
MAX_AUTHOR = 100


class SilenceError(ValueError):
    """A silence that cannot be added or expired, said in one line for the user."""


class NoSuchSilence(SilenceError):
    """No silence has that id."""


@dataclass(frozen=True)
class Silence:
    id: str
    matcher_kind: MatcherKind
    matcher_value: str
    starts_at: float
    ends_at: float
    reason: str
    author: str | None
    created_at: float
    expired_at: float | None = None

    @property
    def until(self) -> float:
        """When it stops quieting anything: its end, or the moment it was expired."""
        return self.ends_at if self.expired_at is None else min(self.ends_at, self.expired_at)

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.until

    def state(self, now: float) -> Literal["active", "pending", "expired"]:
        if now >= self.until:
            return "expired"
        return "active" if now >= self.starts_at else "pending"


def ensure_table(conn: sqlite3.Connection) -> None:
    """Create or migrate the silences table (safe from several processes at once)."""
    db.migrate(conn, COMPONENT, MIGRATIONS)


def _row(r: sqlite3.Row) -> Silence:
    return Silence(
        id=str(r[0]), matcher_kind=r[1], matcher_value=str(r[2]), starts_at=float(r[3]),
        ends_at=float(r[4]), reason=str(r[5]), author=None if r[6] is None else str(r[6]),
        created_at=float(r[7]), expired_at=None if r[8] is None else float(r[8]),
    )


_COLUMNS = ("id, matcher_kind, matcher_value, starts_at, ends_at, reason, author, created_at,"
            " expired_at")


def _has_table(conn: sqlite3.Connection) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'silences'"
    ).fetchone() is not None


def active_silences(conn: sqlite3.Connection, now: float) -> list[Silence]:
    """The silences in force at `now`. A file nobody ever silenced anything in has no
    table yet: nothing is silenced (reading never writes)."""
    if not _has_table(conn):
        return []
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM silences WHERE starts_at <= ? AND ends_at > ?"
        " AND (expired_at IS NULL OR expired_at > ?) ORDER BY ends_at, id",
        (now, now, now),
    ).fetchall()
    return [_row(r) for r in rows]


def not_over(conn: sqlite3.Connection, now: float) -> list[Silence]:
    """The silences in force at `now` or still to come (`Silence.active` tells which
    apply at a later moment)."""
    if not _has_table(conn):
        return []
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM silences WHERE ends_at > ?"
        " AND (expired_at IS NULL OR expired_at > ?) ORDER BY ends_at, id",
        (now, now),
    ).fetchall()
    return [_row(r) for r in rows]


def list_silences(conn: sqlite3.Connection, now: float, *,
                  include_expired: bool = False) -> list[Silence]:
    """Silences in force or still to come (with `include_expired`, every one), the
    soonest to end first."""
    if not _has_table(conn):
        return []
    if include_expired:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM silences ORDER BY created_at, id")
    else:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM silences WHERE ends_at > ?"
            " AND (expired_at IS NULL OR expired_at > ?) ORDER BY ends_at, id", (now, now))
    return [_row(r) for r in rows.fetchall()]


def get_silence(conn: sqlite3.Connection, silence_id: str) -> Silence | None:
    if not _has_table(conn):
        return None
    r = conn.execute(f"SELECT {_COLUMNS} FROM silences WHERE id = ?",
                     (silence_id,)).fetchone()
    return None if r is None else _row(r)


def add_silence(conn: sqlite3.Connection, *, matcher_kind: str, matcher_value: str,
                ends_at: float, reason: str, author: str | None, now: float,
                starts_at: float | None = None) -> Silence:
    """Store a new silence and return it. Raises SilenceError when it has no reason, no
    end in the future, or an unknown matcher kind (names are checked by the caller,
    who knows the config)."""
    if matcher_kind not in MATCHER_KINDS:
        raise SilenceError(f"a silence matches an agent, a region or a tag, not "
                           f"{matcher_kind!r}")
    if not matcher_value.strip():
        raise SilenceError(f"a {matcher_kind} silence needs the {matcher_kind}'s name")
    reason = " ".join(reason.split())
    if not reason:
        raise SilenceError("a silence needs a reason (why is it quiet?)")
    if len(reason) > MAX_REASON:
        raise SilenceError(f"the reason is too long (at most {MAX_REASON} characters)")
    author = " ".join((author or "").split())[:MAX_AUTHOR] or None
    start = now if starts_at is None else starts_at
    if ends_at <= now:
        raise SilenceError("a silence needs an end in the future")
    if ends_at <= start:
        raise SilenceError("a silence must end after it starts")
    ensure_table(conn)
    with db.transaction(conn, "silence"):
        while True:
            silence_id = secrets.token_hex(4)
            if conn.execute("SELECT 1 FROM silences WHERE id = ?",
                            (silence_id,)).fetchone() is None:
                break
        conn.execute(
            f"INSERT INTO silences({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (silence_id, matcher_kind, matcher_value, start, ends_at, reason, author, now))
    found = get_silence(conn, silence_id)
    assert found is not None
    return found


def expire_silence(conn: sqlite3.Connection, silence_id: str, now: float) -> Silence:
    """End a silence now. Raises SilenceError when there is no such silence or it has
    already ended."""
    if not _has_table(conn):
        raise NoSuchSilence(f"no silence {silence_id!r}")
    with db.transaction(conn, "silence"):
        found = get_silence(conn, silence_id)
        if found is None:
            raise NoSuchSilence(f"no silence {silence_id!r}")
        if found.until <= now:
            raise SilenceError(f"silence {silence_id} has already ended")
        conn.execute("UPDATE silences SET expired_at = ? WHERE id = ?", (now, silence_id))
    return Silence(**{**asdict(found), "expired_at": now})


# ------------------------------------------------------------------ names and documents


def local_user() -> str | None:
    """Who is at the keyboard ($AGENTSTATUS_USER, $USER, the login), the same person an
    acknowledgement names: a silence's author when set from the CLI or the dashboard."""
    from ..incidents.tracker import current_user

    user = current_user()
    return None if user == "unknown" else user


def check_matcher(config: Config, kind: str, value: str) -> None:
    """SilenceError unless `value` is an agent id, region or tag of `config`, naming the
    known ones: a typo must not silence nothing while someone thinks it is quiet."""
    known: dict[str, list[str]] = {
        "agent": [a.id for a in config.agents],
        "region": list(config.regions),
        "tag": sorted({t for a in config.agents for t in a.tags}),
    }
    if kind not in known:
        raise SilenceError(f"a silence matches an agent, a region or a tag, not {kind!r}")
    names = known[kind]
    if value not in names:
        listed = ", ".join(names) if names else "none in the config"
        plural = {"agent": "agents", "region": "regions", "tag": "tags"}[kind]
        raise SilenceError(f"unknown {kind} {value!r}{did_you_mean(value, names)} "
                           f"({plural}: {listed})")


def silence_document(s: Silence, now: float) -> dict[str, object]:
    """The JSON object of a silence (API, `silence list --json`): times in ISO 8601 UTC."""
    return {
        "id": s.id,
        "matcher": {"kind": s.matcher_kind, "value": s.matcher_value},
        "starts_at": iso_utc(s.starts_at),
        "ends_at": iso_utc(s.ends_at),
        "reason": s.reason,
        "author": s.author,
        "created_at": iso_utc(s.created_at),
        "expired_at": None if s.expired_at is None else iso_utc(s.expired_at),
        "state": s.state(now),
    }


def silence_from_document(doc: Mapping[str, object]) -> Silence:
    """A Silence back from `silence_document` (a front end reading the API)."""
    matcher = doc["matcher"]
    if not isinstance(matcher, Mapping) or matcher.get("kind") not in MATCHER_KINDS:
        raise ValueError("not a silence document: bad matcher")
    kind: MatcherKind = matcher["kind"]
    expired = doc.get("expired_at")
    author = doc.get("author")
    return Silence(
        id=str(doc["id"]), matcher_kind=kind, matcher_value=str(matcher["value"]),
        starts_at=_epoch(doc["starts_at"]), ends_at=_epoch(doc["ends_at"]),
        reason=str(doc["reason"]), author=None if author is None else str(author),
        created_at=_epoch(doc["created_at"]),
        expired_at=None if expired is None else _epoch(expired),
    )


def _epoch(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
