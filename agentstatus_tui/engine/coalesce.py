"""Work for many runs done once: runs that finish together (a round of `check`, the
start-up burst, a batch the store writer committed at once) share one pass of the alert
rules and the incident tracker — one write transaction on the loop instead of one each,
each of which would wait for the store writer's lock and stall every probe meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Coalesce(Generic[T]):
    """`await coalesce.add(item, changed)`: `work(items, any_changed)` runs once for every
    item added during the same turn of the event loop, and each `add` returns after it.
    `work` must not raise (it reports its own trouble)."""

    def __init__(self, work: Callable[[list[T], bool], None], *, min_gap: float = 0.0) -> None:
        self._work = work
        self._min_gap = min_gap  # passes at most this often: in a burst, more items each
        self._last = float("-inf")
        self._items: list[T] = []
        self._changed = False
        self._waiters: list[asyncio.Future[None]] = []

    async def add(self, item: T, changed: bool) -> None:
        loop = asyncio.get_running_loop()
        if not self._waiters:
            loop.call_at(max(loop.time(), self._last + self._min_gap), self._run)
        self._items.append(item)
        self._changed = self._changed or changed
        done = loop.create_future()
        self._waiters.append(done)
        await done

    def _run(self) -> None:
        items, changed, waiters = self._items, self._changed, self._waiters
        self._items, self._changed, self._waiters = [], False, []
        try:
            self._work(items, changed)
        finally:
            self._last = asyncio.get_running_loop().time()
            for done in waiters:
                if not done.done():  # its caller may have been cancelled meanwhile
                    done.set_result(None)
