"""The engine's records as JSON, for the daemon and a dashboard attached to it.

The daemon sends what the front-end interface (`frontend.py`) hands out — agent
snapshots, transitions, outages, alert records, incident records, probe replies — with
the engine's own field names, and an attached dashboard decodes them back into the same
frozen dataclasses, so the dashboard cannot tell a remote engine from a local one.

What leaves the daemon is safe to show: every `${VAR}` value is masked in the whole
document, and the config a dashboard gets keeps headers, URLs and proxies as written
(`${VAR}` kept), channels as their name and type only, and no API token.
"""

from __future__ import annotations

import functools
import json
import operator
import re
from collections.abc import Collection, Mapping
from dataclasses import MISSING, dataclass, field, fields, make_dataclass, replace
from pathlib import PurePath
from types import MappingProxyType, UnionType
from typing import Any, TypeVar, get_args, get_type_hints

import msgspec

from .alerts.outbox import AlertHealth, ChannelFailure
from .events import (
    AgentPaused,
    AlertChanged,
    Event,
    IncidentChanged,
    PagingChanged,
    RunFinished,
    RunStarted,
    TransitionEvent,
)
from .heartbeat import HeartbeatHealth
from .history.records import Transition
from .incidents.store import IncidentRecord
from .model import (
    AgentConfig,
    AlertRules,
    Channel,
    Config,
    EmailChannel,
    Expectation,
    GoldPrompt,
    PagerDutyChannel,
    Region,
    RequestResult,
    Runbook,
    RunResult,
    SlackChannel,
    StatuspageChannel,
    Thresholds,
    Verdict,
    WebhookChannel,
)
from .paging import QUIET, PagingStatus
from .secrets import MASK, redact
from .snapshots import AgentSnapshot

T = TypeVar("T")


class WireError(Exception):
    """A document that does not hold what it should (another version, a proxy's page)."""


def _enc(obj: Any) -> Any:
    if isinstance(obj, MappingProxyType):
        return dict(obj)
    if isinstance(obj, re.Pattern):
        return obj.pattern
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, frozenset | set):
        return sorted(obj)
    raise NotImplementedError(f"cannot send {type(obj).__name__}")


def _dec(kind: type, obj: Any) -> Any:
    if isinstance(kind, type) and issubclass(kind, PurePath):
        return kind(obj)
    raise NotImplementedError(f"cannot read {kind}")


_ENCODER = msgspec.json.Encoder(enc_hook=_enc)
# What msgspec leaves raw in a JSON string and a reader may not take raw: DEL and every
# non-ASCII character (U+2028, U+0085 end a line for a line-oriented reader such as an
# event stream's; C1 controls and bidi overrides would be escaped by the masking in a form
# JSON does not allow).
_NOT_ASCII = re.compile(r"[^\x00-\x7e]+")


def _escaped(match: re.Match[str]) -> str:
    return json.dumps(match.group())[1:-1]  # \u escapes, as `json.dumps` writes them


def _ascii(text: str) -> str:
    return _NOT_ASCII.sub(_escaped, text)


def to_json(obj: Any, secrets: Collection[str] = ()) -> bytes:
    """`obj` (engine records, mappings and lists of them) as JSON with every secret masked
    in every form it may take inside the text. ASCII only, as `json.dumps` writes it: safe
    on one line of an event stream, and the masking sees only characters it leaves alone
    (a secret's escaped form is one of the forms it masks)."""
    raw = _ENCODER.encode(obj)
    if raw.isascii() and b"\x7f" not in raw:
        if not secrets:
            return raw
        text = raw.decode()
    else:
        text = _ascii(raw.decode())
    if secrets:
        text = redact(text, secrets)
        if not text.isascii():  # the mask
            text = _ascii(text)
    return text.encode()


def to_builtins(obj: Any, secrets: Collection[str] = ()) -> Any:
    """The same, as plain dicts and lists (to sit inside a larger JSON document)."""
    return msgspec.json.decode(to_json(obj, secrets))


def from_json(data: bytes | str, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(data, type=kind, dec_hook=_dec)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise WireError(str(exc)) from None


def from_builtins(obj: Any, kind: type[T]) -> T:
    try:
        return msgspec.convert(obj, kind, dec_hook=_dec, strict=False)
    except msgspec.ValidationError as exc:
        raise WireError(str(exc)) from None


# ---------------------------------------------------------------- snapshots


@dataclass(frozen=True)
class SnapshotWire:
    """An `AgentSnapshot` without its agent's config (sent once, in the state)."""

    agent_id: str
    verdict: Verdict
    since: float | None
    last: RunResult | None
    region_verdicts: dict[str, Verdict]
    points: tuple[float | None, ...]
    transitions: tuple[Transition, ...]
    uptime: dict[str, float | None]
    last_failure: RequestResult | None
    in_flight: bool
    paused: bool
    next_run_at: float | None
    paging: PagingStatus = QUIET


_SNAPSHOT_FIELDS = tuple(f.name for f in fields(AgentSnapshot) if f.name != "agent")


def snapshot_wire(snap: AgentSnapshot) -> SnapshotWire:
    values = {name: getattr(snap, name) for name in _SNAPSHOT_FIELDS}
    values["region_verdicts"] = dict(snap.region_verdicts)
    values["uptime"] = dict(snap.uptime)
    return SnapshotWire(agent_id=snap.agent_id, **values)


def snapshot_from_wire(wire: SnapshotWire, agent: AgentConfig) -> AgentSnapshot:
    values = {name: getattr(wire, name) for name in _SNAPSHOT_FIELDS}
    values["region_verdicts"] = MappingProxyType(dict(wire.region_verdicts))
    values["uptime"] = MappingProxyType(dict(wire.uptime))
    return AgentSnapshot(agent=agent, **values)


# ---------------------------------------------------------------- the config a dashboard sees


@dataclass(frozen=True)
class ExpectationWire:
    kind: str
    value: str | float | bool


@dataclass(frozen=True)
class GoldPromptWire:
    prompt: str
    expect: tuple[ExpectationWire, ...]
    name: str = ""


@dataclass(frozen=True)
class AgentWire:
    id: str
    name: str
    url: str  # as written: a `${VAR}` in it stays
    header_templates: dict[str, str]
    model: str | None
    stream: bool
    regions: tuple[str, ...]
    interval: float
    recheck: float
    timeout: float
    validations: int
    retries: int
    ttfb_sla: float
    max_tokens: int
    probe_messages: tuple[dict[str, str], ...]
    gold_prompts: tuple[GoldPromptWire, ...]
    alerts: AlertRules
    runbook: Runbook
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionWire:
    name: str
    proxy: str | None  # as written
    canary: str | None


@dataclass(frozen=True)
class ConfigWire:
    """What a dashboard needs of the daemon's config: nothing that is a secret."""

    agents: tuple[AgentWire, ...]
    regions: tuple[RegionWire, ...]
    channels: dict[str, str]  # name -> type
    thresholds: Thresholds
    theme: str | None
    bell: bool
    keymap: dict[str, str]


def config_wire(config: Config) -> ConfigWire:
    agents = tuple(
        AgentWire(
            id=a.id, name=a.name, url=a.url_template or a.url,
            header_templates=dict(a.header_templates), model=a.model, stream=a.stream,
            regions=a.regions, interval=a.interval, recheck=a.recheck, timeout=a.timeout,
            validations=a.validations, retries=a.retries, ttfb_sla=a.ttfb_sla,
            max_tokens=a.max_tokens, probe_messages=tuple(dict(m) for m in a.probe_messages),
            gold_prompts=tuple(
                GoldPromptWire(g.prompt, tuple(ExpectationWire(e.kind, _expect_value(e.value))
                                               for e in g.expect), g.name)
                for g in a.gold_prompts),
            alerts=a.alerts, runbook=a.runbook, depends_on=a.depends_on)
        for a in config.agents)
    regions = tuple(RegionWire(r.name, r.proxy_template or r.proxy, r.canary)
                    for r in config.regions.values())
    return ConfigWire(agents=agents, regions=regions,
                      channels={name: ch.type for name, ch in config.channels.items()},
                      thresholds=config.thresholds, theme=config.theme, bell=config.bell,
                      keymap=dict(config.keymap))


def _expect_value(value: Any) -> str | float | bool:
    if isinstance(value, re.Pattern):
        return str(value.pattern)
    if isinstance(value, str | float | bool | int):
        return value
    return str(value)


def _channel(name: str, kind: str) -> Channel:
    """A stand-in of a channel of `kind`: its name and type say what the dashboard shows;
    its address and keys stay with the daemon."""
    hidden = MASK
    if kind == "email":
        return EmailChannel(name, to=(), from_addr=hidden, host=hidden)
    if kind == "pagerduty":
        return PagerDutyChannel(name, routing_key=hidden)
    if kind == "slack":
        return SlackChannel(name, url=hidden)
    if kind == "statuspage":
        return StatuspageChannel(name, api_key=hidden, page_id=hidden)
    return replace(WebhookChannel(name, url=hidden), type=kind)  # type: ignore[arg-type]


def config_from_wire(wire: ConfigWire) -> Config:
    """A `Config` for a dashboard attached to a daemon: enough to draw every screen and
    write every curl (secrets as `${VAR}`); nothing in it can reach an agent or a channel
    by itself, since headers and keys are not there."""
    agents = tuple(
        AgentConfig(
            id=a.id, name=a.name, url=a.url, url_template=a.url,
            header_templates=MappingProxyType(dict(a.header_templates)), model=a.model,
            stream=a.stream, regions=a.regions, interval=a.interval, recheck=a.recheck,
            timeout=a.timeout, validations=a.validations, retries=a.retries,
            ttfb_sla=a.ttfb_sla, max_tokens=a.max_tokens,
            probe_messages=tuple(MappingProxyType(dict(m)) for m in a.probe_messages),
            gold_prompts=tuple(GoldPrompt(g.prompt, tuple(_expectation(e) for e in g.expect),
                                          g.name) for g in a.gold_prompts),
            alerts=a.alerts, runbook=a.runbook, depends_on=a.depends_on)
        for a in wire.agents)
    regions = {r.name: Region(r.name, proxy=r.proxy, canary=r.canary, proxy_template=r.proxy)
               for r in wire.regions}
    return Config(agents=agents, regions=MappingProxyType(regions),
                  channels=MappingProxyType({n: _channel(n, t) for n, t in wire.channels.items()}),
                  thresholds=wire.thresholds, theme=wire.theme, bell=wire.bell,
                  keymap=MappingProxyType(dict(wire.keymap)))


def _expectation(e: ExpectationWire) -> Expectation:
    return Expectation(e.kind, e.value)  # type: ignore[arg-type]


# ---------------------------------------------------------------- alert health


@dataclass(frozen=True)
class AlertHealthWire:
    """`AlertHealth` as sent (its own module names the heartbeat's type for the type
    checker only, so it cannot be read back directly)."""

    pending: int
    failed: int
    last_error: str | None
    failing: tuple[ChannelFailure, ...] = ()
    heartbeat: HeartbeatHealth | None = None

    def health(self) -> AlertHealth:
        return AlertHealth(self.pending, self.failed, self.last_error, self.failing,
                           heartbeat=self.heartbeat)


def alert_health_from(data: bytes | str) -> AlertHealth:
    return from_json(data, AlertHealthWire).health()


# ---------------------------------------------------------------- events

# Every engine event a daemon sends, by the name its feed frame carries: adding an event
# type is one line here (the daemon's feed and an attached dashboard follow).
EVENT_KINDS: Mapping[str, type[Event]] = MappingProxyType({
    "run_started": RunStarted,
    "run_finished": RunFinished,
    "transition": TransitionEvent,
    "paused": AgentPaused,
    "paging": PagingChanged,
    "alert": AlertChanged,
    "incident": IncidentChanged,
})
_KIND_OF: Mapping[type, str] = {cls: kind for kind, cls in EVENT_KINDS.items()}
# How an event's records travel: a snapshot without its agent's config, the outbox health
# as its wire twin; a run that is the snapshot's last run is sent once, in the snapshot.
_AS_SENT: Mapping[Any, Any] = {AgentSnapshot: SnapshotWire, AlertHealth: AlertHealthWire,
                               RunResult: RunResult | None}


def kind_of(event: Event) -> str | None:
    """The feed's name for `event`; None for an event a daemon does not send."""
    return _KIND_OF.get(type(event))


def event_fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """An event class's fields and their types (the events module names some types for
    the type checker only)."""
    hints = get_type_hints(cls, localns={"AlertHealth": AlertHealth,
                                         "IncidentRecord": IncidentRecord})
    return tuple((f.name, hints[f.name]) for f in fields(cls))


def _as_sent(kind: Any) -> Any:
    if kind in _AS_SENT:
        return _AS_SENT[kind]
    args = get_args(kind)
    if type(kind) is UnionType and any(a in _AS_SENT for a in args):
        return functools.reduce(operator.or_, (_AS_SENT.get(a, a) for a in args))
    return kind


def _wire_class(cls: type) -> type:
    """`cls` as sent: the same fields, records as `_AS_SENT` says."""
    defaults = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
    return make_dataclass(
        f"{cls.__name__}Wire",
        [(name, _as_sent(kind), field(default=defaults[name])) if name in defaults
         else (name, _as_sent(kind)) for name, kind in event_fields(cls)],
        frozen=True)


_WIRE: Mapping[type, type] = {cls: _wire_class(cls) for cls in EVENT_KINDS.values()}
# Fields holding a run that is sent as None when it is the snapshot's last run.
_LAST_RUN: Mapping[type, tuple[str, ...]] = {
    cls: tuple(name for name, kind in event_fields(cls) if kind is RunResult)
    for cls in EVENT_KINDS.values()}


def event_wire(event: Event) -> dict[str, Any]:
    """An engine event's fields, its snapshot without the agent's config (the receiver
    has it), ready for `to_json`."""
    out: dict[str, Any] = {f.name: getattr(event, f.name) for f in fields(event)}
    snap = out.get("snapshot")
    if isinstance(snap, AgentSnapshot):
        out["snapshot"] = snapshot_wire(snap)
        for name in _LAST_RUN.get(type(event), ()):
            run = out[name]
            if run is snap.last or run == snap.last:
                out[name] = None  # the snapshot's last run: sent once
    return out


def event_from_wire(kind: str, data: Any, agents: Mapping[str, AgentConfig]) -> Event | None:
    """The engine event a daemon's feed frame of `kind` carried (its `engine` object);
    None for a kind this version does not know, or an agent not in `agents`."""
    cls = EVENT_KINDS.get(kind)
    if cls is None:
        return None
    sent: Any = from_builtins(data, _WIRE[cls])
    values: dict[str, Any] = {}
    snapshot: AgentSnapshot | None = None
    for f in fields(sent):
        value = getattr(sent, f.name)
        if isinstance(value, SnapshotWire):
            agent = agents.get(value.agent_id)
            if agent is None:
                return None
            value = snapshot = snapshot_from_wire(value, agent)
        elif isinstance(value, AlertHealthWire):
            value = value.health()
        values[f.name] = value
    for name in _LAST_RUN[cls]:
        if values[name] is None:
            values[name] = snapshot.last if snapshot is not None else None
            if values[name] is None:
                return None
    event: Event = cls(**values)
    return event
