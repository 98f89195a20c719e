"""Immutable pictures of one agent as a front end shows it, taken by the Monitor after each
change and carried by its events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .history.records import Transition
from .model import AgentConfig, RequestResult, RunResult, Verdict
from .paging import QUIET, PagingStatus


@dataclass(frozen=True)
class AgentSnapshot:
    """One agent at one moment: safe to keep, share between threads or send over a wire
    (every field is immutable; mappings are read-only views of copies)."""

    agent: AgentConfig
    verdict: Verdict
    since: float | None  # when the current verdict began
    last: RunResult | None  # the last finished run
    region_verdicts: Mapping[str, Verdict]
    points: tuple[float | None, ...]  # median TTFB of recent runs, oldest first
    transitions: tuple[Transition, ...]  # overall verdict changes, newest first
    uptime: Mapping[str, float | None]  # "24h", "7d", "30d"
    last_failure: RequestResult | None
    in_flight: bool
    paused: bool
    next_run_at: float | None
    # Silenced, maintenance, flapping, acknowledged, escalation: as of the last run or
    # paging tick (the alert center's own read is `MonitorAPI.paging`).
    paging: PagingStatus = QUIET

    @property
    def agent_id(self) -> str:
        return self.agent.id
