"""Events the Monitor publishes; front ends subscribe (the TUI turns them into messages)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from .model import RunResult, Verdict


@dataclass(frozen=True)
class RunStarted:
    agent_id: str
    at: float
    manual: bool = False


@dataclass(frozen=True)
class RunFinished:
    result: RunResult


@dataclass(frozen=True)
class TransitionEvent:
    """A verdict change, overall (`region` None) or of one region."""

    agent_id: str
    region: str | None
    previous: Verdict
    current: Verdict
    at: float


@dataclass(frozen=True)
class AgentPaused:
    agent_id: str
    paused: bool


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


@dataclass(frozen=True)
class IncidentChanged:
    incident_id: int
    agent_id: str


Event = RunStarted | RunFinished | TransitionEvent | AgentPaused | AlertChanged | IncidentChanged
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
