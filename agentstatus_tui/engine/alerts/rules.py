"""Which overall verdict transitions page, and the page state each agent carries between
them (so one outage pages once, however many runs or restarts it spans).

A "page" is the alerting side of an outage (one PagerDuty dedup key, from trigger to
resolve); the on-call checklist that follows it is an incident (`engine/incidents/`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from ..model import AlertRules, Verdict

AlertEvent = Literal["trigger", "acknowledge", "resolve", "notify", "remind", "test"]
Severity = Literal["critical", "warning", "info"]


@dataclass(frozen=True)
class PageState:
    """An agent's open page: what was paged, under which key, since when.

    `alerted` is None when nothing is open. It survives DOWN → UNKNOWN → DOWN (a
    dashboard restart, a pause) so that the second DOWN does not page again."""

    dedup_key: str | None = None
    alerted: Verdict | None = None  # DOWN or DEGRADED
    started_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.alerted is not None


CLOSED = PageState()


@dataclass(frozen=True)
class Decision:
    """What one transition asks of the channels."""

    event: AlertEvent
    severity: Severity
    dedup_key: str
    started_at: float
    escalation: bool = False  # a DOWN after an alerted DEGRADED, same key
    duration_s: float | None = None  # for a resolve: how long the page was open


def dedup_key_for(agent_id: str, started_at: float) -> str:
    return f"agentstatus-{agent_id}-{int(started_at)}"


def decide_alert(
    agent_id: str,
    rules: AlertRules,
    state: PageState,
    previous: Verdict,
    current: Verdict,
    at: float,
) -> tuple[Decision | None, PageState]:
    """The alert (if any) for an overall transition `previous → current` at `at`, and the
    agent's page state afterwards. Pure: the caller persists the state."""
    del previous  # any known verdict, or none at all, going DOWN pages alike
    if current is Verdict.UNKNOWN:
        # Not knowing is not a recovery, nor an outage: keep the page as it is.
        return None, state
    if current is Verdict.DOWN:
        if state.alerted is Verdict.DOWN or not rules.on_down:
            return None, state
        if state.alerted is Verdict.DEGRADED and state.dedup_key and state.started_at:
            new = replace(state, alerted=Verdict.DOWN)
            return Decision("trigger", "critical", state.dedup_key, state.started_at,
                            escalation=True), new
        key = dedup_key_for(agent_id, at)
        return Decision("trigger", "critical", key, at), PageState(key, Verdict.DOWN, at)
    if current is Verdict.DEGRADED:
        # DOWN → DEGRADED is a partial recovery: the page stays open, nothing pages again.
        if state.is_open or not rules.on_degraded:
            return None, state
        key = dedup_key_for(agent_id, at)
        return (Decision("trigger", "warning", key, at),
                PageState(key, Verdict.DEGRADED, at))
    # UP or REACHABLE
    if not state.is_open or state.dedup_key is None:
        return None, CLOSED
    if not rules.on_recovery:
        return None, CLOSED
    started = state.started_at if state.started_at is not None else at
    return Decision("resolve", "info", state.dedup_key, started,
                    duration_s=max(0.0, at - started)), CLOSED
