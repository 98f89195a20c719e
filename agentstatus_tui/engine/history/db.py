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


class StoreError(Exception):
    """The store cannot be opened, read or written: which file, and why, in one line
    (`store failed: PATH: CAUSE`)."""

    def __init__(self, path: str | os.PathLike[str], cause: str) -> None:
        self.path = Path(path)
        self.cause = cause
        super().__init__(f"store failed: {self.path}: {cause}")


def failure_cause(exc: BaseException) -> str:
    """A short cause for a store error: SQLite's own words ("database disk image is
    malformed", "database or disk is full"), or the system's ("Read-only file system")."""
    if isinstance(exc, StoreError):
        return exc.cause
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def store_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """SQLite and file system errors inside become one StoreError naming `path`."""
    try:
        yield
    except StoreError:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(path, failure_cause(exc)) from exc


@contextmanager
def _read_only_said(path: str | os.PathLike[str]) -> Iterator[None]:
    """SQLite says "unable to open database file" when it cannot create its file or WAL
    beside it; on a read-only file system, say that instead."""
    try:
        yield
    except sqlite3.Error as exc:
        try:
            read_only = bool(os.statvfs(Path(path).parent).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        if read_only:
            raise StoreError(path, "Read-only file system") from exc
        raise


def data_dir_path(override: str | os.PathLike[str] | None = None) -> Path:
    """Where the data dir is (`data_dir`), without making it."""
    raw = override or os.environ.get("AGENTSTATUS_DATA_DIR")
    return Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir(APP_NAME))


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """`--data-dir`, else $AGENTSTATUS_DATA_DIR, else the platformdirs user data dir."""
    path = data_dir_path(override)
    with store_errors(path):
        if path.exists() and not path.is_dir():
            raise StoreError(path, "is a file, not a directory")
        path.mkdir(parents=True, exist_ok=True)
    return path


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A connection set up for sharing between processes and surviving crashes. Raises
    StoreError when the file cannot be used (a directory, not a database, read-only, …)."""
    if Path(path).is_dir():
        raise StoreError(path, "is a directory, not a database file")
    with store_errors(path), _read_only_said(path):
        conn = sqlite3.connect(os.fspath(path), timeout=30.0, isolation_level=None,
                               check_same_thread=False)
        try:
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
        except BaseException:
            conn.close()
            raise
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
