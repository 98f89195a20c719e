"""The paging policy: when a verdict change becomes a page, and what follows while the
page is open. Confirmation (`confirm` DOWN runs in a row before paging, `recover_after`
good runs before resolving), holds (a silence, a maintenance window, a parent agent DOWN,
confirmation not reached: logged as suppressed, paged once the hold ends if the agent is
still DOWN), flapping (one page, then quiet until stable), reminders while nobody
acknowledged (chat and email only) and escalation steps.

Two entry points, both run inside the alert center's write transaction with the page
rows they read and write: `on_transition` for each stored overall transition (the
center's cursor), `tick` for what time alone brings (a reminder, an escalation step, a
hold that ended, a confirmation reached by the latest run)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from ..history.records import Transition
from ..model import AgentConfig, RunResult, Verdict
from ..text import duration
from . import pages
from .holds import (
    Hold,
    flapping_changes,
    good_runs,
    hold_for,
    last_change_at,
    overall_verdict,
    quiet_hold,
)
from .outbox import SUPPRESSED, NewAlert
from .pages import PageRow
from .rules import Decision, PageState, Severity, decide_alert, dedup_key_for

if TYPE_CHECKING:
    import sqlite3

    from .center import AlertCenter

REMINDER_TYPES = ("slack", "email")  # a reminder never re-triggers PagerDuty


def page_channels(agent: AgentConfig, steps: int) -> tuple[str, ...]:
    """The channels a page reached once `steps` escalation steps fired."""
    names = list(agent.alerts.channels)
    for step in agent.alerts.escalation[:steps]:
        names += step.channels
    return tuple(dict.fromkeys(names))


def first_steps(agent: AgentConfig) -> int:
    """Escalation steps that fire with the page itself (`after: 0`)."""
    return sum(1 for s in agent.alerts.escalation if s.after <= 0)


def _severity(verdict: Verdict) -> Severity:
    return "critical" if verdict is Verdict.DOWN else "warning"


def _at_least(current: Verdict, held: Verdict | None) -> bool:
    if held is Verdict.DOWN:
        return current is Verdict.DOWN
    if held is Verdict.DEGRADED:
        return current in (Verdict.DEGRADED, Verdict.DOWN)
    return False


class PagingPolicy:
    """Decisions for one AlertCenter (its config, connection, facts and fan-out)."""

    def __init__(self, center: AlertCenter) -> None:
        self.center = center
        self._agents = {a.id: a for a in center.config.agents}

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = self.center.conn
        return conn

    # ------------------------------------------------------------------ transitions

    def on_transition(self, agent: AgentConfig, t: Transition, result: RunResult | None,
                      now: float) -> list[NewAlert]:
        row = pages.read(self.conn, agent.id)
        previous, current = Verdict(t.previous), Verdict(t.current)
        if row.flapping_since is not None:
            return []  # quiet until stable: `tick` ends it and settles the page
        flapping = agent.alerts.flapping
        if flapping.changes and previous.is_known and current.is_known:
            changes = flapping_changes(self.conn, agent.id, t.at - flapping.window, t.at)
            if len(changes) >= flapping.changes:
                row, flapping_page = self._start_flapping(agent, row, changes, t, result, now)
                pages.write(self.conn, row, now)
                return flapping_page
        decision, state = decide_alert(agent.id, agent.alerts, row.page, previous, current,
                                       t.at)
        out: list[NewAlert] = []
        if row.held and current.is_known and not _at_least(current, row.held_verdict):
            row = row.released()  # it got better before the page went out: nothing to say
        if row.recovering_since is not None and current.is_known and not current.is_up:
            row = replace(row, recovering_since=None)  # worse again: the page stays open
        if decision is None:
            row = row.with_page(state)
        elif decision.event == "trigger" and not decision.escalation:
            hold = hold_for(self.conn, self.center.config, agent, current, now)
            if hold is None:
                row, out = self._open(agent, row, state, decision, previous, current, t.at,
                                      result, t.id, now)
            else:
                row, out = self._hold(agent, row, hold, current, previous, t.at, result, now)
        elif decision.event == "trigger":  # DEGRADED page turning DOWN: same key, at once
            row = row.with_page(state)
            facts = self.center._facts(agent, decision, previous, current, t.at, result)
            out = self.center._fan_out(agent, facts, decision, t.id,
                                       names=page_channels(agent, row.escalation_step))
        else:  # resolve
            if agent.alerts.recover_after > 1 and good_runs(self.conn, agent) < \
                    agent.alerts.recover_after:
                row = replace(row, recovering_since=t.at)
            else:
                out = self._resolve_alerts(agent, row, decision, previous, current, t.at,
                                           result, t.id)
                row = row.with_page(state)
        pages.write(self.conn, row, now)
        return out

    def _open(self, agent: AgentConfig, row: PageRow, state: PageState, decision: Decision,
              previous: Verdict | str | None, current: Verdict, at: float,
              result: RunResult | None, transition_id: int | None,
              now: float) -> tuple[PageRow, list[NewAlert]]:
        row = replace(row.with_page(state), escalation_step=first_steps(agent)).released()
        facts = self.center._facts(agent, decision, previous, current, at, result)
        return row, self.center._fan_out(agent, facts, decision, transition_id,
                                         names=page_channels(agent, row.escalation_step))

    def _hold(self, agent: AgentConfig, row: PageRow, hold: Hold, current: Verdict,
              previous: Verdict | str | None, at: float, result: RunResult | None,
              now: float) -> tuple[PageRow, list[NewAlert]]:
        """Keep the page back; the alert log shows it suppressed, once per reason."""
        out: list[NewAlert] = []
        if row.held_kind != hold.kind or row.held_verdict is not current:
            out = self._suppressed(agent, hold, current, previous, at, result)
        since = row.held_since if row.held and row.held_verdict is current else at
        prev = row.held_previous if row.held and row.held_verdict is current else previous
        row = replace(row, held=hold.reason, held_kind=hold.kind, held_verdict=current,
                      held_previous=str(prev) if prev is not None else None,
                      held_since=since)
        return row, out

    def _start_flapping(self, agent: AgentConfig, row: PageRow, changes: list[Verdict],
                        t: Transition, result: RunResult | None,
                        now: float) -> tuple[PageRow, list[NewAlert]]:
        """One page saying the agent flaps (when its changes reach a verdict that pages),
        on the open page's key if there is one; then quiet until stable."""
        rules = agent.alerts
        worst = Verdict.DOWN if Verdict.DOWN in changes else Verdict.DEGRADED
        pages_it = (worst is Verdict.DOWN and rules.on_down) or (
            Verdict.DEGRADED in changes and rules.on_degraded)
        row = replace(row.released(), flapping_since=t.at, recovering_since=None)
        if not pages_it:
            return row, []
        text = (f"[FLAPPING] {agent.name} is flapping: {len(changes)} verdict changes in"
                f" {duration(rules.flapping.window)}; quiet until stable for"
                f" {duration(rules.flapping.stable_for)}")
        hold = quiet_hold(self.conn, self.center.config, agent, now)
        if hold is not None:
            out = self._suppressed(agent, hold, worst, Verdict(t.previous), t.at, result)
            return row, [replace(a, facts=replace(a.facts, text=text)) for a in out]
        if row.is_open and row.dedup_key and row.started_at is not None:
            key, started = row.dedup_key, row.started_at
        else:
            key, started = dedup_key_for(agent.id, t.at), t.at
            state = PageState(key, worst, started)
            row = replace(row.with_page(state), escalation_step=first_steps(agent),
                          flapping_since=t.at)
        decision = Decision("trigger", _severity(worst), key, started)
        facts = self.center._facts(agent, decision, Verdict(t.previous), Verdict(t.current),
                                   t.at, result)
        facts = replace(facts, text=text, details={**facts.details, "flapping": True})
        return row, self.center._fan_out(agent, facts, decision, t.id,
                                         names=page_channels(agent, row.escalation_step))

    def _suppressed(self, agent: AgentConfig, hold: Hold, current: Verdict,
                    previous: Verdict | str | None, at: float,
                    result: RunResult | None) -> list[NewAlert]:
        key = dedup_key_for(agent.id, at)
        d = Decision("trigger", _severity(current), key, at)
        facts = self.center._facts(agent, d, previous, current, at, result)
        facts = replace(facts, details={**facts.details, "suppressed": hold.reason})
        alerts = self.center._fan_out(agent, facts, d, None,
                                      names=page_channels(agent, first_steps(agent)))
        return [replace(a, status=SUPPRESSED, note=hold.reason) for a in alerts]

    def _resolve_alerts(self, agent: AgentConfig, row: PageRow, decision: Decision,
                        previous: Verdict | str | None, current: Verdict, at: float,
                        result: RunResult | None, transition_id: int | None) -> list[NewAlert]:
        facts = self.center._facts(agent, decision, previous, current, at, result)
        return self.center._fan_out(agent, facts, decision, transition_id,
                                    names=page_channels(agent, row.escalation_step))

    # ------------------------------------------------------------------ time

    def due(self, rows: Mapping[str, PageRow], now: float) -> bool:
        """Whether `tick` has anything to look at (read without a write transaction, so
        a quiet tick costs one small read)."""
        for agent_id, row in rows.items():
            agent = self._agents.get(agent_id)
            if agent is None:  # removed from the config since
                continue
            if row.held or row.recovering_since is not None or row.flapping_since is not None:
                return True
            if row.is_open and row.acked_at is None and (
                    agent.alerts.remind_every is not None
                    or row.escalation_step < len(agent.alerts.escalation)):
                return True
        return False

    def tick(self, now: float, results: Mapping[str, RunResult]) -> list[NewAlert]:
        out: list[NewAlert] = []
        for agent in self.center.config.agents:
            row = pages.read(self.conn, agent.id)
            before = row
            row, alerts = self._tick_agent(agent, row, now, results.get(agent.id))
            out += alerts
            if row != before:
                pages.write(self.conn, row, now)
        return out

    def _tick_agent(self, agent: AgentConfig, row: PageRow, now: float,
                    result: RunResult | None) -> tuple[PageRow, list[NewAlert]]:
        out: list[NewAlert] = []
        current = overall_verdict(self.conn, agent.id)
        if row.flapping_since is not None:
            last = last_change_at(self.conn, agent.id) or row.flapping_since
            if now - max(last, row.flapping_since) < agent.alerts.flapping.stable_for:
                return row, []
            row = replace(row, flapping_since=None)
            if row.is_open and current.is_up:
                # Stable and good: the flapping page resolves (recovered at the last change).
                row = replace(row, recovering_since=last)
            elif not row.is_open and current is Verdict.DOWN and agent.alerts.on_down:
                # Stable and DOWN: it pages as any DOWN does (holds apply).
                row = replace(row, held="stable again, still DOWN", held_kind="flapping",
                              held_verdict=Verdict.DOWN, held_previous=None, held_since=last)
        if row.held and row.held_verdict is not None:
            if current.is_known and not _at_least(current, row.held_verdict):
                row = row.released()
            elif current.is_known:
                row, out = self._retry_hold(agent, row, current, now, result)
        if row.recovering_since is not None and row.is_open:
            if current.is_up and good_runs(self.conn, agent) >= agent.alerts.recover_after:
                row, alerts = self._resolve_now(agent, row, current, result)
                out += alerts
            elif current.is_known and not current.is_up:
                row = replace(row, recovering_since=None)
        if row.is_open and row.acked_at is None and row.alerted is Verdict.DOWN \
                and current is Verdict.DOWN:
            row, alerts = self._follow_up(agent, row, now, result)
            out += alerts
        return row, out

    def _retry_hold(self, agent: AgentConfig, row: PageRow, current: Verdict, now: float,
                    result: RunResult | None) -> tuple[PageRow, list[NewAlert]]:
        verdict = row.held_verdict or current
        since = row.held_since if row.held_since is not None else now
        hold = hold_for(self.conn, self.center.config, agent, verdict, now)
        if hold is not None:
            return self._hold(agent, row, hold, verdict, row.held_previous, since, result, now)
        # The hold ended with the agent still there: page now, once.
        key = dedup_key_for(agent.id, since)
        decision = Decision("trigger", _severity(verdict), key, since)
        state = PageState(key, verdict, since)
        was, kind = row.held, row.held_kind
        row, out = self._open(agent, row, state, decision, row.held_previous, verdict, now,
                              result, None, now)
        if was and kind != "confirm":  # say what held it (a silence, the parent)
            out = [replace(a, facts=replace(a.facts, details={**a.facts.details,
                                                              "held": was}))
                   for a in out]
        return row, out

    def _resolve_now(self, agent: AgentConfig, row: PageRow, current: Verdict,
                     result: RunResult | None) -> tuple[PageRow, list[NewAlert]]:
        started = row.started_at if row.started_at is not None else row.recovering_since
        at = row.recovering_since or 0.0
        out: list[NewAlert] = []
        if agent.alerts.on_recovery and row.dedup_key:
            decision = Decision("resolve", "info", row.dedup_key, started or at,
                                duration_s=max(0.0, at - (started or at)))
            out = self._resolve_alerts(agent, row, decision, row.alerted, current, at,
                                       result, None)
        return row.with_page(PageState()), out

    def _follow_up(self, agent: AgentConfig, row: PageRow, now: float,
                   result: RunResult | None) -> tuple[PageRow, list[NewAlert]]:
        """Escalation steps and reminders of an open DOWN page nobody acknowledged (none
        while a silence or maintenance window covers the agent)."""
        rules = agent.alerts
        started = row.started_at or now
        steps = rules.escalation
        wants_step = row.escalation_step < len(steps) and \
            now - started >= steps[row.escalation_step].after
        wants_reminder = rules.remind_every is not None and \
            now - (row.reminded_at or started) >= rules.remind_every
        if not (wants_step or wants_reminder):
            return row, []
        if quiet_hold(self.conn, self.center.config, agent, now) is not None:
            return row, []
        out: list[NewAlert] = []
        open_for = duration(now - started)
        while row.escalation_step < len(steps) and now - started >= steps[row.escalation_step].after:
            step = steps[row.escalation_step]
            n = row.escalation_step + 1
            text = (f"[DOWN] {agent.name} is DOWN for {open_for}, not acknowledged:"
                    f" escalated (step {n})")
            decision = Decision("trigger", "critical", row.dedup_key or "", started)
            facts = self.center._facts(agent, decision, None, Verdict.DOWN, now, result)
            facts = replace(facts, text=text, details={**facts.details, "escalation_step": n})
            already = set(page_channels(agent, row.escalation_step))
            names = tuple(c for c in step.channels if c not in already)
            out += self.center._fan_out(agent, facts, decision, None, names=names)
            row = replace(row, escalation_step=n)
        if wants_reminder:
            text = (f"[REMINDER] {agent.name} is still DOWN after {open_for},"
                    f" not acknowledged")
            decision = Decision("trigger", "critical", row.dedup_key or "", started)
            facts = self.center._facts(agent, decision, None, Verdict.DOWN, now, result)
            facts = replace(facts, event="remind", text=text)
            out += self.center._fan_out(agent, facts, None, None,
                                        names=page_channels(agent, row.escalation_step),
                                        types=REMINDER_TYPES)
            row = replace(row, reminded_at=now)
        return row, out

    # ------------------------------------------------------------------ acknowledge

    def acknowledge(self, agent: AgentConfig, by: str | None, note: str | None,
                    now: float) -> bool:
        """Record who acknowledged the open page (the first one counts): reminders and
        escalation stop. False when no page is open or it was acknowledged already."""
        row = pages.read(self.conn, agent.id)
        if not row.is_open or row.acked_at is not None:
            return False
        pages.write(self.conn, replace(row, acked_at=now, acked_by=by, ack_note=note), now)
        return True
