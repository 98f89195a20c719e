"""The interface a front end (the dashboard, a future attached client) uses to read from and
command the engine: one typed contract the local Monitor fills today and an HTTP + SSE
client can fill later, without the front end changing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .events import Subscriber
from .history.db import StoreError
from .history.records import Transition
from .history.uptime import Outage
from .model import Config, RunResult
from .paging import PagingStatus
from .snapshots import AgentSnapshot

if TYPE_CHECKING:
    from .alerts.outbox import AlertHealth, AlertRecord, AttemptRecord
    from .alerts.silences import Silence
    from .incidents.checklist import Resolved
    from .incidents.store import IncidentRecord
    from .probe.prober import ProbeReply


class FrontEndError(Exception):
    """A read or command the engine could not carry out, said for a person: the daemon an
    attached dashboard talks to is gone, a token may only read, too many manual runs.
    A local Monitor does not raise it."""


class Disconnected(FrontEndError):
    """The daemon cannot be reached (the dashboard keeps retrying); `reason` in a few
    words (`nothing answers`)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Connection:
    """Where the engine a front end talks to is: `local` (in this process), or `attached`
    to a daemon at `where` (a socket's name or a URL), and whether it answers now."""

    attached: bool = False
    where: str = "local"
    connected: bool = True
    detail: str = ""  # why it is disconnected
    # How curl reaches the daemon: `http://host:8747`, or
    # `--unix-socket PATH http://localhost` (the incident's Verify step shows the curl).
    api_base: str = ""


LOCAL = Connection()


class MonitorAPI(Protocol):
    """What a front end may ask of the engine, and nothing else.

    The contract, so that a remote implementation needs no change in the front end:

    - Synchronous members are cheap and never do I/O: `config` (a local Monitor's is
      fixed for the session; an attached front end's follows its daemon's reloads, and
      `ConnectionChanged(connected=True)` follows each change, after which a front end
      redraws its agents and regions from `config` and `agents()`),
      `agents()` (every agent's latest `AgentSnapshot`; a remote client answers from the
      snapshots it keeps), `store_failure` (a remote client keeps the daemon's last word
      on it) and `subscribe`.
    - Everything that reads the store or the outbox, sends a request or changes anything is
      `async`; a front end awaits it in a worker, never while drawing.
    - State reaches the front end through events (`subscribe`): each event about an agent
      carries the agent's `AgentSnapshot` after the change, `IncidentChanged` carries the
      whole incident record and `AlertChanged` the outbox's health. A front end keeps what
      the events carry and draws from that; it never reads engine state back.
    - Commands return what they produced (a run, a probe's reply, the incident record);
      their effects also arrive as events, to every front end attached.
    - A remote implementation raises `FrontEndError` (`Disconnected` while its daemon is
      gone) from an async member it cannot carry out; a front end says so and carries on.
    - Every returned value is immutable (frozen dataclasses, tuples, read-only mappings)
      or a fresh list the caller owns.
    """

    @property
    def config(self) -> Config: ...

    @property
    def store_failure(self) -> StoreError | None:
        """Set while the history store cannot be written (runs are not saved, DOWN pages
        go out directly); None while it works. Cheap: no I/O."""
        ...

    @property
    def connection(self) -> Connection:
        """Local, or attached to a daemon (and whether it answers); changes arrive as
        `ConnectionChanged` events. Cheap: no I/O."""
        ...

    def agents(self) -> Mapping[str, AgentSnapshot]:
        """Every agent's latest snapshot, in config order."""
        ...

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """`fn(event)` for every engine event from now on; returns the unsubscribe call."""
        ...

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    # ------------------------------------------------------------------ agents

    async def run_now(self, agent_id: str) -> RunResult | None: ...

    async def run_all_now(self) -> None: ...

    async def set_paused(self, agent_id: str, paused: bool) -> None: ...

    async def send_probe(self, agent_id: str, region: str) -> ProbeReply:
        """The agent's validation request sent once from `region` (the incident's
        Reproduce); no run is stored."""
        ...

    # ------------------------------------------------------------------ history

    async def transitions(self, agent_id: str, *, limit: int) -> list[Transition]:
        """The agent's overall verdict changes, oldest first (the newest `limit`)."""
        ...

    async def outages(self, agent_id: str, since: float, until: float) -> list[Outage]:
        """The agent's DOWN stretches overlapping [since, until], oldest first."""
        ...

    async def uptimes(self, agent_id: str) -> Mapping[str, float | None]:
        """Uptime over 24h, 7d and 30d up to now."""
        ...

    # ------------------------------------------------------------------ alerts

    async def alert_health(self) -> AlertHealth: ...

    async def alert_log(self, limit: int) -> list[AlertRecord]:
        """The outbox's alerts, newest first."""
        ...

    async def alert_attempts(self, alert_id: int) -> list[AttemptRecord]: ...

    async def alert_status(self, alert_ids: Sequence[int]) -> dict[int, str]:
        """pending / delivered / failed of each alert asked about."""
        ...

    async def paging(self, agent_id: str) -> PagingStatus:
        """The agent's paging status now: silenced / maintenance (until, reason),
        flapping, acknowledged (by, at), escalation step, a held page's reason. Plain
        frozen data; `PagingStatus.document()` is its JSON (the agent object's fields)."""
        ...

    # ------------------------------------------------------------------ silences

    async def silences(self, *, include_expired: bool = False) -> list[Silence]:
        """Silences in force or still to come, the soonest to end first (with
        `include_expired`, every one ever set). JSON: `silences.silence_document`."""
        ...

    async def add_silence(self, matcher_kind: str, matcher_value: str, ends_at: float,
                          reason: str, author: str | None) -> Silence:
        """Silence an agent, region or tag (`matcher_kind`: agent | region | tag) from now
        until `ends_at` (epoch seconds). Raises `silences.SilenceError` (a ValueError,
        its message for the user) on an unknown name, no reason or no future end."""
        ...

    async def expire_silence(self, silence_id: str) -> Silence:
        """End a silence now. Raises `silences.SilenceError` when there is no such
        silence or it has already ended."""
        ...

    # ------------------------------------------------------------------ incidents

    async def open_incident(self, agent_id: str) -> IncidentRecord:
        """The agent's open incident, or a new one opened by hand (a drill when the agent
        is healthy)."""
        ...

    async def current_incident(self, agent_id: str) -> IncidentRecord | None:
        """The agent's open incident, if it has one (nothing is opened)."""
        ...

    async def incident(self, incident_id: int) -> IncidentRecord: ...

    async def go_to_step(self, incident_id: int, step: int) -> None: ...

    async def complete_step(self, incident_id: int, step: int) -> None:
        """Tick a step done (by the engineer at the keyboard)."""
        ...

    async def acknowledge(self, incident_id: int, note: str | None = None) -> list[int]:
        """Acknowledge (PagerDuty `acknowledge` when configured); returns the alert ids
        queued."""
        ...

    async def post_investigating(self, incident_id: int) -> list[int]:
        """Post "investigating" to Slack when configured; returns the alert ids queued."""
        ...

    async def add_note(self, incident_id: int, text: str) -> None: ...

    async def set_change(self, incident_id: int, item: str, *, checked: bool | None = None,
                         note: str | None = None) -> None: ...

    async def record_probe(self, incident_id: int, region: str, summary: str) -> None: ...

    async def set_root_cause(self, incident_id: int, *, key: str | None = None,
                             text: str | None = None) -> None: ...

    async def verify_requested(self, incident_id: int) -> None: ...

    async def add_followup(self, incident_id: int, text: str) -> None: ...

    async def toggle_followup(self, incident_id: int, followup_id: int) -> None: ...

    async def delete_followup(self, incident_id: int, followup_id: int) -> None: ...

    async def resolve(self, incident_id: int, resolution: str) -> Resolved:
        """Resolve: alerts sent, the incident document written (its path returned)."""
        ...
