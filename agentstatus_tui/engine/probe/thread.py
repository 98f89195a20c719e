"""A thread with an event loop of its own where the probes run, away from the screen.

TTFB is stamped when the probe's coroutine sees the first byte. On the dashboard's loop,
a frame being drawn or a screen being built delays that moment and the agent is blamed
for it. On a loop of its own the probe waits at most for the interpreter's thread switch
(a test blocks the front end's loop for 0.6 s: 0.2 s measured here, ≥ 0.6 s inline).
It cannot escape the GIL: under a burst (150 agents at start-up) the slowest agents read
281–307 ms here against 322–350 ms inline for a 200 ms agent, so the dashboard also starts
polling only after its first frame (450–575 ms when both overlapped).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from ..event_loop import loop_factory

T = TypeVar("T")


class ProbeThread:
    """`await thread.run(coro)` runs `coro` on the probe loop and hands back its result
    (or exception) on the caller's loop. Everything the probes own (HTTP clients, the
    in-flight limit) must be created and used on that loop only."""

    def __init__(self, name: str = "probes") -> None:
        self.loop = loop_factory()()  # the same kind of loop as the front end's
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()
        self._stopped = False

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._stopped:
            coro.close()
            raise RuntimeError("the probe thread is stopped")
        fut: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return await asyncio.wrap_future(fut)
        except asyncio.CancelledError:
            fut.cancel()  # the caller gave up: stop the probe too
            raise

    def stop(self, cleanup: Callable[[], Awaitable[None]] | None = None,
             timeout: float = 10.0) -> None:
        """Cancel what still runs, await `cleanup()` (closing clients) on the probe loop,
        then end the thread. Idempotent; blocking, so call it off the probe loop."""
        if self._stopped:
            return
        self._stopped = True

        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(BaseException):
                    await t
            if cleanup is not None:
                with contextlib.suppress(Exception):
                    await cleanup()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()
