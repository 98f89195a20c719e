"""The JSON documents of agents, runs and incidents: one contract shared by the CLI's
`--json` output and the daemon's API (its objects are these). Fields are added, never
renamed."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .incidents.store import Incident
from .model import AgentConfig, Config, RunResult, Stats, Verdict
from .paging import PagingStatus
from .secrets import redact
from .text import iso_utc, iso_utc_now


def ttfb_ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def agent_document(agent: AgentConfig, run: RunResult | None,
                   paging: PagingStatus | None = None) -> dict[str, Any]:
    """One agent's object: its full verdict (UP, REACHABLE, DEGRADED, DOWN, UNKNOWN),
    per-region verdicts, TTFB p50/p95, error counts, reachability and eval pass of `run`
    (its last finished run; None when none finished), and with `paging` its paging
    status (`silenced`, `maintenance`, `flapping`, `acknowledged`, `escalation_step`…)."""
    if run is None:
        doc: dict[str, Any] = {
            "id": agent.id, "name": agent.name, "verdict": Verdict.UNKNOWN.value,
            "reachability": None, "eval_pass": None, "retried": 0,
            "ttfb_ms": {"p50": None, "p95": None}, "errors": {}, "regions": {}}
    else:
        doc = {"id": agent.id, "name": agent.name, **stats_document(run.overall)}
        doc["retried"] = run.overall.retried
        doc["checked_at"] = iso_utc(run.finished_at)
        doc["regions"] = {name: stats_document(s) for name, s in run.regions.items()}
    if paging is not None:
        doc.update(paging.document())
    return doc


def check_document(config: Config, by_id: Mapping[str, RunResult],
                   paging: Mapping[str, PagingStatus] | None = None, *,
                   agents: Sequence[AgentConfig] | None = None,
                   paused: Collection[str] | None = None) -> dict[str, Any]:
    """The `check --json` document: every agent of `config` (or `agents`) with its run in
    `by_id` (and its paging status in `paging`). With `paused` (the paused agents' ids),
    each agent says whether it is `paused`, as the API's agent objects do: a paused agent
    is not probed, its verdict is UNKNOWN."""
    docs = []
    for agent in config.agents if agents is None else agents:
        doc = agent_document(agent, by_id.get(agent.id),
                             paging.get(agent.id) if paging is not None else None)
        if paused is not None:
            doc["paused"] = agent.id in paused
        docs.append(doc)
    return {"generated_at": iso_utc_now(), "agents": docs}


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


def run_document(config: Config, result: RunResult) -> dict[str, Any]:
    doc = check_document(config, {result.agent_id: result})["agents"]
    agent_doc = next(a for a in doc if a["id"] == result.agent_id)
    agent_doc["requests"] = [
        {
            "region": r.region, "kind": r.kind, "gold_index": r.gold_index, "ok": r.ok,
            "error": r.error, "status": r.status, "ttfb_ms": ttfb_ms(r.ttfb),
            "first_token_ms": ttfb_ms(r.first_token), "retried": r.retried,
            "answer": redact(r.answer or "", config.secrets) or None,
            "detail": redact(r.detail or "", config.secrets) or None,
        }
        for r in result.requests
    ]
    return {"generated_at": iso_utc_now(), "agents": [agent_doc]}


def incident_document(inc: Incident, now: float) -> dict[str, Any]:
    """One incident in `incidents --json` (a public shape: extend, never rename)."""
    def iso(ts: float | None) -> str | None:
        return None if ts is None else iso_utc(ts)

    return {
        "id": inc.id,
        "agent_id": inc.agent_id,
        "agent_name": inc.agent_name,
        "status": "open" if inc.is_open else "resolved",
        "drill": inc.is_drill,
        "trigger": inc.trigger,
        "worst_verdict": str(inc.worst_verdict),
        "started_at": iso(inc.started_at),
        "detected_at": iso(inc.detected_at),
        "alert_delivered_at": iso(inc.alert_delivered_at),
        "acknowledged_at": iso(inc.acknowledged_at),
        "acknowledged_by": inc.acknowledged_by,
        "recovered_at": iso(inc.recovered_at),
        "resolved_at": iso(inc.resolved_at),
        "resolved_by": inc.resolved_by,
        "duration_s": round(inc.duration(now)),
        "root_cause": inc.root_cause,
        "resolution": inc.resolution,
        "step": inc.current_step,
        "requests": inc.requests,
        "requests_failed": inc.requests_failed,
        "dedup_key": inc.dedup_key,
        "document": inc.document_path,
    }
