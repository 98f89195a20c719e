"""Every read of the engine the daemon makes, in one place. Most go through the engine's
front-end interface (`engine/frontend.py`: snapshots, outages, the alert log, incident
records); the few it does not offer yet are here too, so they are easy to find and move:
transitions of every region with `since`, runs, the incident list, a store write probe,
the outbox's health for the metrics, and the checklist acting as the API's caller (the
interface acts as the local user)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from ..engine.history.records import RunRecord, Transition
from ..engine.history.uptime import Outage
from ..engine.model import Config
from ..engine.paging import PagingStatus
from ..engine.snapshots import AgentSnapshot

log = logging.getLogger("agentstatus.serve")

if TYPE_CHECKING:
    from ..engine.alerts.outbox import AlertHealth, AlertRecord, AttemptRecord
    from ..engine.incidents.checklist import Checklist
    from ..engine.incidents.store import Incident, IncidentRecord
    from ..engine.monitor import Monitor


AgentView = AgentSnapshot  # one agent as the engine's front-end interface hands it out


class Live(NamedTuple):
    """What changes in an agent's API object without an event: the run in flight, the
    next run's time (set by the poll loop after the run's event), the paging status
    (moved by the alert center's clock)."""

    running: bool
    next_run_at: float | None
    paging: PagingStatus


def live(monitor: Monitor, agent_id: str) -> Live | None:
    """Read from the Monitor's state, not a snapshot: asked for every agent on each
    `GET /api/v1/agents`."""
    st = monitor.states.get(agent_id)
    return None if st is None else Live(st.in_flight, st.next_run_at, st.paging)


def agents(monitor: Monitor) -> list[AgentView]:
    return list(monitor.agents().values())


def agent(monitor: Monitor, agent_id: str) -> AgentView | None:
    try:
        return monitor.snapshot(agent_id)
    except KeyError:
        return None


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


async def outages(monitor: Monitor, agent_id: str, since: float) -> list[Outage]:
    return await monitor.outages(agent_id, since, monitor.clock())


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


async def alert_log(monitor: Monitor, limit: int) -> list[AlertRecord]:
    return await monitor.alert_log(limit)


async def alert_attempts(monitor: Monitor, alert_id: int) -> list[AttemptRecord]:
    return await monitor.alert_attempts(alert_id)


def alert_health(monitor: Monitor) -> AlertHealth:
    return monitor.alerts.health()


# ---------------------------------------------------------------- incidents


def incidents(monitor: Monitor, *, open_only: bool, limit: int) -> list[Incident]:
    return list(monitor.incidents.incidents.incidents(open_only=open_only, limit=limit))


async def incident_record(monitor: Monitor, incident_id: int) -> IncidentRecord | None:
    try:
        return await monitor.incident(incident_id)
    except KeyError:
        return None


def checklist(monitor: Monitor, user: str) -> Checklist:
    """The incident checklist acting as `user` (the token's name or the socket's user)."""
    from ..engine.incidents.checklist import Checklist

    return Checklist(monitor.incidents, user=user)


async def paging_follows(monitor: Monitor, incident_id: int) -> None:
    """An incident acknowledged or resolved through the API: its agent's paging status
    (ACK in every attached dashboard, the API's agent object) follows now, as it does
    when the checklist acts through the interface."""
    agent_id = monitor.incidents.incidents.get(incident_id).agent_id
    if agent_id in monitor.states:
        await monitor.paging(agent_id)


def paused_ids(monitor: Monitor) -> set[str]:
    """Read from the Monitor's states, not its snapshots: asked after every run until the
    first round is done, where 500 snapshots each time would cost."""
    return {a for a, st in monitor.states.items() if st.paused}


def known_ids(monitor: Monitor) -> Iterable[str]:
    return [a.id for a in monitor.config.agents]
