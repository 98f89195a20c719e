"""Events the Monitor publishes; front ends subscribe (the TUI turns them into messages)."""

from __future__ import annotations

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
