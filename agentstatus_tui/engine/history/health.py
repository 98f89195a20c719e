"""Whether the store can be written: a failing store is said once, loudly, and its
recovery once too, however many runs, reads and writes hit it in between."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

from .db import StoreError, failure_cause

log = logging.getLogger(__name__)


def is_store_failure(exc: BaseException) -> bool:
    """The file or the disk failed (full, read-only, I/O error, corrupt), as opposed to
    a bug in a statement (a constraint, a misuse), which stays a bug."""
    return isinstance(exc, StoreError | OSError) or type(exc) in (
        sqlite3.OperationalError, sqlite3.DatabaseError)


class StoreHealth:
    """Shared by the writer thread and the loop: the first failure is logged as one
    line (no traceback) and kept in `failure` until a write succeeds again."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self._failure: StoreError | None = None
        self._lock = threading.Lock()

    @property
    def failure(self) -> StoreError | None:
        return self._failure

    def failed(self, exc: BaseException, *, said: bool = False) -> StoreError:
        """Record a failure; returns it as a StoreError naming the file. `said`: the
        caller told it already, in its own words (nothing is logged)."""
        err = exc if isinstance(exc, StoreError) else StoreError(self.path, failure_cause(exc))
        with self._lock:
            first = self._failure is None
            self._failure = err
        if first and not said:
            log.error("STORE FAILING: %s — runs are not being saved; DOWN alerts are sent "
                      "directly, without the outbox's retries", err)
        return err

    def ok(self) -> None:
        """A write went through: the store works again."""
        with self._lock:
            was, self._failure = self._failure, None
        if was is not None:
            log.warning("store recovered: %s is being written again", self.path)
