"""Manual runs asked for through the API: each gets an id to poll (`GET /api/v1/runs/ID`),
and each agent has a token bucket so the API cannot be used to flood an agent."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..engine.documents import run_document
from ..engine.model import RunResult
from ..engine.text import iso_utc
from . import engine_reads

if TYPE_CHECKING:
    from ..engine.monitor import Monitor

KEEP_RUNS = 1000


class RunLimit:
    """Per agent: `burst` manual runs at once, then one every `every` seconds."""

    def __init__(self, burst: int = 3, every: float = 20.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.every = every
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # agent → (tokens, at)

    def take(self, agent_id: str) -> float | None:
        """None when a run may start now (and count it), else seconds to wait."""
        now = self.clock()
        tokens, at = self._buckets.get(agent_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) / self.every)
        if tokens >= 1.0:
            self._buckets[agent_id] = (tokens - 1.0, now)
            return None
        self._buckets[agent_id] = (tokens, now)
        return (1.0 - tokens) * self.every


@dataclass(eq=False)
class ManualRun:
    id: str
    agent_id: str
    asked_at: float
    task: asyncio.Task[RunResult | None]
    error: str | None = field(default=None)


class ManualRuns:
    def __init__(self) -> None:
        self._runs: OrderedDict[str, ManualRun] = OrderedDict()
        self._ids = itertools.count(1)
        self._prefix = format(int(time.time()), "x")

    def start(self, agent_id: str, monitor: Monitor) -> ManualRun:
        task = asyncio.get_running_loop().create_task(monitor.run_now(agent_id),
                                                      name=f"api-run:{agent_id}")
        run = ManualRun(f"{self._prefix}-{next(self._ids)}", agent_id, time.time(), task)
        task.add_done_callback(lambda t: self._finished(run, t))
        self._runs[run.id] = run
        while len(self._runs) > KEEP_RUNS:
            self._runs.popitem(last=False)
        return run

    @staticmethod
    def _finished(run: ManualRun, task: asyncio.Task[RunResult | None]) -> None:
        if task.cancelled():
            run.error = "cancelled (the daemon stopped or reloaded its config)"
        elif task.exception() is not None:
            run.error = "the run failed (see the daemon's log)"

    def get(self, run_id: str) -> ManualRun | None:
        return self._runs.get(run_id)

    def document(self, run: ManualRun, monitor: Monitor) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": run.id, "agent_id": run.agent_id,
                               "asked_at": iso_utc(run.asked_at)}
        if not run.task.done():
            doc["status"] = "running"
            return doc
        result = None if run.error else run.task.result()
        if result is None:
            doc["status"] = "failed"
            doc["error"] = run.error or "the run did not finish"
            return doc
        doc["status"] = "finished"
        agents = run_document(engine_reads.config(monitor), result)["agents"]
        doc["run"] = agents[0] if agents else None
        return doc
