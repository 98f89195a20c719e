"""`RemoteMonitor`: the engine's front-end interface over the daemon's HTTP API
(`/api/v1/monitor/…`) and its event feed (`/api/v1/events`), so the dashboard attached to
`agentstatus serve` is the same dashboard, drawing from the same snapshots.

It starts from the daemon's state (config, every agent's snapshot, alert health, store
health, the feed's last event id), then follows the feed from that id: each event carries
the engine's own record, which becomes the same engine event a local Monitor publishes.
When the daemon goes away it says so (`ConnectionChanged`), keeps what it last knew, and
retries with backoff; once the daemon answers again it reads the whole state afresh
(a new daemon's event ids do not continue the old one's) and says it is back. The whole
state is read again, and `ConnectionChanged(connected=True)` said, also when the feed
cannot be followed event by event (the daemon says `resync`, the ids skip) and when the
daemon reloads its config (agents and regions added or removed show at once)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx
from httpx_sse import SSEError, aconnect_sse

from ..engine import wire
from ..engine.alerts.outbox import AlertHealth, AlertRecord, AttemptRecord
from ..engine.alerts.silences import NoSuchSilence, Silence, SilenceError
from ..engine.events import (
    AgentPaused,
    AlertChanged,
    ConnectionChanged,
    EventHub,
    PagingChanged,
    RunFinished,
    RunStarted,
    StoreChanged,
    Subscriber,
    TransitionEvent,
)
from ..engine.frontend import Connection, Disconnected, FrontEndError, MonitorAPI
from ..engine.history.db import StoreError
from ..engine.history.records import Transition
from ..engine.history.uptime import Outage
from ..engine.incidents.checklist import Resolved
from ..engine.incidents.store import IncidentRecord
from ..engine.model import AgentConfig, Config, RunResult
from ..engine.paging import PagingStatus
from ..engine.probe.prober import ProbeReply
from ..engine.snapshots import AgentSnapshot
from .target import Target

log = logging.getLogger("agentstatus.client")

T = TypeVar("T")
API = "/api/v1/monitor"


@dataclass(frozen=True)
class StoreFailureWire:
    path: str
    cause: str


@dataclass(frozen=True)
class StateWire:
    config: wire.ConfigWire
    agents: tuple[wire.SnapshotWire, ...]
    alert_health: wire.AlertHealthWire | None
    store_failure: StoreFailureWire | None
    last_event_id: int


class _Resync(Exception):
    """The feed asked for the whole state to be read again."""


class _Refused(Exception):
    """The engine refused a command for a reason of its own (said to the user as the
    engine's own error)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class RemoteMonitor:
    """Build it with `await RemoteMonitor.attach(target, token=…)`: the daemon's state is
    read before the dashboard is drawn, since `config` and `agents()` are synchronous."""

    def __init__(self, target: Target, *, token: str | None = None,
                 retry: tuple[float, float] = (0.2, 5.0), timeout: float = 30.0,
                 quiet_limit: float = 45.0) -> None:
        self.target = target
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(base_url=target.base_url, transport=target.transport(),
                                       headers=headers, timeout=timeout)
        self._retry = retry  # first and longest wait between attempts, seconds
        self._quiet_limit = quiet_limit  # no byte (not even a heartbeat) for this long: gone
        self._hub = EventHub()
        self._config: Config | None = None
        self._agents_cfg: dict[str, AgentConfig] = {}
        self._snapshots: dict[str, AgentSnapshot] = {}
        self._alert_health: AlertHealth | None = None
        self._store_failure: StoreError | None = None
        self._last_id: int | None = None
        self._connected = False
        self._detail = ""
        self._task: asyncio.Task[None] | None = None
        self.resyncs = 0  # whole states read since attaching (tests and the curious)

    @classmethod
    async def attach(cls, target: Target, *, token: str | None = None,
                     **kw: Any) -> RemoteMonitor:
        """Raises `FrontEndError` (`Disconnected` when nothing answers)."""
        mon = cls(target, token=token, **kw)
        try:
            await mon._read_state()
            mon._connected = True
        except BaseException:
            await mon._http.aclose()
            raise
        return mon

    # ------------------------------------------------------------------ sync members

    @property
    def config(self) -> Config:
        if self._config is None:
            raise Disconnected("not attached yet")
        return self._config

    @property
    def store_failure(self) -> StoreError | None:
        return self._store_failure

    @property
    def connection(self) -> Connection:
        return Connection(attached=True, where=self.target.where, connected=self._connected,
                          detail=self._detail, api_base=self.target.curl_base)

    def agents(self) -> Mapping[str, AgentSnapshot]:
        return MappingProxyType(dict(self._snapshots))

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        return self._hub.subscribe(fn)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Follow the daemon's events (the daemon polls; this only listens)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._follow(),
                                                                name="attached-feed")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if not self._http.is_closed:
            await self._http.aclose()

    # ------------------------------------------------------------------ the state

    async def _read_state(self) -> None:
        state = wire.from_json(await self._send("GET", "/state", check=False), StateWire)
        # The daemon's config as it runs now (a reload adds and removes agents and
        # regions): the front end redraws every agent from it on `ConnectionChanged`.
        self._config = wire.config_from_wire(state.config)
        self._agents_cfg = {a.id: a for a in self._config.agents}
        snaps = {w.agent_id: w for w in state.agents}
        self._snapshots = {
            a.id: wire.snapshot_from_wire(snaps[a.id], a) if a.id in snaps else _unknown(a)
            for a in self._agents_cfg.values()
        }
        self._alert_health = None if state.alert_health is None else state.alert_health.health()
        f = state.store_failure
        self._store_failure = None if f is None else StoreError(f.path, f.cause)
        self._last_id = state.last_event_id
        self.resyncs += 1

    # ------------------------------------------------------------------ the feed

    async def _follow(self) -> None:
        wait = self._retry[0]
        fresh = True  # the state was read just now (attach)
        while True:
            try:
                if not fresh:
                    before = dict(self._snapshots)
                    await self._read_state()
                    self._set_connected(True, "")
                    self._announce_missed(before)
                fresh = False
                await self._stream()
                reason = "the daemon closed the event stream"
            except _Resync:
                fresh = False
                continue
            except (httpx.HTTPError, SSEError, FrontEndError, wire.WireError, OSError,
                    ValueError) as exc:
                reason = _why(exc)
            if self._connected:
                wait = self._retry[0]
            self._set_connected(False, reason)
            await asyncio.sleep(wait)
            wait = min(wait * 2, self._retry[1])

    async def _stream(self) -> None:
        headers = {"Last-Event-ID": str(self._last_id)} if self._last_id is not None else {}
        timeout = httpx.Timeout(self._http.timeout.connect, read=self._quiet_limit)
        async with aconnect_sse(self._http, "GET", "/api/v1/events", headers=headers,
                                timeout=timeout) as source:
            if source.response.status_code != 200:
                await source.response.aread()
                raise FrontEndError(_error_text(source.response))
            if not self._connected:
                self._set_connected(True, "")
            async for sse in source.aiter_sse():
                if sse.event == "resync":
                    raise _Resync()
                if sse.id:
                    seen = int(sse.id)
                    if self._last_id is not None and seen != self._last_id + 1:
                        raise _Resync()  # a gap: events were lost on the way
                    self._last_id = seen
                self._on_frame(sse.event, json.loads(sse.data) if sse.data else {})

    def _announce_missed(self, before: Mapping[str, AgentSnapshot]) -> None:
        """Verdicts that changed while the feed was away, as the transitions they were
        (the dashboard toasts a DOWN it would otherwise never hear of)."""
        for agent_id, snap in self._snapshots.items():
            old = before.get(agent_id)
            if old is not None and old.verdict is not snap.verdict:
                at = snap.since if snap.since is not None else time.time()
                self._hub.publish(TransitionEvent(agent_id, None, old.verdict, snap.verdict,
                                                  at, snap))

    def _on_frame(self, kind: str, payload: Any) -> None:
        if not isinstance(payload, dict):
            return
        if kind == "reloaded":
            raise _Resync()
        if kind == "store":
            f = payload.get("failure")
            failure = wire.from_builtins(f, StoreFailureWire) if f is not None else None
            self._store_failure = None if failure is None else StoreError(failure.path,
                                                                          failure.cause)
            self._hub.publish(StoreChanged(None if failure is None else failure.cause))
            return
        engine = payload.get("engine")
        if engine is None:
            return
        event = wire.event_from_wire(kind, engine, self._agents_cfg)
        if event is None:
            return
        if isinstance(event, RunStarted | RunFinished | TransitionEvent | AgentPaused
                      | PagingChanged):
            self._snapshots[event.agent_id] = event.snapshot
        elif isinstance(event, AlertChanged) and event.health is not None:
            self._alert_health = event.health
        self._hub.publish(event)

    def _set_connected(self, connected: bool, detail: str) -> None:
        changed = connected != self._connected or detail != self._detail
        self._connected, self._detail = connected, detail
        if connected:
            log.info("attached to %s", self.target.where)
            self._hub.publish(ConnectionChanged(True, self.target.where))
        elif changed:
            log.warning("lost the daemon at %s: %s", self.target.where, detail)
            self._hub.publish(ConnectionChanged(False, self.target.where, detail))

    # ------------------------------------------------------------------ requests

    async def _send(self, method: str, path: str, *, body: Any = None,
                    params: Mapping[str, str | int | float] | None = None,
                    wait: bool = False, check: bool = True) -> bytes:
        """One API call; `FrontEndError` with the daemon's own words when it says no,
        `Disconnected` when nothing answers (at once while the feed knows it is gone)."""
        if check and not self._connected and self._task is not None:
            raise Disconnected(self._gone(), self._detail)
        try:
            r = await self._http.request(
                method, API + path, json=body, params=params,
                timeout=httpx.Timeout(self._http.timeout.connect, read=None) if wait
                else httpx.USE_CLIENT_DEFAULT)
        except httpx.TransportError as exc:
            why = _why(exc)
            raise Disconnected(self._gone(why), why) from None
        if r.status_code >= 400:
            if _error_code(r) in ("silence", "no_silence"):
                raise _Refused(r.status_code, _error_text(r))
            raise FrontEndError(_error_text(r))
        return r.content

    def _gone(self, why: str = "") -> str:
        why = why or self._detail
        return (f"Not connected to the daemon ({self.target.where}"
                f"{': ' + why if why else ''}); retrying.")

    async def _get(self, path: str, kind: type[T], **params: str | int | float) -> T:
        return wire.from_json(await self._send("GET", path, params=params or None), kind)

    async def _post(self, path: str, kind: type[T], body: Any = None, *,
                    wait: bool = False) -> T:
        return wire.from_json(await self._send("POST", path, body=body, wait=wait), kind)

    # ------------------------------------------------------------------ agents

    async def run_now(self, agent_id: str) -> RunResult | None:
        return await self._post(f"/agents/{_q(agent_id)}/run", RunResult | None,  # type: ignore[arg-type]
                                wait=True)

    async def run_all_now(self) -> None:
        await self._send("POST", "/run-all")

    async def set_paused(self, agent_id: str, paused: bool) -> None:
        await self._send("POST", f"/agents/{_q(agent_id)}/paused", body={"paused": paused})

    async def send_probe(self, agent_id: str, region: str) -> ProbeReply:
        return await self._post(f"/agents/{_q(agent_id)}/probe", ProbeReply,
                                {"region": region}, wait=True)

    # ------------------------------------------------------------------ history

    async def transitions(self, agent_id: str, *, limit: int) -> list[Transition]:
        return await self._get(f"/agents/{_q(agent_id)}/transitions", list[Transition],
                               limit=max(1, min(limit, 1000)))

    async def outages(self, agent_id: str, since: float, until: float) -> list[Outage]:
        return await self._get(f"/agents/{_q(agent_id)}/outages", list[Outage],
                               since=max(0.0, since), until=until)

    async def uptimes(self, agent_id: str) -> Mapping[str, float | None]:
        found = await self._get(f"/agents/{_q(agent_id)}/uptimes", dict[str, float | None])
        return MappingProxyType(found)

    # ------------------------------------------------------------------ alerts

    async def alert_health(self) -> AlertHealth:
        health = wire.alert_health_from(await self._send("GET", "/alerts/health"))
        self._alert_health = health
        return health

    async def alert_log(self, limit: int) -> list[AlertRecord]:
        return await self._get("/alerts", list[AlertRecord], limit=max(1, min(limit, 1000)))

    async def alert_attempts(self, alert_id: int) -> list[AttemptRecord]:
        return await self._get(f"/alerts/{int(alert_id)}/attempts", list[AttemptRecord])

    async def alert_status(self, alert_ids: Sequence[int]) -> dict[int, str]:
        if not alert_ids:
            return {}
        found = await self._get("/alerts/status", dict[int, str],
                                ids=",".join(str(int(i)) for i in alert_ids))
        return dict(found)

    async def paging(self, agent_id: str) -> PagingStatus:
        return await self._get(f"/agents/{_q(agent_id)}/paging", PagingStatus)

    # ------------------------------------------------------------------ silences

    async def silences(self, *, include_expired: bool = False) -> list[Silence]:
        return await self._get("/silences", list[Silence],
                               include_expired="true" if include_expired else "false")

    async def add_silence(self, matcher_kind: str, matcher_value: str, ends_at: float,
                          reason: str, author: str | None) -> Silence:
        """The daemon records the caller as the author (the socket's user, the token's
        name); its refusals come back as `SilenceError`, as a local one would."""
        body = {"matcher_kind": matcher_kind, "matcher_value": matcher_value,
                "ends_at": ends_at, "reason": reason}
        try:
            return await self._post("/silences", Silence, body)
        except _Refused as exc:
            raise SilenceError(exc.message) from None

    async def expire_silence(self, silence_id: str) -> Silence:
        try:
            return await self._post(f"/silences/{_q(silence_id)}/expire", Silence)
        except _Refused as exc:
            raise (NoSuchSilence if exc.status == 404 else SilenceError)(exc.message) from None

    # ------------------------------------------------------------------ incidents

    async def open_incident(self, agent_id: str) -> IncidentRecord:
        return await self._post(f"/agents/{_q(agent_id)}/incident", IncidentRecord)

    async def current_incident(self, agent_id: str) -> IncidentRecord | None:
        return await self._get(f"/agents/{_q(agent_id)}/incident",
                               IncidentRecord | None)  # type: ignore[arg-type]

    async def incident(self, incident_id: int) -> IncidentRecord:
        return await self._get(f"/incidents/{int(incident_id)}", IncidentRecord)

    async def _act(self, incident_id: int, action: str, kind: type[T], **body: Any) -> T:
        return await self._post(f"/incidents/{int(incident_id)}/{action}", kind, body)

    async def go_to_step(self, incident_id: int, step: int) -> None:
        await self._act(incident_id, "go-to-step", type(None), step=max(1, min(step, 8)))

    async def complete_step(self, incident_id: int, step: int) -> None:
        await self._act(incident_id, "complete-step", type(None), step=step)

    async def acknowledge(self, incident_id: int, note: str | None = None) -> list[int]:
        return await self._act(incident_id, "acknowledge", list[int], note=note)

    async def post_investigating(self, incident_id: int) -> list[int]:
        return await self._act(incident_id, "post-investigating", list[int])

    async def add_note(self, incident_id: int, text: str) -> None:
        await self._act(incident_id, "note", type(None), text=text)

    async def set_change(self, incident_id: int, item: str, *, checked: bool | None = None,
                         note: str | None = None) -> None:
        await self._act(incident_id, "change", type(None), item=item, checked=checked,
                        note=note)

    async def record_probe(self, incident_id: int, region: str, summary: str) -> None:
        await self._act(incident_id, "probe", type(None), region=region, summary=summary)

    async def set_root_cause(self, incident_id: int, *, key: str | None = None,
                             text: str | None = None) -> None:
        await self._act(incident_id, "root-cause", type(None), key=key, text=text)

    async def verify_requested(self, incident_id: int) -> None:
        await self._act(incident_id, "verify-requested", type(None))

    async def add_followup(self, incident_id: int, text: str) -> None:
        await self._act(incident_id, "followup", type(None), text=text)

    async def toggle_followup(self, incident_id: int, followup_id: int) -> None:
        await self._act(incident_id, "followup-toggle", type(None), followup_id=followup_id)

    async def delete_followup(self, incident_id: int, followup_id: int) -> None:
        await self._act(incident_id, "followup-delete", type(None), followup_id=followup_id)

    async def resolve(self, incident_id: int, resolution: str) -> Resolved:
        return await self._act(incident_id, "resolve", Resolved, resolution=resolution)


def _q(agent_id: str) -> str:
    return quote(agent_id, safe="")


def _unknown(agent: AgentConfig) -> AgentSnapshot:
    from ..engine.model import Verdict

    return AgentSnapshot(agent=agent, verdict=Verdict.UNKNOWN, since=None, last=None,
                         region_verdicts=MappingProxyType({}), points=(), transitions=(),
                         uptime=MappingProxyType({}), last_failure=None, in_flight=False,
                         paused=False, next_run_at=None)


def _error_text(r: httpx.Response) -> str:
    """The daemon's `{"error": {"message"}}`, or the status line."""
    try:
        message = r.json()["error"]["message"]
        if isinstance(message, str) and message:
            return message[:300]
    except (ValueError, KeyError, TypeError):
        pass
    return f"the daemon answered HTTP {r.status_code}"


def _error_code(r: httpx.Response) -> str:
    try:
        code = r.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return ""
    return code if isinstance(code, str) else ""


def _why(exc: BaseException) -> str:
    if isinstance(exc, Disconnected) and exc.reason:
        return exc.reason
    if isinstance(exc, FrontEndError):
        return str(exc)
    if isinstance(exc, wire.WireError):
        return f"an answer this dashboard cannot read ({str(exc)[:200]})"
    if isinstance(exc, httpx.ConnectError | FileNotFoundError | ConnectionRefusedError):
        return "nothing answers"
    if isinstance(exc, httpx.ReadTimeout):
        return "no word from it"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return "the connection dropped"
    return type(exc).__name__


if TYPE_CHECKING:

    def _fills_the_front_end_interface(remote: RemoteMonitor) -> MonitorAPI:
        return remote  # mypy checks that RemoteMonitor is a MonitorAPI
