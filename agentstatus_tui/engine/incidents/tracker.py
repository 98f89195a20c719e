"""Opens incidents when agents go DOWN and keeps their timelines: verdict changes, the first
failing run, alerts queued and delivered, manual runs, impact, and the Verify step."""

from __future__ import annotations

import getpass
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..events import AlertChanged, Event, IncidentChanged
from ..history.records import Transition
from ..model import AgentConfig, Config, RunResult, Verdict
from ..text import duration, latency
from .store import VERIFY, Incident, IncidentStore, worse
from .wording import channel_label, failure_summary

if TYPE_CHECKING:
    from ..alerts.center import AlertCenter
    from ..history.store import Store

log = logging.getLogger("agentstatus.incidents")

CURSOR = "transitions"
# AlertChanged events seen before their incident exists (the DOWN alert is queued just
# before the tracker opens the incident) are replayed into it if this recent.
_ALERT_REPLAY_WINDOW = 120.0


def current_user() -> str:
    """Who is at the keyboard, for "acknowledged by …"."""
    for var in ("AGENTSTATUS_USER", "USER", "LOGNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def is_verified(run: RunResult, agent: AgentConfig) -> bool:
    """Verify's rule: UP/REACHABLE, every region healthy, median TTFB within the SLA."""
    if not run.verdict.is_up or not run.regions:
        return False
    if not all(s.verdict.is_up for s in run.regions.values()):
        return False
    p50 = run.overall.ttfb_p50
    return p50 is not None and p50 <= agent.ttfb_sla


def run_line(run: RunResult) -> str:
    """`DOWN (us DOWN HTTP_503, eu UP 312ms)`: one run in one line."""
    parts = []
    for name, s in run.regions.items():
        if s.verdict.is_up or (s.verdict is Verdict.DEGRADED and not s.errors):
            parts.append(f"{name} {s.verdict} {latency(s.ttfb_p50)}")
        else:
            codes = ",".join(sorted(c for c, n in s.errors.items() if n)) or latency(s.ttfb_p50)
            parts.append(f"{name} {s.verdict} {codes}")
    return f"{run.verdict} ({', '.join(parts)})" if parts else str(run.verdict)


class IncidentTracker:
    """Follows the stored overall transitions with its own cursor, so incidents neither
    miss nor double a DOWN across restarts, and a cron `check` sharing the file is seen.

    `store` is the run store (`transitions_after`); the incidents live in its file.
    `alerts` (the alert center) gives dedup keys, sends the checklist's messages and
    reports deliveries; `publish` tells front ends an incident changed. The tracker never
    holds the Monitor: the Monitor calls `process` after each stored run."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        alerts: AlertCenter | None = None,
        clock: Callable[[], float] = time.time,
        publish: Callable[[Event], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.incidents = IncidentStore(store.conn, config.secrets)
        self.alerts = alerts
        self.clock = clock
        self._publish = publish
        self._streak: dict[str, tuple[float, str]] = {}  # agent → first failing run
        self._alert_seen: dict[int, tuple[str, int]] = {}
        self._early_alerts: dict[str, list[tuple[float, AlertChanged]]] = {}
        cursor = self.incidents.cursor(CURSOR)
        if cursor is None:
            # First start on this file: history before now is not an incident to open.
            cursor = max((t.id for t in self._transitions_after(0)), default=0)
            self.incidents.set_cursor(CURSOR, cursor)
        self._cursor = cursor
        if alerts is not None:
            alerts.subscribe(self.on_alert_changed)

    # ------------------------------------------------------------------ wiring

    def agent(self, agent_id: str) -> AgentConfig | None:
        try:
            return self.config.agent(agent_id)
        except KeyError:
            return None

    def changed(self, incident_id: int, agent_id: str) -> None:
        """Tell subscribers an incident changed; the event carries the record after it."""
        if self._publish is not None:
            self._publish(IncidentChanged(incident_id, agent_id, self.incidents.record(incident_id)))

    def _transitions_after(self, last_id: int) -> list[Transition]:
        return list(self.store.transitions_after(last_id, overall_only=True))

    def _dedup_key(self, agent_id: str) -> str | None:
        center = self.alerts
        if center is None:
            return None
        try:
            return center.dedup_key(agent_id)
        except Exception:
            log.exception("dedup key of %s", agent_id)
            return None

    # ------------------------------------------------------------------ runs, transitions

    def process(self, results: Mapping[str, RunResult] | Iterable[RunResult] = (), *,
                stored: bool = True) -> list[int]:
        """Call after each stored run (and its alerts). Returns the incidents it changed.
        `stored=False`: the runs stored no verdict change, so only their impact on open
        incidents is followed (changes other processes stored are followed at the next
        call that looks, which the Monitor makes every few seconds)."""
        runs = list(results.values()) if isinstance(results, Mapping) else list(results)
        for run in runs:
            self._follow_streak(run)
        transitions = self._transitions_after(self._cursor) if stored else []
        if not transitions and not (runs and self.incidents.open_agents().intersection(
                r.agent_id for r in runs)):
            return []  # nothing to write: no transaction, no wait for the store's lock
        touched: dict[int, str] = {}
        cursor = self._cursor
        try:
            # One transaction for the lot (many runs finishing together): the incidents
            # and the cursor move together, and the disk is synced once.
            with self.incidents.transaction():
                for t in transitions:
                    incident = self._on_transition(t)
                    if incident is not None:
                        touched[incident.id] = incident.agent_id
                    self._cursor = max(self._cursor, int(t.id))
                    self.incidents.set_cursor(CURSOR, self._cursor)
                for run in runs:
                    incident = self._on_run(run)
                    if incident is not None:
                        touched[incident.id] = incident.agent_id
        except BaseException:
            self._cursor = cursor  # rolled back: those transitions are followed again
            raise
        for incident_id, agent_id in touched.items():
            self.changed(incident_id, agent_id)
        return list(touched)

    def _follow_streak(self, run: RunResult) -> None:
        if run.verdict.is_up:
            self._streak.pop(run.agent_id, None)
        elif run.verdict.is_known and run.agent_id not in self._streak:
            self._streak[run.agent_id] = (run.started_at, failure_summary(run))

    def _on_transition(self, t: Transition) -> Incident | None:
        previous, current = Verdict(str(t.previous)), Verdict(str(t.current))
        agent = self.agent(t.agent_id)
        incident = self.incidents.open_for(t.agent_id)
        if incident is None:
            if agent is None or not self._opens(agent, current):
                return None
            return self._open_on(agent, t, current)
        self.incidents.add_event(incident.id, t.at, "verdict", f"verdict {previous} → {current}")
        fields: dict[str, Any] = {}
        if worse(incident.worst_verdict, current) != incident.worst_verdict:
            fields["worst_verdict"] = current
        if current.is_up:
            fields["recovered_at"] = t.at
        elif current.is_known and incident.recovered_at is not None:
            fields["recovered_at"] = None
        if fields:
            incident = self.incidents.update(incident.id, **fields)
        return incident

    @staticmethod
    def _opens(agent: AgentConfig, verdict: Verdict) -> bool:
        return verdict is Verdict.DOWN or (
            verdict is Verdict.DEGRADED and agent.alerts.on_degraded
        )

    def _open_on(self, agent: AgentConfig, t: Transition, current: Verdict) -> Incident:
        first_at, first_what = self._streak.get(agent.id, (t.at, str(current)))
        first_at = min(first_at, t.at)
        incident, created = self.incidents.open_incident(
            agent_id=agent.id, agent_name=agent.name, at=self.clock(), opened_by="monitor",
            trigger=str(current), verdict=current, detected_at=t.at,
            dedup_key=self._dedup_key(agent.id),
        )
        if not created:  # another process sharing the file opened it first
            return incident
        self.incidents.update(incident.id, first_failure_at=first_at, first_failure=first_what)
        self.incidents.add_event(incident.id, first_at, "first_failure",
                                 f"first failing run ({first_what})")
        self.incidents.add_event(
            incident.id, t.at, "detected",
            f"{current} detected (was {Verdict(str(t.previous))}); incident opened",
        )
        self._replay_early_alerts(incident, t.at)
        return self.incidents.get(incident.id)

    def _on_run(self, run: RunResult) -> Incident | None:
        incident = self.incidents.open_for(run.agent_id)
        if incident is None:
            return None
        failed = 0
        requests = 0
        for name, s in run.regions.items():
            if s.discarded:
                continue
            n = s.validations + s.gold
            bad = (s.validations - s.validations_ok) + (s.gold - s.gold_ok)
            requests += n
            failed += bad
            self.incidents.add_impact(incident.id, name, verdict=s.verdict, requests=n,
                                      requests_failed=bad, errors=s.errors)
        self.incidents.update(
            incident.id,
            runs=incident.runs + 1,
            requests=incident.requests + requests,
            requests_failed=incident.requests_failed + failed,
            worst_verdict=worse(incident.worst_verdict, run.verdict),
            dedup_key=incident.dedup_key or self._dedup_key(run.agent_id),
        )
        if run.manual:
            self.incidents.add_event(incident.id, run.finished_at, "run",
                                     f"manual run: {run_line(run)}")
        agent = self.agent(run.agent_id)
        if agent is not None:
            self._follow_verify(incident, run, agent)
        return self.incidents.get(incident.id)

    def _follow_verify(self, incident: Incident, run: RunResult, agent: AgentConfig) -> None:
        step = self.incidents.steps(incident.id)[VERIFY]
        if is_verified(run, agent):
            if not step.done:
                self.incidents.mark_step(incident.id, VERIFY, done=True, at=run.finished_at,
                                         by="monitor")
                self.incidents.add_event(
                    incident.id, run.finished_at, "verified",
                    f"verified: {run.verdict} in every region, median TTFB "
                    f"{latency(run.overall.ttfb_p50)} within the "
                    f"{duration(agent.ttfb_sla, exact=True)} SLA",
                )
        elif step.done and run.verdict.is_known:
            # A relapse after Verify passed: the fix did not hold, so Verify is open again.
            self.incidents.mark_step(incident.id, VERIFY, done=False)
            self.incidents.add_event(incident.id, run.finished_at, "verified",
                                     f"verify failed again: {run_line(run)}")

    # ------------------------------------------------------------------ alerts

    def on_alert_changed(self, event: AlertChanged) -> None:
        """Record an alert queued / retried / delivered / failed on the agent's incident."""
        incident = self.incidents.open_for(event.agent_id)
        if incident is None:
            buf = self._early_alerts.setdefault(event.agent_id, [])
            buf.append((self.clock(), event))
            del buf[:-20]
            return
        if self._record_alert(incident, event, self.clock()):
            self.changed(incident.id, incident.agent_id)

    def _record_alert(self, incident: Incident, event: AlertChanged, at: float) -> bool:
        seen = self._alert_seen.get(event.alert_id)
        now = (event.status, event.attempts)
        if seen == now or (seen is not None and seen[0] in ("delivered", "failed",
                                                             "suppressed")):
            return False
        self._alert_seen[event.alert_id] = now
        what = f"{channel_label(self.config, event.channel)} {event.event}"
        if event.status == "delivered":
            text = f"{what} delivered"
            if event.event == "trigger":
                self.incidents.set_if_unset(incident.id, "alert_delivered_at", at)
        elif event.status == "failed":
            text = f"{what} failed for good: {event.last_error or 'no reason given'}"
        elif event.status == "suppressed":
            text = f"{what} suppressed: {event.last_error or 'held'}"
        elif event.attempts == 0:
            text = f"{what} queued"
        elif event.last_error:
            text = f"{what} attempt {event.attempts} failed ({event.last_error}); retrying"
        else:
            return False
        self.incidents.add_event(incident.id, at, "alert", text)
        return True

    def _replay_early_alerts(self, incident: Incident, since: float) -> None:
        for at, event in self._early_alerts.pop(incident.agent_id, []):
            if at >= since - _ALERT_REPLAY_WINDOW:
                self._record_alert(incident, event, at)

    # ------------------------------------------------------------------ by hand

    def open_by_hand(self, agent_id: str, user: str | None = None, *,
                     verdict: Verdict = Verdict.UNKNOWN) -> Incident:
        """The agent's open incident, or a new one opened by the engineer (a drill when
        the agent, whose verdict now is `verdict`, is healthy)."""
        existing = self.incidents.open_for(agent_id)
        if existing is not None:
            return existing
        agent = self.config.agent(agent_id)
        user = user or current_user()
        now = self.clock()
        incident, created = self.incidents.open_incident(
            agent_id=agent.id, agent_name=agent.name, at=now, opened_by=user, trigger="manual",
            verdict=verdict, dedup_key=self._dedup_key(agent_id),
        )
        if created:
            if agent_id in self._streak and not verdict.is_up:
                first_at, first_what = self._streak[agent_id]
                self.incidents.update(incident.id, first_failure_at=first_at,
                                      first_failure=first_what)
                self.incidents.add_event(incident.id, first_at, "first_failure",
                                         f"first failing run ({first_what})")
            kind = "drill" if verdict.is_up else "incident"
            self.incidents.add_event(incident.id, now, "opened",
                                     f"{kind} opened by hand while {verdict}", actor=user)
            self.changed(incident.id, agent_id)
        return self.incidents.get(incident.id)
