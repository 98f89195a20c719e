"""The Monitor: polls every agent on its schedule, stores runs, fires alerts, tracks
incidents and publishes events. Every front end (TUI, `check`, a future service) drives
this one object; none of them polls or alerts on its own. It is the local implementation
of the front-end interface (`frontend.MonitorAPI`)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import time
import zlib
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from .coalesce import Coalesce
from .events import (
    AgentPaused,
    AlertChanged,
    Event,
    EventHub,
    PagingChanged,
    RunFinished,
    RunStarted,
    Subscriber,
    TransitionEvent,
)
from .frontend import LOCAL, Connection
from .history.db import StoreError
from .history.health import is_store_failure
from .history.queries import uptimes_at
from .history.records import Transition
from .history.uptime import Outage, Point
from .model import AgentConfig, Config, RequestResult, RunResult, Verdict
from .paging import QUIET, PagingStatus
from .probe.prober import Prober, ProbeReply
from .probe.thread import ProbeThread
from .snapshots import AgentSnapshot

if TYPE_CHECKING:
    from .alerts.center import AlertCenter
    from .alerts.outbox import AlertHealth, AlertRecord, AttemptRecord
    from .alerts.silences import Silence
    from .frontend import MonitorAPI
    from .history.records import AgentHistory
    from .history.store import Store
    from .history.writer import StoreWriter
    from .incidents.checklist import Checklist, Resolved
    from .incidents.store import IncidentRecord
    from .incidents.tracker import IncidentTracker

log = logging.getLogger("agentstatus")

SPARKLINE_POINTS = 60
RECENT_TRANSITIONS = 50
# How often time-based paging (reminders, escalation, a silence ending) is looked at
# between runs.
PAGING_TICK = 15.0
# Alert rules and incidents follow finished runs at most this often (seconds): a burst of
# runs shares one write transaction instead of stalling the loop on one each.
AFTER_RUN_GAP = 0.1
# Allocations between collections of the youngest generation once polling runs (Python's
# default is 700): at 2,000 agents the collector took 5-11 % of a core and paused the
# loop up to 0.75 s; with this and the start-up objects frozen, about 1 %.
YOUNG_GC_THRESHOLD = 20_000
# How often an agent's stored verdict changes are read again for its uptime figures
# when this monitor stored none (another process may have).
UPTIME_REREAD = 600.0
# How often every agent's paging status is read again between runs (a silence added by
# another process, a maintenance window beginning): one read per agent each time.
PAGING_STATUS_EVERY = 60.0


@dataclass
class AgentState:
    """What the front ends show of one agent. Owned and mutated by the Monitor only."""

    agent: AgentConfig
    last: RunResult | None = None
    verdict: Verdict = Verdict.UNKNOWN
    since: float | None = None
    in_flight: bool = False
    paused: bool = False
    points: deque[float | None] = field(default_factory=lambda: deque(maxlen=SPARKLINE_POINTS))
    transitions: list[Transition] = field(default_factory=list)  # overall, newest first
    uptime: dict[str, float | None] = field(default_factory=dict)
    last_failure: RequestResult | None = None
    next_run_at: float | None = None
    # Per-region verdicts of the last run (kept separately so a restart can show them
    # before the first new run finishes).
    region_verdicts: dict[str, Verdict] = field(default_factory=dict)
    paging: PagingStatus = QUIET

    def snapshot(self) -> AgentSnapshot:
        return AgentSnapshot(
            agent=self.agent,
            verdict=self.verdict,
            since=self.since,
            last=self.last,
            region_verdicts=MappingProxyType(dict(self.region_verdicts)),
            points=tuple(self.points),
            transitions=tuple(self.transitions),
            uptime=MappingProxyType(dict(self.uptime)),
            last_failure=self.last_failure,
            in_flight=self.in_flight,
            paused=self.paused,
            next_run_at=self.next_run_at,
            paging=self.paging,
        )


class Wake:
    """What an agent's poll loop sleeps on until its next slot, unless woken sooner (a
    resume): one future and one timer per sleep. (`asyncio.wait_for` over an
    `asyncio.Event` makes a task and more per sleep: at 500 agents that was a visible
    share of the monitor's CPU.)"""

    __slots__ = ("_set", "_waiter")

    def __init__(self) -> None:
        self._set = False
        self._waiter: asyncio.Future[None] | None = None

    def set(self) -> None:
        self._set = True
        _settle(self._waiter)

    def clear(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    async def wait(self, timeout: float | None = None) -> None:
        """Until set, or `timeout` seconds have passed (None: until set)."""
        if self._set:
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiter = waiter
        timer = loop.call_later(timeout, _settle, waiter) if timeout is not None else None
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()


def _settle(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def agent_offset(agent: AgentConfig) -> float:
    """A stable offset within the agent's interval, so 500 agents never fire at :00."""
    return (zlib.crc32(agent.id.encode()) % 10_000) / 10_000 * agent.interval


def next_slot(agent: AgentConfig, now: float, last_start: float, *,
              recheck: bool = False) -> float:
    """The next start on the agent's own grid (offset + k·interval), never sooner than
    half an interval after the last start (a long run must not be followed by another
    at once). After a run whose verdict got worse (`recheck`), `agent.recheck` seconds
    from now when the grid would come later: DOWN is confirmed or dismissed quickly."""
    off = agent_offset(agent)
    k = int((now - off) // agent.interval) + 1
    t = off + k * agent.interval
    while t < last_start + agent.interval / 2:
        t += agent.interval
    return min(t, now + agent.recheck) if recheck else t


_SEVERITY = {Verdict.DEGRADED: 1, Verdict.DOWN: 2}  # every other verdict: 0


def got_worse(before: Verdict, after: Verdict) -> bool:
    return _SEVERITY.get(after, 0) > _SEVERITY.get(before, 0)


class Monitor:
    """Build it with `Monitor.open` (the product's store, outbox and tracker in the data
    dir); the constructor takes the parts already wired to one store and one event hub."""

    def __init__(
        self,
        config: Config,
        *,
        store: Store,
        writer: StoreWriter,
        alerts: AlertCenter,
        incidents: IncidentTracker,
        hub: EventHub,
        prober: Prober | None = None,
        probe_thread: ProbeThread | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.store = store  # reads, on the loop thread
        self.writer = writer  # writes, on its own thread
        self.alerts = alerts
        self.incidents = incidents
        self.hub = hub
        alerts.subscribe(self._alert_changed)  # alert events reach every subscriber
        self.prober = prober or Prober(config)
        # With a probe thread, the Prober lives on that thread's loop (see probe_thread).
        self.probe_thread = probe_thread
        self.clock = clock
        self.states: dict[str, AgentState] = {a.id: AgentState(agent=a) for a in config.agents}
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._current: dict[str, asyncio.Task[RunResult | None]] = {}
        self._wake: dict[str, Wake] = {}
        # Per agent, its run that is answered and being stored (not joined by run_now).
        self._storing: dict[str, asyncio.Task[object]] = {}
        self._alerts_caught_up = False  # alert rules saw every transition stored so far
        self._incidents_caught_up = False  # likewise the incident tracker
        # Per agent: when its stored verdict changes were read, and what they were.
        self._uptime_points: dict[str, tuple[float, list[Point]]] = {}
        self._ticker: asyncio.Task[None] | None = None
        # Runs finishing together share one pass of the alert rules and incidents.
        self._following: Coalesce[RunResult] = Coalesce(self._after_run, min_gap=AFTER_RUN_GAP)
        self._started = False
        self._closed = False

    # ------------------------------------------------------------------ wiring

    @classmethod
    def open(
        cls,
        config: Config,
        *,
        data_dir: str | None = None,
        clock: Callable[[], float] = time.time,
        probe_thread: bool = False,
    ) -> Monitor:
        """A Monitor with the product's store, alert outbox and incident tracker in the
        data dir (--data-dir, $AGENTSTATUS_DATA_DIR or the user data dir). A front end
        that draws on its loop (the dashboard) asks for `probe_thread`, so drawing never
        delays a probe's clock."""
        from .alerts.center import AlertCenter
        from .history import db
        from .history.store import Store
        from .history.writer import StoreWriter
        from .incidents.tracker import IncidentTracker

        path = db.data_dir(data_dir or config.data_dir) / db.DB_FILENAME
        store = Store(path)
        hub = EventHub()
        alerts = AlertCenter(config, store, clock=clock)
        # The tracker hears alert events before the front ends do (it subscribes to the
        # center first), so an alert's line is on the incident when the screen redraws.
        incidents = IncidentTracker(config, store, alerts=alerts, clock=clock,
                                    publish=hub.publish)
        return cls(
            config,
            store=store,
            writer=StoreWriter(Store(path), retention=config.retention),
            alerts=alerts,
            incidents=incidents,
            hub=hub,
            probe_thread=ProbeThread() if probe_thread else None,
            clock=clock,
        )

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        return self.hub.subscribe(fn)

    @property
    def store_failure(self) -> StoreError | None:
        """Set while the store cannot be written (full, read-only, corrupt): runs are not
        saved and DOWN pages go out directly. The dashboard shows STORE FAILING."""
        return self.writer.health.failure

    @property
    def connection(self) -> Connection:
        return LOCAL  # the engine is in this process

    def publish(self, event: Event) -> None:
        self.hub.publish(event)

    def _alert_changed(self, event: AlertChanged) -> None:
        """Forward the alert center's event with the outbox's health after it."""
        try:
            health: AlertHealth | None = self.alerts.health()
        except Exception:  # a busy store: the front end shows the health as unknown
            log.exception("alert health failed")
            health = None
        self.publish(dataclasses.replace(event, health=health))

    # ------------------------------------------------------------------ front-end reads

    def snapshot(self, agent_id: str) -> AgentSnapshot:
        return self.states[agent_id].snapshot()

    def agents(self) -> Mapping[str, AgentSnapshot]:
        return MappingProxyType({a.id: self.snapshot(a.id) for a in self.config.agents})

    async def transitions(self, agent_id: str, *, limit: int) -> list[Transition]:
        return self.store.transitions(agent_id, limit=limit)

    async def outages(self, agent_id: str, since: float, until: float) -> list[Outage]:
        return self.store.outages(agent_id, since, until)

    async def uptimes(self, agent_id: str) -> Mapping[str, float | None]:
        return MappingProxyType(self.store.uptimes(agent_id, self.clock()))

    async def alert_health(self) -> AlertHealth:
        return self.alerts.health()

    async def alert_log(self, limit: int) -> list[AlertRecord]:
        return self.alerts.log(limit)

    async def alert_attempts(self, alert_id: int) -> list[AttemptRecord]:
        return self.alerts.attempts(alert_id)

    async def alert_status(self, alert_ids: Sequence[int]) -> dict[int, str]:
        return self.alerts.status(list(alert_ids))

    async def paging(self, agent_id: str) -> PagingStatus:
        self.alerts.forget_reads()  # asked for: read now, whoever changed it
        status = self.alerts.paging_status(self.states[agent_id].agent)
        self._set_paging(agent_id, status, publish=True)
        return status

    def _set_paging(self, agent_id: str, status: PagingStatus, *, publish: bool) -> None:
        st = self.states.get(agent_id)
        if st is None or st.paging == status:
            return
        st.paging = status
        if publish:
            self.publish(PagingChanged(agent_id, st.snapshot()))

    # ------------------------------------------------------------------ silences

    async def silences(self, *, include_expired: bool = False) -> list[Silence]:
        from .alerts.silences import list_silences
        from .history.db import store_errors

        with store_errors(self.store.path):
            return list_silences(self.store.conn, self.clock(),
                                 include_expired=include_expired)

    async def add_silence(self, matcher_kind: str, matcher_value: str, ends_at: float,
                          reason: str, author: str | None) -> Silence:
        from .alerts.silences import add_silence, check_matcher
        from .history.db import store_errors

        check_matcher(self.config, matcher_kind, matcher_value)
        with store_errors(self.store.path):
            silence = add_silence(self.store.conn, matcher_kind=matcher_kind,
                                  matcher_value=matcher_value, ends_at=ends_at,
                                  reason=reason, author=author, now=self.clock())
        self._paging_changed()
        return silence

    async def expire_silence(self, silence_id: str) -> Silence:
        from .alerts.silences import expire_silence
        from .history.db import store_errors

        with store_errors(self.store.path):
            silence = expire_silence(self.store.conn, silence_id, self.clock())
        self._paging_changed()
        return silence

    def _paging_changed(self) -> None:
        """A silence was added or expired: every front end's SILENCED marks follow now
        (a tag or region silence may cover several agents)."""
        self.alerts.forget_reads()
        try:
            statuses = self.alerts.paging_statuses()
        except Exception as exc:  # the silence is stored; the next run shows it
            if not is_store_failure(exc):
                raise
            return
        for agent_id, status in statuses.items():
            self._set_paging(agent_id, status, publish=True)

    # ------------------------------------------------------------------ incidents

    def _checklist(self) -> Checklist:
        from .incidents.checklist import Checklist

        return Checklist(self.incidents)

    async def open_incident(self, agent_id: str) -> IncidentRecord:
        incident = self._checklist().open(agent_id, self.states[agent_id].verdict)
        return self.incidents.incidents.record(incident.id)

    async def current_incident(self, agent_id: str) -> IncidentRecord | None:
        incident = self.incidents.incidents.open_for(agent_id)
        return None if incident is None else self.incidents.incidents.record(incident.id)

    async def incident(self, incident_id: int) -> IncidentRecord:
        return self.incidents.incidents.record(incident_id)

    async def go_to_step(self, incident_id: int, step: int) -> None:
        self._checklist().go_to(incident_id, step)

    async def complete_step(self, incident_id: int, step: int) -> None:
        self._checklist().complete(incident_id, step)

    async def acknowledge(self, incident_id: int, note: str | None = None) -> list[int]:
        ids = self._checklist().acknowledge(incident_id, note)
        agent_id = self.incidents.incidents.get(incident_id).agent_id
        if agent_id in self.states:
            await self.paging(agent_id)
        return ids

    async def post_investigating(self, incident_id: int) -> list[int]:
        return self._checklist().post_investigating(incident_id)

    async def add_note(self, incident_id: int, text: str) -> None:
        self._checklist().add_note(incident_id, text)

    async def set_change(self, incident_id: int, item: str, *, checked: bool | None = None,
                         note: str | None = None) -> None:
        self._checklist().set_change(incident_id, item, checked=checked, note=note)

    async def record_probe(self, incident_id: int, region: str, summary: str) -> None:
        self._checklist().record_probe(incident_id, region, summary)

    async def set_root_cause(self, incident_id: int, *, key: str | None = None,
                             text: str | None = None) -> None:
        self._checklist().set_root_cause(incident_id, key=key, text=text)

    async def verify_requested(self, incident_id: int) -> None:
        self._checklist().verify_requested(incident_id)

    async def add_followup(self, incident_id: int, text: str) -> None:
        self._checklist().add_followup(incident_id, text)

    async def toggle_followup(self, incident_id: int, followup_id: int) -> None:
        self._checklist().toggle_followup(incident_id, followup_id)

    async def delete_followup(self, incident_id: int, followup_id: int) -> None:
        self._checklist().delete_followup(incident_id, followup_id)

    async def resolve(self, incident_id: int, resolution: str) -> Resolved:
        return self._checklist().resolve(incident_id, resolution)

    # ------------------------------------------------------------------ lifecycle

    def load_history(self) -> None:
        """Fill the states from the store so a restart shows history at once."""
        now = self.clock()
        hist = self.store.dashboard_history([a.id for a in self.config.agents], now)
        for agent_id, h in hist.items():
            st = self.states.get(agent_id)
            if st is None:
                continue
            _apply_history(st, h)

    async def start(self) -> None:
        """Poll every agent: all at once now (paced by the in-flight limit), then each on
        its own grid. Idempotent."""
        if self._started:
            return
        self._started = True
        self._restore_pauses()
        _freeze_start_up_objects()
        self.alerts.kick()
        self._ticker = asyncio.create_task(self._paging_ticks(), name="alerts:tick")
        for agent in self.config.agents:
            self._wake[agent.id] = Wake()
            self._loops[agent.id] = asyncio.create_task(
                self._poll_loop(agent), name=f"poll:{agent.id}"
            )

    async def stop(self, *, keep: Collection[str] = ()) -> None:
        """Stop polling, record that verdicts are unknown from now on (so the time the
        dashboard is closed counts neither as up nor down), flush and close. Agents in
        `keep` are handed over to another Monitor on the same store (a reloaded config):
        their verdicts stay as they are."""
        if self._closed:
            return
        self._closed = True
        tasks = [*self._loops.values(), *self._current.values()]
        if self._ticker is not None:
            tasks.append(self._ticker)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        if self._started:
            now = self.clock()
            for agent in self.config.agents:
                if agent.id in keep:
                    continue
                with contextlib.suppress(Exception):
                    await self.writer.mark_unknown(agent.id, now)
        with contextlib.suppress(Exception):
            await self.writer.flush()
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.alerts.aclose()
        if self.probe_thread is not None:
            await asyncio.to_thread(self.probe_thread.stop, self.prober.aclose)
        else:
            await self.prober.aclose()
        self.store.close()

    async def __aenter__(self) -> Monitor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ actions

    async def run_now(self, agent_id: str) -> RunResult | None:
        """A manual run; joins a run whose requests are in flight instead of doubling
        them. A run already answered and only being stored is not joined: its answers
        may be a moment old, and a new run doubles nothing at the agent."""
        current = self._current.get(agent_id)
        if (current is not None and not current.done()
                and self._storing.get(agent_id) is not current):
            return await asyncio.shield(current)
        return await self._start_run(self.states[agent_id].agent, manual=True)

    async def run_all_now(self) -> None:
        with self.prober.pacing.round(self.config.agents):  # room for every agent at once
            await asyncio.gather(*(self.run_now(a.id) for a in self.config.agents))

    async def run_round(self, agents: Sequence[AgentConfig] | None = None, *,
                        deliver_deadline: float | None = 30.0) -> list[RunResult]:
        """Every agent once (for `check`; `agents`: only these), then deliver the alerts
        it caused within `deliver_deadline` seconds; what is not delivered stays in the
        outbox."""
        agents = self.config.agents if agents is None else agents
        with self.prober.pacing.round(agents):  # room for every agent at once
            results = await asyncio.gather(
                *(self._start_run(a, manual=False) for a in agents)
            )
        if deliver_deadline is not None:
            await self.alerts.deliver_pending(self.clock() + deliver_deadline, flush=True)
        return [r for r in results if r is not None]

    async def probe(self, agent: AgentConfig, *, manual: bool = False) -> RunResult:
        """One run's requests (the Prober), on the probe thread when there is one."""
        if self.probe_thread is not None:
            return await self.probe_thread.run(self.prober.run(agent, manual=manual))
        return await self.prober.run(agent, manual=manual)

    async def send_probe(self, agent_id: str, region: str) -> ProbeReply:
        """The agent's validation request sent once now (the incident's Reproduce)."""
        agent = self.states[agent_id].agent
        if self.probe_thread is not None:
            return await self.probe_thread.run(self.prober.send_one(agent, region))
        return await self.prober.send_one(agent, region)

    async def set_paused(self, agent_id: str, paused: bool) -> None:
        """Pause or resume polling the agent. The pause is kept in the store: a restarted
        monitor (daemon or dashboard) keeps the agent paused until it is resumed."""
        st = self.states[agent_id]
        if st.paused == paused:
            return
        now = self.clock()
        self._apply_pause(st, paused, now)
        try:
            await self.writer.set_paused(agent_id, paused, now)
        except Exception as exc:
            self._store_trouble(exc, "storing the pause of %s failed", agent_id)

    def _apply_pause(self, st: AgentState, paused: bool, now: float) -> None:
        st.paused = paused
        agent_id = st.agent.id
        if paused:
            self._set_verdict(st, Verdict.UNKNOWN, now)
            st.region_verdicts = dict.fromkeys(st.agent.regions, Verdict.UNKNOWN)
            asyncio.get_running_loop().create_task(self._store_unknown(agent_id, now))
        elif agent_id in self._wake:
            self._wake[agent_id].set()
        self.publish(AgentPaused(agent_id, paused, st.snapshot()))

    def _restore_pauses(self) -> None:
        """The agents paused before this monitor started stay paused (UNKNOWN)."""
        try:
            kept = self.store.paused_agents()
        except Exception as exc:
            self._store_trouble(exc, "reading the paused agents failed")
            return
        now = self.clock()
        for agent_id in kept:
            st = self.states.get(agent_id)
            if st is not None and not st.paused:
                log.info("%s stays paused (paused before this start)", agent_id)
                self._apply_pause(st, True, now)

    # ------------------------------------------------------------------ internals

    async def _poll_loop(self, agent: AgentConfig) -> None:
        st = self.states[agent.id]
        wake = self._wake[agent.id]
        last_start = self.clock()
        first = True
        recheck = False
        while True:
            if not first:
                st.next_run_at = next_slot(agent, self.clock(), last_start, recheck=recheck)
                await wake.wait(max(0.0, st.next_run_at - self.clock()))
            first = False
            wake.clear()
            if st.paused:
                await wake.wait()
                wake.clear()
                if st.paused:
                    continue
            last_start = self.clock()
            before, recheck = st.verdict, False
            current = self._current.get(agent.id)
            try:
                if current is not None and not current.done():
                    await asyncio.shield(current)
                else:
                    await self._start_run(agent, manual=False, polled=True)
            except asyncio.CancelledError:
                raise
            except Exception:  # one agent's trouble never stops its own polling
                log.exception("run of %s failed", agent.id)
            recheck = got_worse(before, st.verdict) or self._confirming(agent)

    def _start_run(
        self, agent: AgentConfig, *, manual: bool, polled: bool = False
    ) -> asyncio.Future[RunResult | None]:
        task = asyncio.get_running_loop().create_task(
            self._run(agent, manual=manual, polled=polled), name=f"run:{agent.id}"
        )
        self._current[agent.id] = task
        return asyncio.shield(task)

    async def _run(
        self, agent: AgentConfig, *, manual: bool, polled: bool = False
    ) -> RunResult | None:
        st = self.states[agent.id]
        st.in_flight = True
        self.publish(RunStarted(agent.id, self.clock(), manual, st.snapshot()))
        try:
            result = await self.probe(agent, manual=manual)
        finally:
            st.in_flight = False
        if st.paused and not manual:
            # Paused while in flight: the engineer asked for no verdicts from this agent.
            self.publish(RunFinished(result, st.snapshot()))
            return result
        # A polling dashboard knows when a verdict went stale: a gap longer than a few
        # intervals since the last stored run (a crash, a suspended laptop) is recorded as
        # UNKNOWN rather than counted as the old verdict. Cron `check` runs don't know
        # their schedule, so their verdicts hold until the next one.
        stale_after = max(3 * agent.interval, 300.0) if polled else None
        me = asyncio.current_task()  # the task _start_run made for this run
        if me is not None:
            self._storing[agent.id] = me
        try:
            await self.accept(result, stale_after=stale_after, polled=polled and not manual)
        finally:
            if me is not None and self._storing.get(agent.id) is me:
                del self._storing[agent.id]
        return result

    async def accept(self, result: RunResult, *, stale_after: float | None = None,
                     polled: bool = False) -> None:
        """Follow one finished run: store it, update the agent's state, let alerts and
        incidents follow the verdict changes, and publish the run and its changes.
        `polled`: a run of the schedule, which may be stored together with others that
        finish within a moment (nobody is waiting for it)."""
        st = self.states[result.agent_id]
        transitions = await self._record(result, stale_after, gather=polled)
        # Paused while the run was being stored: the engineer asked for no verdicts from
        # this agent (the pause's UNKNOWN is stored right after this run).
        if not st.paused or result.manual:
            self._apply_run(st, result, transitions)
        await self._following.add(result, bool(transitions))
        self._heartbeat_after(result)
        snapshot = st.snapshot()
        self.publish(RunFinished(result, snapshot))
        self._publish_transitions(transitions, snapshot)

    def _completed(self, result: RunResult) -> bool:
        """A run that counts toward a heartbeat round: its verdict is known (something
        could be probed) and it was stored (see engine/heartbeat.py)."""
        return result.verdict is not Verdict.UNKNOWN and self.store_failure is None

    def _heartbeat_after(self, result: RunResult) -> None:
        """The polling monitor pings the heartbeat once every active agent has had a
        completed run since the last ping (at most every `heartbeat.every`)."""
        heartbeat = self.alerts.heartbeat
        if heartbeat is None or not self._started or self._closed:
            return
        active = [a for a, st in self.states.items() if not st.paused]
        try:
            heartbeat.run_finished(result.agent_id, self._completed(result), active)
        except Exception:  # watching the watcher must never stop the watcher
            log.exception("heartbeat failed")

    async def heartbeat_after_round(self, results: Sequence[RunResult],
                                    active: Collection[str] | None = None) -> bool | None:
        """`check`'s one ping at the end of its round, when every agent (every `active`
        one: paused agents left out) had a completed run. True when the switch took it,
        False when it failed or the round did not complete, None without a heartbeat."""
        heartbeat = self.alerts.heartbeat
        if heartbeat is None:
            return None
        expected = {a.id for a in self.config.agents} if active is None else set(active)
        done = {r.agent_id for r in results if self._completed(r)}
        if not expected:
            log.warning("heartbeat not pinged: every agent is paused")
            return False
        if done != expected:
            log.warning("heartbeat not pinged: %d of %d agents had a completed run",
                        len(done & expected), len(expected))
            return False
        return (await heartbeat.ping()).ok

    def _publish_transitions(self, transitions: list[Transition], snapshot: AgentSnapshot) -> None:
        for t in transitions:
            self.publish(TransitionEvent(t.agent_id, t.region, Verdict(t.previous),
                                         Verdict(t.current), t.at, snapshot))

    async def _record(
        self, result: RunResult, stale_after: float | None = None, *, gather: bool = False
    ) -> list[Transition]:
        try:
            return list(await self.writer.record(result, stale_after=stale_after,
                                                 gather=gather))
        except Exception as exc:
            if not is_store_failure(exc):
                log.exception("storing the run of %s failed", result.agent_id)
                return []
            return self._unstored(result)

    def _unstored(self, result: RunResult) -> list[Transition]:
        """The store could not take the run (said once by its health): the overall
        verdict change is kept in memory and paged directly, since the outbox lives in
        the same failing store."""
        st = self.states[result.agent_id]
        if result.verdict == st.verdict:
            return []
        self.alerts.page_unstored(result, st.verdict, self.store_failure)
        return [Transition(0, result.agent_id, None, result.finished_at, st.verdict,
                           result.verdict)]

    def _store_trouble(self, exc: Exception, what: str, *args: object) -> None:
        """A failing store is said once (its health); anything else is a bug, logged."""
        if is_store_failure(exc):
            self.writer.health.failed(exc)
        else:
            log.exception(what, *args)

    def _apply_run(
        self, st: AgentState, result: RunResult, transitions: list[Transition]
    ) -> None:
        if st.verdict != result.verdict or st.since is None:
            overall = [t for t in transitions if t.region is None]
            self._set_verdict(st, result.verdict, overall[-1].at if overall else result.finished_at)
        st.last = result
        st.region_verdicts = {n: s.verdict for n, s in result.regions.items()}
        st.points.append(result.overall.ttfb_p50)
        failure = result.last_failure()
        if failure is not None:
            st.last_failure = failure
        for t in transitions:
            if t.region is None:
                st.transitions.insert(0, t)
        del st.transitions[RECENT_TRANSITIONS:]
        st.uptime = self._uptime(st, changed=any(t.region is None for t in transitions))

    def _set_verdict(self, st: AgentState, verdict: Verdict, at: float) -> None:
        if st.verdict != verdict or st.since is None:
            st.verdict = verdict
            st.since = at

    def _uptime(self, st: AgentState, *, changed: bool = True) -> dict[str, float | None]:
        """The agent's uptimes now. Its stored verdict changes are read again when this
        monitor just stored one (`changed`), else at most every UPTIME_REREAD (changes
        another process stored): in between, only time moves the figures."""
        agent_id, now = st.agent.id, self.clock()
        kept = self._uptime_points.get(agent_id)
        try:
            if changed or kept is None or not 0 <= now - kept[0] < UPTIME_REREAD:
                kept = (now, self.store.uptime_points(agent_id, now))
                self._uptime_points[agent_id] = kept
        except Exception as exc:
            self._store_trouble(exc, "uptime of %s failed", agent_id)
            return st.uptime
        return uptimes_at(kept[1], now)

    def _after_run(self, runs: Sequence[RunResult] = (), stored: bool = True) -> None:
        """Alerts and incidents follow the transitions just stored (each with its own
        cursor over the store, so a crash between steps loses or doubles nothing).
        Alert rules read transitions only: runs that stored none (nearly every run) skip
        their write transaction, unless they have not caught up yet (the first run after a
        start, or after they failed)."""
        results = {r.agent_id: r for r in runs}
        if stored or not self._alerts_caught_up:
            try:
                new = self.alerts.process_transitions(results)
                self._alerts_caught_up = True
                if new and self._started:
                    self.alerts.kick()
            except Exception as exc:
                self._alerts_caught_up = False  # the next run tries again
                self._store_trouble(exc, "alert rules failed")
        self._tick(results)
        self._follow_incidents(runs, stored=stored)

    def _follow_incidents(self, runs: Sequence[RunResult] = (), *, stored: bool = True) -> None:
        try:
            self.incidents.process(runs, stored=stored or not self._incidents_caught_up)
            self._incidents_caught_up = True
        except Exception as exc:
            self._incidents_caught_up = False  # the next run looks at every change again
            self._store_trouble(exc, "incident tracking failed")

    def _tick(self, results: Mapping[str, RunResult] | None = None, *,
              statuses: bool = True) -> None:
        """Time-based paging (a confirmation reached, a hold ended, a reminder or an
        escalation step due): the alert center decides, once over every process. The
        agents' paging status follows (the run's agent, or all of them on the timer)."""
        try:
            new = self.alerts.tick(results)
            if new and self._started:
                self.alerts.kick()
            if results:  # the run's own event carries its agent's status
                for agent_id in results:
                    st = self.states.get(agent_id)
                    if st is not None:
                        self._set_paging(agent_id, self.alerts.paging_status(st.agent),
                                         publish=False)
            elif statuses or new:
                for agent_id, status in self.alerts.paging_statuses().items():
                    self._set_paging(agent_id, status, publish=True)
        except Exception as exc:
            self._store_trouble(exc, "alert rules failed")

    def _confirming(self, agent: AgentConfig) -> bool:
        """A DOWN page waits for more DOWN runs: look again soon, not at the next slot."""
        try:
            return self.alerts.confirming(agent.id)
        except Exception:
            return False

    async def _paging_ticks(self) -> None:
        last_statuses = self.clock()
        while True:
            await asyncio.sleep(PAGING_TICK)
            due = self.clock() - last_statuses >= PAGING_STATUS_EVERY
            if due:
                last_statuses = self.clock()
            self._tick(statuses=due)
            # Verdict changes another process stored (a cron `check`) open and close
            # incidents here too; this monitor's own are followed after each run.
            self._follow_incidents()

    async def _store_unknown(self, agent_id: str, at: float) -> None:
        try:
            transitions = await self.writer.mark_unknown(agent_id, at)
        except Exception:
            log.exception("storing the pause of %s failed", agent_id)
            return
        st = self.states[agent_id]
        for t in transitions:
            if t.region is None:
                st.transitions.insert(0, t)
        st.uptime = self._uptime(st)
        self._after_run()
        self._publish_transitions(transitions, st.snapshot())


_frozen: list[bool] = []


def _freeze_start_up_objects() -> None:
    """What exists when polling starts (modules, config, the front end) lives as long as
    the process: moved out of the collector's sight once (per process), so a full
    collection scans only what came after. A collection pauses every probe in flight:
    the pause would be counted as the agents' latency."""
    if not _frozen:
        _frozen.append(True)
        gc.collect()
        gc.freeze()
        # Probes allocate fast and almost everything dies young by reference counting:
        # collecting the young generation less often promotes far fewer short-lived
        # objects, so full collections (which scan every agent's state) come rarely.
        young, *older = gc.get_threshold()
        gc.set_threshold(max(young, YOUNG_GC_THRESHOLD), *older)


def _apply_history(st: AgentState, h: AgentHistory) -> None:
    """Copy what the store remembers of an agent into its state."""
    st.verdict = Verdict(h.verdict)
    st.since = h.since
    if h.last is not None:
        st.last = h.last
    st.region_verdicts = {k: Verdict(v) for k, v in h.region_verdicts.items() if k is not None}
    st.points.extend(h.sparkline)
    st.transitions = list(h.transitions)[:RECENT_TRANSITIONS]
    if h.uptime:
        st.uptime = dict(h.uptime)


if TYPE_CHECKING:

    def _fills_the_front_end_interface(monitor: Monitor) -> MonitorAPI:
        return monitor  # mypy checks that the Monitor is a MonitorAPI
