"""`check` when the store cannot even be opened (a read-only data dir, a damaged file or
something else where the database should be, a disk full before the check starts, a data
dir that is a file): every agent is still probed, its verdict printed, and a DOWN paged.

A broken disk must never silence a 24/7 pager. The Monitor runs over an empty store kept
in memory (nothing in it outlives the check) and a writer that refuses every write with
the open's failure, so each verdict change goes out the way it does when the store cannot
be written: paged directly, remembered in the page ledger outside the data dir. The ledger
is the check's only memory: its verdicts decide what changed (with none yet, a DOWN is
new and pages, an UP pages nothing), and it is folded back into the store by the first
check that opens it again. Pauses and silences live in the store: none can be read, so
every agent is probed and paged (the safe side)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.history import db
from ..engine.history.db import StoreError
from ..engine.history.health import StoreHealth
from ..engine.history.records import Transition
from ..engine.history.store import Store
from ..engine.history.writer import StoreWriter
from ..engine.model import Config, RunResult

if TYPE_CHECKING:
    from ..engine.monitor import Monitor

IN_MEMORY = ":memory:"


@dataclass(frozen=True)
class Unopened:
    """The store that could not be opened: its database file (where it would be: the
    page ledger is keyed by it) and why, as one StoreError naming the file or data dir."""

    db_path: Path
    failure: StoreError

    def line(self) -> str:
        """The one line on stderr: which file, why, and what the check does about it."""
        return (f"agentstatus: {self.failure} — checking without it: every agent is "
                "probed (pauses and silences cannot be read), and DOWN pages are sent "
                "directly and remembered outside the data dir until the store opens again")


def unopened(config: Config, data_dir: str | None, exc: BaseException) -> Unopened:
    """The failure of `Monitor.open(config, data_dir=…)` in the words of a STORE FAILING
    line: `store failed: FILE: cannot be opened: CAUSE`."""
    path = db.data_dir_path(data_dir or config.data_dir) / db.DB_FILENAME
    where = exc.path if isinstance(exc, StoreError) else path
    cause = db.failure_cause(exc)
    if "full" not in cause and _disk_full(path.parent):
        # SQLite says "disk I/O error" when it cannot make its shared-memory file.
        cause += ": the disk is full"
    return Unopened(path, StoreError(where, f"cannot be opened: {cause}"))


def _disk_full(where: Path) -> bool:
    try:
        return os.statvfs(where).f_bfree == 0
    except (OSError, AttributeError):  # not there, or no statvfs on this system
        return False


class UnopenedStoreWriter(StoreWriter):
    """The writer of a store that could not be opened: every write fails with the open's
    failure, which the store's health holds from the start (already said, by
    `Unopened.line`)."""

    def __init__(self, failure: StoreError) -> None:
        super().__init__(Store(IN_MEMORY))
        self.failure = failure
        self.health = StoreHealth(failure.path)
        self.health.failed(failure, said=True)

    def _refused(self) -> StoreError:
        return self.health.failed(self.failure)

    async def record(self, result: RunResult, *, stale_after: float | None = None,
                     gather: bool = False) -> list[Transition]:
        raise self._refused()

    async def mark_unknown(self, agent_id: str, at: float) -> list[Transition]:
        raise self._refused()

    async def set_paused(self, agent_id: str, paused: bool, at: float) -> None:
        raise self._refused()

    async def flush(self) -> None:
        return None  # nothing was queued


def monitor_without_store(config: Config, failure: StoreError, *,
                          clock: Callable[[], float] = time.time) -> Monitor:
    """A Monitor as `Monitor.open` wires it, over an empty store in memory (what the alert
    rules, incidents and the heartbeat read: nothing paged, silenced or paused) and the
    refusing writer above."""
    from ..engine.alerts.center import AlertCenter
    from ..engine.events import EventHub
    from ..engine.incidents.tracker import IncidentTracker
    from ..engine.monitor import Monitor

    store = Store(IN_MEMORY)
    hub = EventHub()
    alerts = AlertCenter(config, store, clock=clock)
    incidents = IncidentTracker(config, store, alerts=alerts, clock=clock,
                                publish=hub.publish)
    return Monitor(config, store=store, writer=UnopenedStoreWriter(failure), alerts=alerts,
                   incidents=incidents, hub=hub, clock=clock)
