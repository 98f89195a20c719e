"""Each engine event as its feed frame's JSON, written when a client first needs it.

A frame holds what a script reads — the event's own plain fields (ids, names, verdicts,
flags; times in ISO 8601), plus for a finished run the agent's API object and for a paging
change the paging status — and, under `engine`, the engine's record of the event, which an
attached dashboard decodes (`wire.event_from_wire`). The engine record is written once by
msgspec with every secret masked and put into the frame as it is: never decoded and
encoded again. Every part is ASCII, as `json.dumps` writes it, so a frame is one line.

Which events exist is `wire.EVENT_KINDS`: an event type added there is sent with its plain
fields without a change here; `_EXTRA` adds what a kind needs beyond them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from enum import Enum
from types import NoneType, UnionType
from typing import Any

from ..engine import wire
from ..engine.events import Event, PagingChanged, RunFinished
from ..engine.secrets import redact
from .documents import iso
from .engine_reads import AgentView

PLAIN = (str, int, float, bool)
AgentJson = Callable[[AgentView], bytes]  # an agent's API object as of the snapshot


def plain_fields(cls: type) -> tuple[str, ...]:
    """The fields of an event class a frame shows as they are: those holding a string, a
    number, a flag or a verdict (not a snapshot, a run or a record), None allowed."""
    def plain(kind: Any) -> bool:
        if type(kind) is UnionType:
            return all(a is NoneType or plain(a) for a in kind.__args__)
        return isinstance(kind, type) and issubclass(kind, PLAIN)

    found = _PLAIN.get(cls)
    if found is None:
        found = _PLAIN[cls] = tuple(name for name, kind in wire.event_fields(cls)
                                    if plain(kind))
    return found


_PLAIN: dict[type, tuple[str, ...]] = {}


def summary(event: Event, secrets: Collection[str] = ()) -> dict[str, Any]:
    """The event's plain fields; a time (`at`, `…_at`) in ISO 8601, text made safe to
    show (an error's text may quote a secret)."""
    out: dict[str, Any] = {}
    for name in plain_fields(type(event)):
        value = getattr(event, name)
        if (name == "at" or name.endswith("_at")) and isinstance(value, float | int):
            value = iso(value)
        elif isinstance(value, Enum):
            value = value.value
        elif isinstance(value, str) and secrets:
            value = redact(value, secrets)
        out[name] = value
    return out


def _run_finished(event: RunFinished, agent_json: AgentJson) -> tuple[bytes, dict[str, Any]]:
    return agent_json(event.snapshot), {"manual": event.result.manual}


def _paging(event: PagingChanged, agent_json: AgentJson) -> tuple[bytes, dict[str, Any]]:
    return b"", {"paging": event.snapshot.paging.document()}


# kind -> (the agent's object as JSON or b"", more fields), beyond the plain fields.
_EXTRA: dict[str, Callable[[Any, AgentJson], tuple[bytes, dict[str, Any]]]] = {
    "run_finished": _run_finished,
    "paging": _paging,
}


def body(kind: str, event: Event, secrets: Collection[str], agent_json: AgentJson) -> bytes:
    """The frame's JSON: `{"agent": …, <plain fields>, <extras>, "engine": …}`."""
    fields = summary(event, secrets)
    agent = b""
    extra = _EXTRA.get(kind)
    if extra is not None:
        agent, more = extra(event, agent_json)
        fields.update(more)
    parts = []
    if agent:
        parts.append(b'"agent":' + agent)
    if fields:
        parts.append(wire.to_json(fields, secrets)[1:-1])
    parts.append(b'"engine":' + wire.to_json(wire.event_wire(event), secrets))
    return b"{" + b",".join(parts) + b"}"
