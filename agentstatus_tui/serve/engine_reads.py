"""Every read of the Monitor's parts the daemon makes, in one place: agent states, the
history store, the alert outbox, incidents. The API, the event feed and the metrics call
these and never reach into the Monitor themselves."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine.history.records import RunRecord, Transition
from ..engine.history.uptime import Outage
from ..engine.model import AgentConfig, Config, RunResult, Verdict

log = logging.getLogger("agentstatus.serve")

if TYPE_CHECKING:
    from ..engine.alerts.outbox import AlertHealth, AlertRecord, AttemptRecord
    from ..engine.incidents.checklist import Checklist
    from ..engine.incidents.store import Incident, IncidentRecord
    from ..engine.monitor import AgentState, Monitor


@dataclass(frozen=True)
class AgentView:
    """One agent as the daemon shows it, copied out of the Monitor's state."""

    agent: AgentConfig
    verdict: Verdict
    since: float | None
    last: RunResult | None
    region_verdicts: dict[str, Verdict]
    uptime: dict[str, float | None]
    paused: bool
    in_flight: bool
    next_run_at: float | None


def agents(monitor: Monitor) -> list[AgentView]:
    return [_view(st) for st in monitor.states.values()]


def agent(monitor: Monitor, agent_id: str) -> AgentView | None:
    st = monitor.states.get(agent_id)
    return None if st is None else _view(st)


def _view(st: AgentState) -> AgentView:
    return AgentView(
        agent=st.agent, verdict=Verdict(st.verdict), since=st.since, last=st.last,
        region_verdicts=dict(st.region_verdicts), uptime=dict(st.uptime),
        paused=bool(st.paused), in_flight=bool(st.in_flight), next_run_at=st.next_run_at,
    )


def config(monitor: Monitor) -> Config:
    cfg: Config = monitor.config
    return cfg


# ---------------------------------------------------------------- history


def runs(monitor: Monitor, agent_id: str, limit: int, region: str | None) -> list[RunRecord]:
    """Newest first."""
    return list(reversed(monitor.store.recent_runs(agent_id, limit, region)))


def transitions(monitor: Monitor, agent_id: str, since: float | None,
                limit: int) -> list[Transition]:
    """Overall and per-region changes, oldest first."""
    found: list[Transition] = monitor.store.transitions(agent_id, since=since, overall=False,
                                                        limit=limit)
    return found


def outages(monitor: Monitor, agent_id: str, since: float) -> list[Outage]:
    found: list[Outage] = monitor.store.outages(agent_id, since, monitor.clock())
    return found


def store_writable(monitor: Monitor) -> bool:
    """Whether the store file takes a write lock now (a full disk, a read-only mount or
    a lost file fail here)."""
    if monitor.store_failure is not None:  # the writer saw the store fail (said once)
        return False
    try:
        conn = monitor.store.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except Exception:
        log.warning("the store is not writable", exc_info=True)
        return False


# ---------------------------------------------------------------- alerts


def alert_log(monitor: Monitor, limit: int) -> list[AlertRecord]:
    return list(monitor.alerts.log(limit))


def alert_attempts(monitor: Monitor, alert_id: int) -> list[AttemptRecord]:
    return list(monitor.alerts.attempts(alert_id))


def alert_health(monitor: Monitor) -> AlertHealth:
    return monitor.alerts.health()


# ---------------------------------------------------------------- incidents


def incidents(monitor: Monitor, *, open_only: bool, limit: int) -> list[Incident]:
    return list(monitor.incidents.incidents.incidents(open_only=open_only, limit=limit))


def incident_record(monitor: Monitor, incident_id: int) -> IncidentRecord | None:
    try:
        return monitor.incidents.incidents.record(incident_id)
    except KeyError:
        return None


def checklist(monitor: Monitor, user: str) -> Checklist:
    """The incident checklist acting as `user` (the token's name or the socket's user)."""
    from ..engine.incidents.checklist import Checklist

    return Checklist(monitor.incidents, user=user)


def paused_ids(monitor: Monitor) -> set[str]:
    return {a for a, st in monitor.states.items() if st.paused}


def known_ids(monitor: Monitor) -> Iterable[str]:
    return monitor.states.keys()

