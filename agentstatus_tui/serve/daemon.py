"""The Daemon: one headless Monitor (polls, stores, alerts, tracks incidents exactly as
the dashboard does, on the same store) and what the API needs around it — the event
feed, the metrics, manual runs, readiness and config reloads.

Reload: the new config is read and checked first; any error leaves the running Monitor
untouched and every error is reported. A good config gets a new Monitor on the same data
dir (history, alert outbox and incident cursors are in the store, so nothing is lost):
the old Monitor stops and hands its agents over without recording them UNKNOWN, the new
one loads their history, keeps their pause, and starts polling. Agents dropped from the
config are recorded UNKNOWN from the reload on."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..engine import wire
from ..engine.events import AgentPaused, Event, PagingChanged, RunFinished, TransitionEvent
from ..engine.model import Config, ConfigError
from . import documents, engine_reads, event_json
from .errors import ApiError
from .feed import EventFeed
from .metrics import MonitorMetrics
from .runs import ManualRuns, RunLimit

if TYPE_CHECKING:
    from ..engine.monitor import Monitor

log = logging.getLogger("agentstatus.serve")


class Daemon:
    def __init__(
        self,
        config: Config,
        *,
        data_dir: str,
        config_path: str | None = None,
        heartbeat: float = 15.0,
        write_timeout: float = 10.0,
        run_limit: RunLimit | None = None,
        check_config: Callable[[Config], list[str]] | None = None,
        on_config: Callable[[Config], None] | None = None,
    ) -> None:
        self.config = config
        self.data_dir = data_dir
        self.config_path = config_path
        self.heartbeat = heartbeat
        self.write_timeout = write_timeout
        self.run_limit = run_limit or RunLimit()
        self.feed = EventFeed()
        self.metrics = MonitorMetrics(lambda: self.monitor)
        self.agent_docs = documents.AgentCache(lambda a: engine_reads.live(self.monitor, a))
        self.runs = ManualRuns()
        self._check_config = check_config  # daemon-level rules (tokens on a public port)
        self._on_config = on_config  # e.g. new secrets for the log's redaction
        self._monitor: Monitor | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._ran: set[str] = set()  # agents with a run finished since the daemon started
        self.started_at = time.time()
        self.listening: list[str] = []  # where the API answers (unix:PATH, http://…)
        self.runs_finished = 0  # since the daemon started
        self.first_round_at: float | None = None  # every polled agent had a run finished
        self._reload_lock = asyncio.Lock()
        self._stopped = False
        self._store_said: str | None = None  # the store failure the feed last told

    @property
    def monitor(self) -> Monitor:
        if self._monitor is None:
            raise ApiError(503, "the monitor is starting or stopping", code="unavailable")
        return self._monitor

    # ------------------------------------------------------------------ lifecycle

    def _open(self, config: Config) -> Monitor:
        from ..engine.monitor import Monitor

        mon = Monitor.open(config, data_dir=self.data_dir)
        mon.load_history()
        return mon

    def _attach(self, monitor: Monitor) -> None:
        self._monitor = monitor
        self._unsubscribe = monitor.subscribe(self._on_event)

    async def start(self) -> None:
        mon = self._open(self.config)
        self._attach(mon)
        await mon.start()
        log.info("monitoring %d agents (store in %s)", len(self.config.agents), self.data_dir)

    async def stop(self) -> None:
        """Stop polling; the store records every verdict UNKNOWN from now on."""
        if self._stopped:
            return
        self._stopped = True
        self.feed.close()
        async with self._reload_lock:
            mon, self._monitor = self._monitor, None
            if self._unsubscribe is not None:
                self._unsubscribe()
            if mon is not None:
                await mon.stop()

    async def reload(self, reason: str = "") -> list[str]:
        """Read the config file again; [] when the new one runs, else every error (the
        old config keeps running)."""
        from ..engine.config.load import load_config

        if self.config_path is None:
            return ["this daemon has no config file to reload (--demo)"]
        async with self._reload_lock:
            if self._stopped or self._monitor is None:
                return ["the daemon is stopping"]
            log.info("reloading %s%s", self.config_path, f" ({reason})" if reason else "")
            try:
                config = load_config(self.config_path)
                errors = self._check_config(config) if self._check_config else []
            except ConfigError as exc:
                errors = exc.errors
            except OSError as exc:
                errors = [f"cannot read {self.config_path}: {exc.strerror or exc}"]
            if errors:
                for line in errors:
                    log.error("%s", line)
                log.error("the config has %d error%s: still running the previous one",
                          len(errors), "" if len(errors) == 1 else "s")
                return errors
            try:
                new = self._open(config)
            except Exception as exc:
                log.exception("opening the monitor for the new config failed")
                return [f"cannot open the store: {exc}"]
            old = self._monitor
            kept = {a.id for a in config.agents} & set(engine_reads.known_ids(old))
            paused = engine_reads.paused_ids(old) & kept
            if self._unsubscribe is not None:
                self._unsubscribe()
            await old.stop(keep=kept)
            self.config = config
            if self._on_config is not None:
                self._on_config(config)
            self._attach(new)
            for agent_id in paused:
                await new.set_paused(agent_id, True)
            self._ran &= kept
            self.agent_docs.invalidate()
            self.metrics.forget({a.id for a in config.agents})
            await new.start()
            log.info("reloaded: monitoring %d agents", len(config.agents))
            self.feed.publish("reloaded", {"agents": [a.id for a in config.agents]})
            return []

    # ------------------------------------------------------------------ readiness

    def readiness(self) -> dict[str, dict[str, Any]]:
        mon = self._monitor
        if mon is None:
            return {"monitor": {"ok": False, "detail": "starting or stopping"}}
        waiting = self._waiting(mon)
        health = engine_reads.alert_health(mon)
        return {
            "first_round": {"ok": not waiting, "waiting_for": waiting[:20]},
            "store": {"ok": engine_reads.store_writable(mon)},
            "alerts": {"ok": health.last_error is None, "pending": health.pending,
                       "failed_last_day": health.failed},
            # A channel whose latest delivery failed: pages through it are not arriving.
            "channels": {"ok": not health.failing,
                         "failing": [f.channel for f in health.failing]},
        }

    def _waiting(self, mon: Monitor) -> list[str]:
        """Agents polled (not paused) with no run finished since the daemon started."""
        return sorted(set(engine_reads.known_ids(mon)) - self._ran
                      - engine_reads.paused_ids(mon))

    # ------------------------------------------------------------------ events

    def _on_event(self, event: Event) -> None:
        """Little is done per event: the metrics follow it; the agent's API object and
        the feed's frame are written when first read (with no reader, never)."""
        self.metrics.on_event(event)
        if isinstance(event, RunFinished | AgentPaused | TransitionEvent | PagingChanged):
            self.agent_docs.update(event.snapshot)  # (running, next run: live)
        mon = self._monitor
        if mon is None:
            return
        if isinstance(event, RunFinished):
            self._ran.add(event.result.agent_id)
            self.runs_finished += 1
            if self.first_round_at is None and not self._waiting(mon):
                self.first_round_at = time.time()
        kind = wire.kind_of(event)
        if kind is not None:
            # The secrets of the config the event came from, should a reload follow.
            secrets = engine_reads.config(mon).secrets
            self.feed.publish(kind, functools.partial(
                event_json.body, kind, event, secrets, self.agent_docs.json_of))
        self._store_changed(mon)

    def _store_changed(self, mon: Monitor) -> None:
        """A `store` event when the store starts or stops failing (attached dashboards say
        STORE FAILING as a local one does)."""
        failure = mon.store_failure
        text = None if failure is None else str(failure)
        if text != self._store_said:
            self._store_said = text
            self.feed.publish("store", {"failure": None if failure is None else {
                "path": str(failure.path), "cause": failure.cause}})
