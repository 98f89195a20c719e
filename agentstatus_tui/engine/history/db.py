"""The one SQLite file every engine component keeps its tables in, and their migrations.

Each component (store, outbox, incidents) owns its tables and migrates them on its own,
tracked by name in `schema_versions`, so the parts can evolve independently while a
dashboard and a cron `check` share the same file (WAL, busy_timeout).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import platformdirs

APP_NAME = "agentstatus"
DB_FILENAME = "agentstatus.db"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """`--data-dir`, else $AGENTSTATUS_DATA_DIR, else the platformdirs user data dir."""
    raw = override or os.environ.get("AGENTSTATUS_DATA_DIR")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A connection set up for sharing between processes and surviving crashes."""
    conn = sqlite3.connect(os.fspath(path), timeout=30.0, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a run reported stored survives power loss, not only a process crash.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_versions ("
        " component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    return conn


def migrate(conn: sqlite3.Connection, component: str, migrations: Sequence[str]) -> int:
    """Apply `migrations[v:]` for `component` (each a SQL script) in one transaction each.

    Returns the resulting version. Safe to call from several processes at once.
    """
    while True:
        with transaction(conn, "migrate"):
            row = conn.execute(
                "SELECT version FROM schema_versions WHERE component = ?", (component,)
            ).fetchone()
            version = row[0] if row else 0
            if version >= len(migrations):
                return version
            for stmt in _statements(migrations[version]):
                conn.execute(stmt)
            conn.execute(
                "INSERT INTO schema_versions(component, version) VALUES (?, ?)"
                " ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                (component, version + 1),
            )


@contextmanager
def transaction(conn: sqlite3.Connection, name: str = "tx") -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, ROLLBACK on error: the write lock is taken at BEGIN, where
    busy_timeout waits for it, rather than at the first write.

    Nested use joins the open transaction through SAVEPOINT `name` (a plain identifier):
    the outer one still decides, and a failure inside rolls back only the inner part.
    """
    if conn.in_transaction:
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _statements(script: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
