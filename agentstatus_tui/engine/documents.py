"""The JSON documents of agents and runs: one contract shared by `check --json` and the
daemon's API (DESIGN §9, §11). Fields are added, never renamed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import AgentConfig, Config, RunResult, Stats, Verdict
from .text import iso_utc, iso_utc_now


def ttfb_ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def agent_document(agent: AgentConfig, run: RunResult | None) -> dict[str, Any]:
    """One agent's object: its full verdict (UP, REACHABLE, DEGRADED, DOWN, UNKNOWN),
    per-region verdicts, TTFB p50/p95, error counts, reachability and eval pass of `run`
    (its last finished run; None when none finished)."""
    if run is None:
        return {"id": agent.id, "name": agent.name, "verdict": Verdict.UNKNOWN.value,
                "reachability": None, "eval_pass": None, "retried": 0,
                "ttfb_ms": {"p50": None, "p95": None}, "errors": {}, "regions": {}}
    doc = {"id": agent.id, "name": agent.name, **stats_document(run.overall)}
    doc["retried"] = run.overall.retried
    doc["checked_at"] = iso_utc(run.finished_at)
    doc["regions"] = {name: stats_document(s) for name, s in run.regions.items()}
    return doc


def check_document(config: Config, by_id: Mapping[str, RunResult]) -> dict[str, Any]:
    """The `check --json` document: every agent of `config` with its run in `by_id`."""
    agents = [agent_document(agent, by_id.get(agent.id)) for agent in config.agents]
    return {"generated_at": iso_utc_now(), "agents": agents}


def stats_document(s: Stats) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "verdict": s.verdict.value,
        "reachability": _round(s.reachability),
        "eval_pass": _round(s.eval_pass),
        "ttfb_ms": {"p50": ttfb_ms(s.ttfb_p50), "p95": ttfb_ms(s.ttfb_p95)},
        "errors": dict(s.errors),
    }
    if s.discarded:
        doc["discarded"] = True  # the region's canary failed: its results were thrown away
    return doc


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
