"""The store's writer thread: runs are committed off the event loop, in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..model import RunResult
from .health import StoreHealth, is_store_failure
from .records import Transition
from .store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
PRUNE_CHECK_EVERY = 60.0  # seconds between looks at the shared prune clock
# Polled runs are handed to the writer thread together, at most this long after the
# first of them finished: one wake-up of the thread (and of the loop, when they are
# committed) for several runs instead of one each — at 500 agents the wake-ups cost more
# than the writes. A manual run, a pause or a flush goes at once (with what waits).
GATHER = 0.25


class _Stop:
    pass


_STOP = _Stop()


def _nothing() -> None:
    """A flush: writes nothing, so it proves nothing about the store's health."""


class StoreWriter:
    """Writes off the UI event loop: one background thread owns `store` (its connection)
    and commits queued runs in batches, one transaction per batch. A future resolves
    only after its batch is committed (synchronous=FULL), so "stored" means durable."""

    def __init__(self, store: Store, *, retention: float | None = None,
                 batch_size: int = 256, gather: float = GATHER) -> None:
        self.store = store
        self.retention = retention
        self.batch_size = batch_size
        self.gather = gather
        self._gathered: list[Any] = []  # jobs waiting for the hand-over (see GATHER)
        self._hand_over_timer: asyncio.TimerHandle | None = None
        self.health = StoreHealth(store.path)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._prune_check_at = 0.0  # monotonic time of the next look at the prune clock
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="store-writer", daemon=True)
        self._thread.start()

    async def record(
        self, result: RunResult, *, stale_after: float | None = None, gather: bool = False
    ) -> list[Transition]:
        """Store.record_run, committed on the writer thread (see there for stale_after).
        `gather`: a polled run, which may wait up to GATHER for others to go with it."""
        return await self._submit(self.store._record, result, stale_after, gather=gather)

    async def mark_unknown(self, agent_id: str, at: float) -> list[Transition]:
        return await self._submit(self.store._mark_unknown, agent_id, at)

    async def set_paused(self, agent_id: str, paused: bool, at: float) -> None:
        """Keep the agent's pause (or its resume) in the store."""
        await self._submit(self.store._set_paused, agent_id, paused, at)

    async def flush(self) -> None:
        """Wait until everything queued before this call is committed."""
        await self._submit(_nothing)

    def close(self) -> None:
        """Commit what is queued, stop the thread, close the connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._hand_over()
        self._queue.put(_STOP)
        self._thread.join()
        self.store.close()

    async def _submit(self, fn: Callable[..., T], *args: Any, gather: bool = False) -> T:
        if self._closed:
            raise RuntimeError("the store writer is closed")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._gathered.append((fn, args, loop, fut))
        if not gather or self.gather <= 0:
            self._hand_over()  # with what was gathered before it: the order is kept
        elif self._hand_over_timer is None:
            self._hand_over_timer = loop.call_later(self.gather, self._hand_over)
        return await fut

    def _hand_over(self) -> None:
        if self._hand_over_timer is not None:
            self._hand_over_timer.cancel()
            self._hand_over_timer = None
        jobs, self._gathered = self._gathered, []
        if jobs:
            self._queue.put(jobs)

    def _work(self) -> None:
        stop = False
        while not stop:
            jobs = self._queue.get()
            if jobs is _STOP:
                break
            batch = list(jobs)
            while len(batch) < self.batch_size:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch += more
            self._run_batch(batch)
            # The prune clock lives in the file (shared by every process) and moves
            # hourly: reading it once a minute, not after every batch, saves a
            # transaction per run.
            if self.retention and time.monotonic() >= self._prune_check_at:
                self._prune_check_at = time.monotonic() + PRUNE_CHECK_EVERY
                try:
                    self.store.maybe_prune(self.retention)
                except Exception as exc:
                    if is_store_failure(exc):
                        self.health.failed(exc)
                    else:
                        log.exception("pruning old runs failed")

    def _run_batch(self, batch: list[Any]) -> None:
        try:
            with self.store.transaction():
                results = [fn(*args) for fn, args, _, _ in batch]
        except Exception as exc:
            if is_store_failure(exc):
                # The disk or the file failed, not one job: every job fails alike, and
                # the failure is said once (health), not once per run.
                err = self.health.failed(exc)
                for _, _, loop, fut in batch:
                    _resolve(loop, fut, exc=err)
                return
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
        if any(fn is not _nothing for fn, _, _, _ in batch):
            self.health.ok()  # a run went in: the store works (again)
        # One wake-up of each waiting loop for the whole batch, not one per job.
        by_loop: dict[Any, list[tuple[Any, Any]]] = {}
        for (_, _, loop, fut), value in zip(batch, results, strict=True):
            by_loop.setdefault(loop, []).append((fut, value))
        for loop, done in by_loop.items():
            _resolve_all(loop, done)


def _resolve_all(loop: Any, done: list[tuple[Any, Any]]) -> None:
    def apply() -> None:
        for fut, value in done:
            if not fut.done():  # the awaiting task was cancelled
                fut.set_result(value)

    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(apply)


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
