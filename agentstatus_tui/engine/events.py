"""Events the Monitor publishes; front ends subscribe (the TUI turns them into messages).

Every event is immutable, and the ones about an agent carry its `AgentSnapshot` after the
change, so a front end draws from what the event carries and never reads engine state
back (which a remote front end could not do)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import RunResult, Verdict
from .snapshots import AgentSnapshot

if TYPE_CHECKING:  # both packages publish events: a runtime import would be circular
    from .alerts.outbox import AlertHealth
    from .incidents.store import IncidentRecord


@dataclass(frozen=True)
class RunStarted:
    agent_id: str
    at: float
    manual: bool
    snapshot: AgentSnapshot  # in flight


@dataclass(frozen=True)
class RunFinished:
    result: RunResult
    snapshot: AgentSnapshot  # the agent after the run

    @property
    def agent_id(self) -> str:
        return self.result.agent_id


@dataclass(frozen=True)
class TransitionEvent:
    """A verdict change, overall (`region` None) or of one region."""

    agent_id: str
    region: str | None
    previous: Verdict
    current: Verdict
    at: float
    snapshot: AgentSnapshot  # the agent after the change


@dataclass(frozen=True)
class AgentPaused:
    agent_id: str
    paused: bool
    snapshot: AgentSnapshot  # the agent after pausing or resuming


@dataclass(frozen=True)
class AlertChanged:
    """An outbox entry was queued, attempted, delivered or failed for good."""

    alert_id: int
    agent_id: str
    channel: str
    event: str  # trigger / acknowledge / resolve / notify / test …
    status: str  # pending / delivered / failed
    attempts: int
    last_error: str | None = None
    # Delivery health of the whole outbox after this change (the dashboard header);
    # set by the Monitor as it forwards the alert center's event.
    health: AlertHealth | None = None


@dataclass(frozen=True)
class PagingChanged:
    """An agent's paging status changed without a run (acknowledged, a silence or
    maintenance window began or ended, flapping settled, an escalation step)."""

    agent_id: str
    snapshot: AgentSnapshot  # `snapshot.paging` is the new status


@dataclass(frozen=True)
class IncidentChanged:
    incident_id: int
    agent_id: str
    record: IncidentRecord  # the incident after the change


@dataclass(frozen=True)
class ConnectionChanged:
    """A front end attached to a daemon lost it or got it back (a local Monitor never
    publishes this). While disconnected, what the front end shows is stale and commands
    fail; once connected again, every agent's snapshot has been read afresh (and the
    config: a daemon's reload adds and removes agents). Also said, connected, when the
    front end read the whole state again without losing the daemon (a resync)."""

    connected: bool
    where: str  # "api.sock", "http://bastion:8747"
    detail: str = ""  # why it is disconnected


@dataclass(frozen=True)
class StoreChanged:
    """The history store started or stopped failing (`store_failure` says how)."""

    failure: str | None


Event = (RunStarted | RunFinished | TransitionEvent | AgentPaused | AlertChanged
         | IncidentChanged | PagingChanged | ConnectionChanged | StoreChanged)
Subscriber = Callable[[Event], None]

log = logging.getLogger("agentstatus")


class EventHub:
    """The engine's one event line: the alert center, the incident tracker and the
    Monitor publish on it, front ends subscribe. Shared rather than owned by the Monitor
    so the tracker can publish without holding the Monitor."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """`fn(event)` for every event from now on; returns the unsubscribe call."""
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            if fn in self._subscribers:
                self._subscribers.remove(fn)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for fn in list(self._subscribers):
            try:
                fn(event)
            except Exception:  # a broken subscriber must not stop polling
                log.exception("event subscriber failed")
