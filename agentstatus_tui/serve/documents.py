"""The API's JSON bodies, built from the engine's records. Agents use the engine's
`agent_document` (the `check --json` contract) plus what only a running monitor knows;
times are ISO 8601 UTC, durations seconds, latencies milliseconds (`_ms`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from ..engine.alerts.outbox import AlertHealth
from ..engine.documents import agent_document, incident_document, ttfb_ms
from ..engine.history.records import RunRecord, Transition
from ..engine.history.uptime import Outage
from ..engine.secrets import redact
from ..engine.text import iso_utc
from .engine_reads import AgentView, Live


def iso(ts: float | None) -> str | None:
    return None if ts is None else iso_utc(ts)


def agent(view: AgentView) -> dict[str, Any]:
    """`check --json`'s agent object, with the monitor's current verdict (a paused agent
    is UNKNOWN whatever its last run said) and uptime, last run, paused, next run."""
    doc = agent_document(view.agent, view.last, view.paging)
    doc["verdict"] = view.verdict.value
    for name, verdict in view.region_verdicts.items():
        region = doc["regions"].setdefault(name, {"verdict": verdict.value})
        region["verdict"] = verdict.value
    doc["verdict_since"] = iso(view.since)
    doc["uptime"] = {w: _ratio(view.uptime.get(w)) for w in ("24h", "7d", "30d")}
    doc["last_run_at"] = iso(view.last.finished_at) if view.last is not None else None
    doc["paused"] = view.paused
    doc["running"] = view.in_flight
    doc["next_run_at"] = iso(view.next_run_at)
    return doc


def _ratio(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def run_record(r: RunRecord) -> dict[str, Any]:
    return {
        "agent_id": r.agent_id, "region": r.region, "started_at": iso(r.started_at),
        "finished_at": iso(r.finished_at), "verdict": r.verdict.value,
        "reachability": r.reachability, "eval_pass": r.eval_pass,
        "ttfb_ms": {"p50": ttfb_ms(r.ttfb_p50), "p95": ttfb_ms(r.ttfb_p95)},
        "errors": dict(r.errors), "retried": r.retried, "validations": r.validations,
        "validations_ok": r.validations_ok, "gold": r.gold, "gold_ok": r.gold_ok,
        "manual": r.manual, "discarded": r.discarded,
    }


def transition(t: Transition) -> dict[str, Any]:
    return {"id": t.id, "agent_id": t.agent_id, "region": t.region, "at": iso(t.at),
            "previous": str(t.previous), "current": str(t.current), "reason": t.reason}


def outage(o: Outage) -> dict[str, Any]:
    return {"start": iso(o.start), "end": iso(o.end), "duration_s": round(o.duration, 3),
            "unknown_s": round(o.unknown, 3), "ongoing": o.ongoing,
            "began_before": o.began_before}


def alert(rec: Any, attempts: Iterable[Any], secrets: Iterable[str]) -> dict[str, Any]:
    return {
        "id": rec.id, "at": iso(rec.at), "agent_id": rec.agent_id, "channel": rec.channel,
        "channel_type": rec.channel_type, "event": rec.event, "status": rec.status,
        "attempts": rec.attempts, "last_error": _clean(rec.last_error, secrets),
        "next_attempt_at": iso(rec.next_attempt_at), "delivered_at": iso(rec.delivered_at),
        # Pages of one group (same id) went out as one Slack message or email.
        "group": rec.group_id,
        "attempt_log": [
            {"at": iso(a.at), "result": a.result, "http_status": a.http_status,
             "error": _clean(a.error, secrets),
             "elapsed_ms": None if a.elapsed is None else round(a.elapsed * 1000)}
            for a in attempts
        ],
    }


def failing_channels(health: AlertHealth, secrets: Iterable[str]) -> list[dict[str, Any]]:
    """Channels whose latest attempt failed with alerts undelivered; `announced_at` once
    the failure was told on the other channels (failing longer than
    `alerting.channel_failing_after`)."""
    return [{"channel": f.channel, "since": iso(f.since), "failed_attempts": f.failed_attempts,
             "last_error": _clean(f.last_error, secrets),
             "announced_at": iso(f.announced_at)} for f in health.failing]


def heartbeat(health: AlertHealth, secrets: Iterable[str]) -> dict[str, Any] | None:
    """The dead man's switch's last pings, never its URL; None without one."""
    hb = health.heartbeat
    if hb is None:
        return None
    return {"failing": hb.failing, "last_try_at": iso(hb.last_try_at),
            "last_ok_at": iso(hb.last_ok_at), "failing_since": iso(hb.failing_since),
            "last_error": _clean(hb.last_error, secrets)}


def _clean(text: str | None, secrets: Iterable[str]) -> str | None:
    return None if text is None else redact(text, secrets)


def incident(record: Any, now: float, markdown: str | None = None) -> dict[str, Any]:
    """One incident with its timeline, checklist steps, notes, follow-ups and impact."""
    doc = incident_document(record.incident, now)
    doc["timeline"] = [{"at": iso(e.at), "kind": e.kind, "text": e.text, "actor": e.actor}
                       for e in record.timeline]
    doc["steps"] = [{"step": s.step, "done_at": iso(s.done_at), "done_by": s.done_by}
                    for s in sorted(record.steps.values(), key=lambda s: s.step)]
    doc["notes"] = [{"id": n.id, "step": n.step, "at": iso(n.at), "author": n.author,
                     "text": n.text} for n in record.notes]
    doc["followups"] = [{"id": f.id, "text": f.text, "done": f.done} for f in record.followups]
    doc["impact"] = [{"region": i.region, "worst_verdict": str(i.worst_verdict),
                      "runs": i.runs, "requests": i.requests,
                      "requests_failed": i.requests_failed, "errors": dict(i.errors)}
                     for i in record.impact]
    if markdown is not None:
        doc["markdown"] = markdown
    return doc


class _Cached:
    __slots__ = ("head", "tail", "tail_of", "view")

    def __init__(self, view: AgentView) -> None:
        self.view = view  # the snapshot its last event carried
        self.head: bytes | None = None  # built at the first read
        self.tail = b""
        self.tail_of: tuple[bool, float | None] | None = None  # what `tail` was built for


def _head(view: AgentView) -> bytes:
    """`agent(view)` as JSON without `running`, `next_run_at` and its closing brace."""
    doc = agent(view)
    del doc["running"], doc["next_run_at"]
    return json.dumps(doc, separators=(",", ":")).encode()[:-1]


def _tail(running: bool, next_run_at: float | None) -> bytes:
    when = b"null" if next_run_at is None else b'"%b"' % iso_utc(next_run_at).encode()
    return b',"running":%b,"next_run_at":%b}' % (b"true" if running else b"false", when)


class AgentCache:
    """Each agent's JSON for the API, from the snapshot its latest event carried (a run
    finished, a verdict change, a pause, a paging change): built at the first read after
    the event and kept, so `GET /api/v1/agents` for 500 agents mostly joins bytes, and an
    agent nobody asks about costs nothing per run. `running` and `next_run_at` move
    without an event: they are appended from `live` at the request (rebuilt only when
    they changed), and a paging status that moved without its event rebuilds the
    object."""

    def __init__(self, live: Callable[[str], Live | None]) -> None:
        self._live = live
        self._docs: dict[str, _Cached] = {}

    def invalidate(self, agent_id: str | None = None) -> None:
        if agent_id is None:
            self._docs.clear()
        else:
            self._docs.pop(agent_id, None)

    def update(self, view: AgentView) -> None:
        """The agent changed: its object is built from `view` when next read."""
        self._docs[view.agent.id] = _Cached(view)

    def _head_of(self, hit: _Cached) -> bytes:
        if hit.head is None:
            hit.head = _head(hit.view)
        return hit.head

    def json_of(self, view: AgentView) -> bytes:
        """`agent(view)` as JSON, `running` and `next_run_at` as the snapshot says (a
        finished run's event): built once for the event and the API when `view` is the
        agent's latest snapshot."""
        hit = self._docs.get(view.agent.id)
        head = self._head_of(hit) if hit is not None and hit.view is view else _head(view)
        return head + _tail(view.in_flight, view.next_run_at)

    def get(self, agent_id: str, view: Callable[[str], AgentView | None]) -> bytes | None:
        """The agent's JSON; `view(agent_id)` is asked only when no event brought it or
        its paging status moved since."""
        live = self._live(agent_id)
        if live is None:
            return None
        hit = self._docs.get(agent_id)
        if hit is None or (hit.view.paging is not live.paging
                           and hit.view.paging != live.paging):
            found = view(agent_id)
            if found is None:
                return None
            hit = self._docs[agent_id] = _Cached(found)
        head = self._head_of(hit)
        moving = (live.running, live.next_run_at)
        if hit.tail_of != moving:
            hit.tail = _tail(live.running, live.next_run_at)
            hit.tail_of = moving
        return head + hit.tail
