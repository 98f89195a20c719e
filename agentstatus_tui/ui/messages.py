"""Textual messages carrying the Monitor's events to the App (data flows one way)."""

from __future__ import annotations

from textual.message import Message

from ..engine import events


class MonitorMessage(Message):
    """Base of every engine event turned into a message; `event` is the engine's own."""

    def __init__(self, event: events.Event) -> None:
        super().__init__()
        self.event = event



class RunStarted(MonitorMessage):
    pass


class RunFinished(MonitorMessage):
    pass


class Transition(MonitorMessage):
    pass


class AgentPaused(MonitorMessage):
    pass


class AlertChanged(MonitorMessage):
    pass


class IncidentChanged(MonitorMessage):
    pass


class PagingChanged(MonitorMessage):
    pass


class ConnectionChanged(MonitorMessage):
    pass


class StoreChanged(MonitorMessage):
    pass


_BY_EVENT: dict[type, type[MonitorMessage]] = {
    events.RunStarted: RunStarted,
    events.RunFinished: RunFinished,
    events.TransitionEvent: Transition,
    events.AgentPaused: AgentPaused,
    events.AlertChanged: AlertChanged,
    events.IncidentChanged: IncidentChanged,
    events.PagingChanged: PagingChanged,
    events.ConnectionChanged: ConnectionChanged,
    events.StoreChanged: StoreChanged,
}


def to_message(event: events.Event) -> MonitorMessage | None:
    """The message for an engine event; None for an event this UI does not know yet."""
    cls = _BY_EVENT.get(type(event))
    return cls(event) if cls is not None else None
