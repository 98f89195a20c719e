"""What the history store hands out: runs, transitions, report rows, an agent's history."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..model import RunResult, Stats, Verdict
from .uptime import Outage, Summary


@dataclass(frozen=True)
class Transition:
    id: int
    agent_id: str
    region: str | None  # None: overall
    at: float
    previous: Verdict
    current: Verdict
    reason: str = ""  # error codes or the regions behind the change, e.g. "HTTP_503"


@dataclass(frozen=True)
class RunRecord:
    """One stored run row (overall, or one region of a run)."""

    started_at: float
    verdict: Verdict
    ttfb_p50: float | None
    ttfb_p95: float | None
    reachability: float | None
    eval_pass: float | None
    errors: Mapping[str, int]
    retried: int
    agent_id: str = ""
    region: str | None = None
    finished_at: float = 0.0
    validations: int = 0
    validations_ok: int = 0
    gold: int = 0
    gold_ok: int = 0
    manual: bool = False
    discarded: bool = False

    def stats(self) -> Stats:
        return Stats(
            verdict=self.verdict,
            validations=self.validations,
            validations_ok=self.validations_ok,
            gold=self.gold,
            gold_ok=self.gold_ok,
            ttfb_p50=self.ttfb_p50,
            ttfb_p95=self.ttfb_p95,
            errors=dict(self.errors),
            retried=self.retried,
            discarded=self.discarded,
        )


class _SummaryFields:
    summary: Summary

    @property
    def uptime(self) -> float | None:
        return self.summary.uptime

    @property
    def outages(self) -> tuple[Outage, ...]:
        return self.summary.outages

    @property
    def outage_count(self) -> int:
        return self.summary.outage_count

    @property
    def outage_total(self) -> float:
        return self.summary.outage_total

    @property
    def outage_longest(self) -> float | None:
        return self.summary.outage_longest

    @property
    def mttr(self) -> float | None:
        return self.summary.mttr

    @property
    def mtbf(self) -> float | None:
        return self.summary.mtbf


@dataclass(frozen=True)
class RegionReport(_SummaryFields):
    region: str
    verdict: Verdict
    verdict_since: float | None
    summary: Summary


@dataclass(frozen=True)
class AgentReport(_SummaryFields):
    """One agent over one window: uptime, outages, MTTR, MTBF, now; and per region."""

    agent_id: str
    verdict: Verdict  # current overall verdict
    verdict_since: float | None
    summary: Summary
    regions: Mapping[str, RegionReport] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentHistory:
    """What the dashboard needs of one agent at start-up to look as it did before."""

    agent_id: str
    verdict: Verdict  # current overall verdict (UNKNOWN after a clean stop)
    since: float | None
    region_verdicts: Mapping[str, Verdict]
    last: RunResult | None  # the last stored run rebuilt (no requests)
    sparkline: list[float | None]  # overall TTFB p50 of recent runs, oldest first
    transitions: list[Transition]  # overall, newest first
    uptime: Mapping[str, float | None]  # "24h", "7d", "30d"
    region_since: Mapping[str, float] = field(default_factory=dict)


def transition_from_row(r: sqlite3.Row) -> Transition:
    return Transition(
        id=r["id"],
        agent_id=r["agent_id"],
        region=r["region"],
        at=r["at"],
        previous=Verdict(r["previous"]),
        current=Verdict(r["current"]),
        reason=r["reason"],
    )


def run_record_from_row(r: sqlite3.Row) -> RunRecord:
    return RunRecord(
        started_at=r["started_at"],
        verdict=Verdict(r["verdict"]),
        ttfb_p50=r["ttfb_p50"],
        ttfb_p95=r["ttfb_p95"],
        reachability=r["reachability"],
        eval_pass=r["eval_pass"],
        errors=json.loads(r["errors"]) if r["errors"] else {},
        retried=r["retried"],
        agent_id=r["agent_id"],
        region=r["region"],
        finished_at=r["finished_at"],
        validations=r["validations"],
        validations_ok=r["validations_ok"],
        gold=r["gold"],
        gold_ok=r["gold_ok"],
        manual=bool(r["manual"]),
        discarded=bool(r["discarded"]),
    )
