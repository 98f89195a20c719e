"""The AlertCenter: turns stored overall transitions into queued alerts (exactly once,
via its own cursor over the store), takes manual alerts from the incident checklist,
delivers the outbox and reports its health — the one alert API every front end uses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from ..events import AlertChanged
from ..history.db import StoreError, failure_cause
from ..history.health import is_store_failure
from ..model import AgentConfig, Config, RunResult, StatuspageChannel, Verdict
from ..paging import PagingStatus
from . import pages, paging_health
from .messages import AlertFacts, facts_from_run, safe_url
from .outbox import (
    AlertHealth,
    AlertRecord,
    AttemptRecord,
    NewAlert,
    Outbox,
)
from .policy import PagingPolicy, page_channels
from .rules import CLOSED, Decision, PageState, decide_alert
from .silences import Silence, not_over
from .status import paging_status

if TYPE_CHECKING:
    import httpx

    from ..heartbeat import Heartbeat
    from .channels import DeliveryResult

log = logging.getLogger("agentstatus.alerts")

ManualEvent = Literal["acknowledge", "resolve", "notify"]
# Which channel types each manual action reaches by default: the checklist acknowledges
# (step 1) in PagerDuty and Slack, and resolves (step 8) there and on the status page.
MANUAL_TYPES: Mapping[str, tuple[str, ...]] = {
    "acknowledge": ("pagerduty", "slack"),
    "resolve": ("pagerduty", "slack", "statuspage"),
    "notify": ("slack", "webhook", "email"),
}
# How long this process trusts its last read of the page rows and silences for what it
# only shows or schedules (paging status, "is a tick due", "is a page confirming"): a
# change by another process (`agentstatus ack`, `silence add`, a cron `check`) shows
# this late at most; this process's own changes at once. Decisions (pages, holds,
# reminders) always read the store inside their write transaction.
READ_FRESH = 15.0
DIRECT_TRIES = 3  # a page sent without the outbox (a failing store): tries, no more
RETENTION = 90 * 86400.0  # delivered / failed alerts are kept this long for the log


def unstored_note(failure: StoreError | None) -> str:
    """What a page sent directly says of the store, in the words of its STORE FAILING
    line."""
    cause = f" ({failure.cause})" if failure is not None else ""
    return (f"STORE FAILING{cause}: runs are not being saved; this page was sent "
            "directly, without the outbox's retries")


class AlertCenter:
    """Alerts of one Config over one store.

    `store` needs `conn` (sqlite3, autocommit), `transaction()` and
    `transitions_after(last_id, overall_only=True)`; the outbox lives in the same file.
    """

    def __init__(
        self,
        config: Config,
        store: Any,
        *,
        clock: Callable[[], float] = time.time,
        attempt_timeout: float = 10.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        give_up_after: float = 86400.0,
        backfill: float = 900.0,
        lease_wait: float = 1.0,
    ) -> None:
        self.config = config
        self.store = store
        self.conn = store.conn
        self.clock = clock
        self._subscribers: list[Callable[[AlertChanged], None]] = []
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        transaction = getattr(store, "transaction", None)
        self.outbox = Outbox(
            self.conn,
            self._deliver_one,
            transaction=transaction,
            publish=self._publish,
            clock=clock,
            attempt_timeout=attempt_timeout,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            give_up_after=give_up_after,
            lease_wait=lease_wait,
            send_group=self._deliver_group,
            group_wait=config.delivery.group_wait,
        )
        pages.migrate(self.conn)
        paging_health.migrate(self.conn)
        self._channel_watch: asyncio.Task[None] | None = None
        self.policy = PagingPolicy(self)
        # Pages sent straight from memory while the store cannot queue them.
        self._direct: set[asyncio.Task[bool]] = set()
        self._direct_pages: dict[str, PageState] = {}
        # Each agent's latest direct page: its page state before, and its sends.
        self._direct_sends: dict[str, tuple[PageState, list[asyncio.Task[bool]]]] = {}
        self._init_cursor(backfill)
        with contextlib.suppress(Exception):
            self.outbox.prune(clock() - RETENTION)
        self._rows: dict[str, pages.PageRow] | None = None  # see READ_FRESH
        self._silences: list[Silence] | None = None
        self._pending: dict[str, pages.PageRow] = {}  # the rows `pages.pending` of _rows
        self._read_at = float("-inf")
        self.heartbeat: Heartbeat | None = None
        if config.heartbeat is not None:
            from ..heartbeat import Heartbeat

            self.heartbeat = Heartbeat(config.heartbeat, self.conn, secrets=config.secrets,
                                       client=self._http, clock=clock)

    # ------------------------------------------------------------------ reads kept

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The outbox's write transaction; what this process read of the page rows and
        silences is read again afterwards (committed or not)."""
        try:
            with self.outbox.transaction():
                yield
        finally:
            self.forget_reads()

    def forget_reads(self) -> None:
        """Read the page rows and silences again at the next look (a silence was added
        or expired here, or another process is known to have changed them)."""
        self._rows = self._silences = None

    def _kept(self, now: float) -> tuple[dict[str, pages.PageRow], list[Silence]]:
        if (self._rows is None or self._silences is None
                or not 0 <= now - self._read_at < READ_FRESH):
            self._rows = pages.read_all(self.conn)
            self._pending = {k: row for k, row in self._rows.items() if pages.pending(row)}
            self._silences = not_over(self.conn, now)
            self._read_at = now
        return self._rows, self._silences

    # ------------------------------------------------------------------ events

    def subscribe(self, fn: Callable[[AlertChanged], None]) -> Callable[[], None]:
        """`fn(AlertChanged)` on every queue, attempt, delivery and failure."""
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn) if fn in self._subscribers else None

    def _publish(self, rec: AlertRecord) -> None:
        event = AlertChanged(alert_id=rec.id, agent_id=rec.agent_id, channel=rec.channel,
                             event=rec.event, status=rec.status, attempts=rec.attempts,
                             last_error=rec.last_error)
        for fn in list(self._subscribers):
            try:
                fn(event)
            except Exception:
                log.exception("alert subscriber failed")

    # ------------------------------------------------------------------ rules

    def _init_cursor(self, backfill: float) -> None:
        """On the first start over a store, page only for recent transitions: history
        from before alerting existed must not page anyone."""
        with self._writing():
            if self.conn.execute("SELECT 1 FROM alert_cursor WHERE id = 1").fetchone():
                return
            horizon = self.clock() - backfill
            last = 0
            for t in self.store.transitions_after(0, overall_only=True):
                if t.at < horizon:
                    last = max(last, t.id)
            self.conn.execute(
                "INSERT INTO alert_cursor(id, last_transition_id) VALUES (1, ?)", (last,))

    def process_transitions(
        self, results_by_agent: Mapping[str, RunResult] | None = None
    ) -> list[int]:
        """Queue the alerts of every overall transition stored since the last call.

        The outbox rows, the agents' page state and the cursor move in one
        transaction: a crash in between neither loses nor doubles an alert."""
        results = results_by_agent or {}
        agents = {a.id: a for a in self.config.agents}
        now = self.clock()
        ids: list[int] = []
        with self._writing():
            row = self.conn.execute(
                "SELECT last_transition_id FROM alert_cursor WHERE id = 1").fetchone()
            cursor = int(row[0]) if row else 0
            transitions = [t for t in self.store.transitions_after(cursor, overall_only=True)
                           if t.region is None]
            last_of_agent = {t.agent_id: t.id for t in transitions}
            for t in transitions:
                cursor = max(cursor, t.id)
                agent = agents.get(t.agent_id)
                if agent is None:  # removed from the config since
                    continue
                # The run that caused the latest transition tells regions and errors.
                result = results.get(agent.id) if last_of_agent[agent.id] == t.id else None
                ids += self.outbox.insert(self.policy.on_transition(agent, t, result, now), now)
            self.conn.execute(
                "INSERT INTO alert_cursor(id, last_transition_id) VALUES (1, ?)"
                " ON CONFLICT(id) DO UPDATE SET last_transition_id = excluded.last_transition_id",
                (cursor,))
        self.outbox.announce(ids)
        return ids

    def tick(self, results_by_agent: Mapping[str, RunResult] | None = None,
             now: float | None = None) -> list[int]:
        """What time alone brings, without a new transition: a page whose hold ended (a
        silence over, the parent back, confirmation reached by the latest run), a
        recovery confirmed, a reminder or an escalation step due. Idempotent across
        processes: decided in one write transaction over the stored page rows, which
        is taken only when some row has something pending."""
        now = self.clock() if now is None else now
        self._kept(now)
        if not self.policy.due(self._pending, now):
            return []
        with self._writing():
            ids = self.outbox.insert(self.policy.tick(now, results_by_agent or {}), now)
        self.outbox.announce(ids)
        return ids

    def paging_status(self, agent: AgentConfig) -> PagingStatus:
        """Silenced, maintenance, flapping, acknowledged, escalation step, held page (as
        last read: see READ_FRESH)."""
        now = self.clock()
        rows, silences = self._kept(now)
        return paging_status(self.conn, self.config, agent, now,
                             rows.get(agent.id) or pages.PageRow(agent.id), silences)

    def paging_statuses(self) -> dict[str, PagingStatus]:
        now = self.clock()
        rows, silences = self._kept(now)
        return {a.id: paging_status(self.conn, self.config, a, now,
                                    rows.get(a.id) or pages.PageRow(a.id), silences)
                for a in self.config.agents}

    def confirming(self, agent_id: str) -> bool:
        """Whether the agent's page waits for more DOWN runs in a row (`confirm`)."""
        row = self._kept(self.clock())[0].get(agent_id)
        return row is not None and row.held_kind == "confirm"

    def acknowledge(self, agent: AgentConfig, by: str | None = None,
                    note: str | None = None) -> bool:
        """Record who acknowledged the agent's open page (reminders and escalation stop);
        no message is sent. False when no page is open or it was acknowledged already."""
        with self._writing():
            return self.policy.acknowledge(agent, by, note, self.clock())

    def _facts(self, agent: AgentConfig, d: Decision, previous: Verdict | str | None,
               current: Verdict, at: float, result: RunResult | None) -> AlertFacts:
        facts = AlertFacts(
            event=d.event, agent_id=agent.id, agent_name=agent.name, at=at,
            verdict=str(current), previous=str(previous) if previous is not None else None,
            dedup_key=d.dedup_key,
            severity=d.severity if d.event == "trigger" else "info",
            started_at=d.started_at, duration_s=d.duration_s, escalation=d.escalation,
            agent_url=safe_url(agent.url, self.config.secrets),
        )
        return facts_from_run(facts, result).redacted(self.config.secrets)

    def _fan_out(self, agent: AgentConfig, facts: AlertFacts, d: Decision | None,
                 transition_id: int | None,
                 types: tuple[str, ...] | None = None, *,
                 names: tuple[str, ...] | None = None) -> list[NewAlert]:
        out = []
        for name in agent.alerts.channels if names is None else names:
            channel = self.config.channels.get(name)
            if channel is None or (types is not None and channel.type not in types):
                continue
            if isinstance(channel, StatuspageChannel) and agent.id not in channel.components:
                continue
            if channel.type == "pagerduty" and not facts.dedup_key:
                continue
            out.append(NewAlert(agent.id, name, channel.type, facts.event, facts,
                                dedup_key=facts.dedup_key, transition_id=transition_id))
        return out

    def _state(self, agent_id: str) -> PageState:
        r = self.conn.execute(
            "SELECT dedup_key, alerted, started_at FROM alert_pages WHERE agent_id = ?",
            (agent_id,)).fetchone()
        if r is None or r["alerted"] is None:
            return CLOSED
        return PageState(r["dedup_key"], Verdict(r["alerted"]), r["started_at"])

    def dedup_key(self, agent_id: str) -> str | None:
        """The open page's key (the PagerDuty dedup_key), or None."""
        return self._state(agent_id).dedup_key

    def _last_key(self, agent_id: str) -> str | None:
        r = self.conn.execute("SELECT dedup_key FROM alert_pages WHERE agent_id = ?",
                              (agent_id,)).fetchone()
        return r["dedup_key"] if r else None

    # ------------------------------------------------------------------ manual

    def enqueue_manual(
        self,
        agent: AgentConfig,
        event: ManualEvent,
        text: str,
        *,
        channel_types: tuple[str, ...] | None = None,
        details: Mapping[str, Any] | None = None,
        by: str | None = None,
        note: str | None = None,
    ) -> list[int]:
        """Alerts the incident checklist sends: acknowledge (PagerDuty + Slack), resolve
        (PagerDuty + Slack summary + status page operational), notify (Slack, webhook,
        email). `channel_types` replaces the default set; only the agent's channels
        (with the escalation steps the page reached). An acknowledge also records `by`
        and `note` on the open page: its reminders and escalation stop."""
        if event not in MANUAL_TYPES:
            raise ValueError(f"unknown manual alert {event!r}")
        types = channel_types if channel_types is not None else MANUAL_TYPES[event]
        now = self.clock()
        with self._writing():
            state = self._state(agent.id)
            key = state.dedup_key or (self._last_key(agent.id) if event == "resolve" else None)
            facts = AlertFacts(
                event=event, agent_id=agent.id, agent_name=agent.name, at=now,
                dedup_key=key, severity="info", text=text, details=dict(details or {}),
                started_at=state.started_at,
                duration_s=(now - state.started_at) if state.started_at else None,
                agent_url=safe_url(agent.url, self.config.secrets),
            ).redacted(self.config.secrets)
            row = pages.read(self.conn, agent.id)
            alerts = self._fan_out(agent, facts, None, None, types,
                                   names=page_channels(agent, row.escalation_step))
            if event == "notify":
                alerts = [a for a in alerts if a.channel_type not in ("pagerduty", "statuspage")]
            ids = self.outbox.insert(alerts, now)
            if event == "acknowledge":
                self.policy.acknowledge(agent, by, note, now)
            if event == "resolve" and (state.is_open or row.held):
                # The person closed it: a later recovery must not announce it again, nor
                # a held page go out.
                pages.write(self.conn, row.with_page(CLOSED).released(), now)
        self.outbox.announce(ids)
        return ids

    # ------------------------------------------------------------------ delivery

    def kick(self) -> None:
        """Deliver pending alerts in the background (the dashboard). Needs a running
        loop; without one it does nothing (the next kick or check sends them)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self.outbox.kick()
        self._watch_channels()

    # ------------------------------------------------------------------ paging health

    def review_channels(self) -> list[int]:
        """Announce on the other channels each channel failing longer than
        `alerting.channel_failing_after`, and its recovery (see paging_health.py): once,
        whichever process looks first. Takes the write lock only when there is news."""
        now = self.clock()
        told = paging_health.announced(self.conn)
        if not paging_health.due(self.conn, self.config, self.outbox.health().failing, told,
                                 now):
            return []
        with self._writing():
            notices = paging_health.review(self.conn, self.config,
                                           self.outbox.health().failing, now)
            ids = self.outbox.insert(notices, now)
        self.outbox.announce(ids)
        for n in notices[:1]:
            log.warning("%s", n.facts.text)
        return ids

    def _watch_channels(self) -> None:
        """The dashboard's and `serve`'s look at paging health, every little while (only
        with another channel to tell)."""
        if len(self.config.channels) < 2:
            return
        if self._channel_watch is None or self._channel_watch.done():
            self._channel_watch = asyncio.get_running_loop().create_task(
                self._watch_loop(), name="alerts:channel-health")

    async def _watch_loop(self) -> None:
        period = min(30.0, max(0.05, self.config.delivery.channel_failing_after / 10))
        while True:
            await asyncio.sleep(period)
            try:
                if self.review_channels():
                    self.outbox.kick()
            except Exception as exc:  # a busy or failing store: the next look tries again
                if not is_store_failure(exc):
                    log.exception("paging health review failed")

    async def deliver_pending(self, deadline: float | None = None, *,
                              flush: bool = False) -> AlertHealth:
        """Deliver pending alerts (with retries) until all are done or `deadline`
        (epoch seconds, as `time.time()`); what is left stays in the outbox. Pages sent
        directly (a failing store) are waited for too. `flush`: a one-shot command sends
        grouped pages now rather than after `group_wait` (no more runs are coming)."""
        if deadline is None:
            deadline = self.clock() + 30.0
        if self._direct:
            await asyncio.wait(set(self._direct), timeout=max(0.0, deadline - self.clock()))
        try:
            # Paging health before (a channel failing since an earlier check) and after
            # (one that failed long enough, or delivered again, just now).
            self.review_channels()
            await self.outbox.deliver_pending(deadline, flush=flush)
            if self.review_channels() and self.clock() < deadline:
                await self.outbox.deliver_pending(deadline, flush=flush)
            return self.health()
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            return AlertHealth(pending=0, failed=0, last_error=failure_cause(exc))

    # ------------------------------------------------------------------ a failing store

    def page_unstored(self, result: RunResult, previous: Verdict,
                      failure: StoreError | None = None) -> None:
        """The store could not take `result`, so no transition reaches the outbox: page
        its verdict change from memory instead. Best effort: a few tries within the
        attempt timeout, nothing persisted (the alert says so, with the store's
        `failure`), the page state kept in memory so the same outage is not paged twice
        by this process (a one-shot `check` keeps it outside the store: see
        `unstored_pages`)."""
        agent = next((a for a in self.config.agents if a.id == result.agent_id), None)
        if agent is None or result.verdict == previous:
            return
        state = self._direct_pages.get(agent.id)
        if state is None:
            try:
                state = self._state(agent.id)
            except Exception:  # the store cannot say what was paged: page
                state = CLOSED
        at = result.finished_at
        decision, new_state = decide_alert(agent.id, agent.alerts, state, previous,
                                           result.verdict, at)
        self._direct_pages[agent.id] = new_state
        if decision is None:
            return
        facts = self._facts(agent, decision, previous, result.verdict, at, result)
        facts = replace(facts, details={**facts.details, "persisted": False,
                                        "store": unstored_note(failure)})
        loop = asyncio.get_running_loop()
        sends = []
        for alert in self._fan_out(agent, facts, decision, None):
            task = loop.create_task(self._send_direct(alert),
                                    name=f"alerts:direct:{alert.channel}:{agent.id}")
            self._direct.add(task)
            task.add_done_callback(self._direct.discard)
            sends.append(task)
        if sends:
            self._direct_sends[agent.id] = (state, sends)

    def unstored_pages(self) -> dict[str, PageState]:
        """The page state of each agent whose verdict change was paged (or decided) from
        memory while the store could not be written."""
        return dict(self._direct_pages)

    def undelivered_pages(self) -> dict[str, PageState]:
        """The agents whose latest direct page reached no channel (every send failed, or
        is still under way), with their page state before it: that page is not sent yet.
        One channel that took it is enough (the others' failures are logged): paging the
        rest again would page that one twice."""
        def delivered(task: asyncio.Task[bool]) -> bool:
            return task.done() and not task.cancelled() and task.exception() is None \
                and task.result()
        return {agent_id: before for agent_id, (before, sends) in self._direct_sends.items()
                if not any(delivered(t) for t in sends)}

    def remember_unstored(self, states: Mapping[str, PageState]) -> None:
        """Page states decided while the store could not be written, kept by an earlier
        process (a cron `check`): the same outage is not paged again."""
        self._direct_pages.update(states)

    async def _send_direct(self, alert: NewAlert) -> bool:
        from .channels import DeliveryResult
        timeout = self.outbox.attempt_timeout
        result = DeliveryResult(False, error="not sent")
        for attempt in range(1, DIRECT_TRIES + 1):
            result = await self._deliver_one(alert.channel, alert.facts, timeout)
            if result.ok or not result.retriable or attempt == DIRECT_TRIES:
                break
            await asyncio.sleep(min(self.outbox.backoff(attempt, result.retry_after), 5.0))
        if result.ok:
            log.info("%s of %s sent directly through %s (the store is failing: not saved)",
                     alert.event, alert.agent_id, alert.channel)
        else:
            log.error("%s of %s NOT delivered through %s (the store is failing: it is not"
                      " queued for retries): %s", alert.event, alert.agent_id, alert.channel,
                      result.error)
        return result.ok

    async def _deliver_one(self, channel_name: str, facts: AlertFacts,
                           timeout: float) -> DeliveryResult:
        from . import channels as senders
        from .channels import DeliveryResult
        channel = self.config.channels.get(channel_name)
        if channel is None:
            return DeliveryResult(False, error=f"channel {channel_name!r} is no longer"
                                                " configured")
        return await senders.send(channel, facts, client=self._http(),
                                  secrets=self.config.secrets, timeout=timeout)

    async def _deliver_group(self, channel_name: str, facts: list[AlertFacts],
                             timeout: float) -> DeliveryResult:
        from . import channels as senders
        from .channels import DeliveryResult
        channel = self.config.channels.get(channel_name)
        if channel is None:
            return DeliveryResult(False, error=f"channel {channel_name!r} is no longer"
                                                " configured")
        return await senders.send_group(channel, facts, client=self._http(),
                                        secrets=self.config.secrets, timeout=timeout)

    def _http(self) -> httpx.AsyncClient:
        from . import channels as senders
        # aiohttp sessions belong to one loop; tests and `check` may run several loops.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = senders.make_client()
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        for task in list(self._direct):
            task.cancel()
        if self.heartbeat is not None:
            await self.heartbeat.aclose()
        if self._channel_watch is not None:
            self._channel_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._channel_watch
        await self.outbox.aclose()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ reading

    def log(self, limit: int = 200) -> list[AlertRecord]:
        """Newest first: time, agent, channel, event, status, attempts, last error."""
        return self.outbox.log(limit)

    def attempts(self, alert_id: int) -> list[AttemptRecord]:
        return self.outbox.attempts(alert_id)

    def health(self) -> AlertHealth:
        health = self.outbox.health()
        if health.failing:
            told = paging_health.announced(self.conn)
            health = replace(health, failing=tuple(
                replace(f, announced_at=told[f.channel].announced_at)
                if f.channel in told else f for f in health.failing))
        if self.heartbeat is not None:
            health = replace(health, heartbeat=self.heartbeat.health())
        return health

    def status(self, ids: list[int] | tuple[int, ...]) -> dict[int, str]:
        return self.outbox.status(ids)
