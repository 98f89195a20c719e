"""A Store + AlertCenter driven with an injectable clock, the way the Monitor drives them
(store a run, follow its transitions, tick), for the paging policy's tests."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from alerts_helpers import SLACK_PATH, agent, run
from receivers import HttpReceiver

from agentstatus_tui.engine.alerts.center import AlertCenter
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import AgentConfig, Config, Verdict


class Clock:
    def __init__(self, t: float | None = None) -> None:
        self.t = time.time() if t is None else t

    def __call__(self) -> float:
        return self.t


def paging_agent(channels: tuple[str, ...] = ("pagerduty", "slack"), *,
                 agent_id: str = "support-bot", name: str = "Support Bot",
                 depends_on: tuple[str, ...] = (), **rules: Any) -> AgentConfig:
    a = agent(channels, agent_id=agent_id, name=name)
    return replace(a, alerts=replace(a.alerts, **rules), depends_on=depends_on)


class Pager:
    """One process's view (a dashboard, a cron check): its own Store connection and
    AlertCenter over the shared file, on a shared clock."""

    def __init__(self, cfg: Config, path: Path, clock: Clock) -> None:
        self.cfg = cfg
        self.clock = clock
        self.store = Store(path)
        self.center = AlertCenter(cfg, self.store, clock=clock, backoff_base=0.05,
                                  backoff_cap=0.2, attempt_timeout=5.0)

    def record(self, verdict: Verdict, agent_id: str = "support-bot") -> list[int]:
        """One run of `agent_id` finished now: stored, its transitions followed, ticked."""
        result = run(agent_id, verdict, self.clock.t)
        self.store.record_run(result)
        ids = self.center.process_transitions({agent_id: result})
        return ids + self.center.tick({agent_id: result})

    async def deliver(self) -> None:
        await self.center.deliver_pending(self.clock.t + 10)

    async def step(self, verdict: Verdict, *, seconds: float = 60.0,
                   agent_id: str = "support-bot") -> list[int]:
        self.clock.t += seconds
        ids = self.record(verdict, agent_id)
        await self.deliver()
        return ids

    async def later(self, seconds: float) -> list[int]:
        """Time passes without a run; the Monitor's timer ticks."""
        self.clock.t += seconds
        ids = self.center.tick()
        await self.deliver()
        return ids

    async def close(self) -> None:
        await self.center.aclose()
        self.store.close()


def slack_texts(rx: HttpReceiver) -> list[str]:
    return [r.json["text"] for r in rx.at(SLACK_PATH)]
