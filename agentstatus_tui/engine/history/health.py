"""Whether the store can be written: a failing store is said once, loudly, and its
recovery once too, however many runs, reads and writes hit it in between.

A damaged file can fail some writes and take others (those that touch only its sound
pages), so failure and success may alternate within a second. Each write still counts at
once (`failure` is cleared by a write that went through: alerts go back to the outbox),
but the recovery is said only after the store has gone SETTLE seconds without failing;
a failure before then belongs to the same episode and is not said again."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

from .db import StoreError, failure_cause

log = logging.getLogger(__name__)

SETTLE = 30.0  # seconds without a failure before a failing store is said to have recovered


def is_store_failure(exc: BaseException) -> bool:
    """The file or the disk failed (full, read-only, I/O error, corrupt), as opposed to
    a bug in a statement (a constraint, a misuse), which stays a bug."""
    return isinstance(exc, StoreError | OSError) or type(exc) in (
        sqlite3.OperationalError, sqlite3.DatabaseError)


class StoreHealth:
    """Shared by the writer thread and the loop: the first failure is logged as one
    line (no traceback) and kept in `failure` until a write succeeds again."""

    def __init__(self, path: str | os.PathLike[str], *, settle: float = SETTLE) -> None:
        self.path = path
        self.settle = settle
        self._failure: StoreError | None = None
        self._failed_at: float | None = None  # the last failure of the episode being said
        self._lock = threading.Lock()

    @property
    def failure(self) -> StoreError | None:
        return self._failure

    def failed(self, exc: BaseException, *, said: bool = False) -> StoreError:
        """Record a failure; returns it as a StoreError naming the file. `said`: the
        caller told it already, in its own words (nothing is logged)."""
        err = exc if isinstance(exc, StoreError) else StoreError(self.path, failure_cause(exc))
        with self._lock:
            first = self._failed_at is None
            self._failure = err
            self._failed_at = time.monotonic()
        if first and not said:
            log.error("STORE FAILING: %s — runs are not being saved; DOWN alerts are sent "
                      "directly, without the outbox's retries", err)
        return err

    def ok(self) -> None:
        """A write went through: the store works again (said once it has kept working
        for `settle` seconds)."""
        with self._lock:
            self._failure = None
            settled = (self._failed_at is not None
                       and time.monotonic() - self._failed_at >= self.settle)
            if settled:
                self._failed_at = None
        if settled:
            log.warning("store recovered: %s is being written again", self.path)
