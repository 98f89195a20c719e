"""Incidents open when an agent goes DOWN, keep a truthful timeline over a real store, survive
restarts, and end in a document that reads like a careful postmortem."""

from __future__ import annotations

import pytest
from incident_fixtures import OK, agent, make_run

from agentstatus_tui.engine.events import AlertChanged
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.incidents.checklist import Checklist
from agentstatus_tui.engine.incidents.document import render
from agentstatus_tui.engine.incidents.store import VERIFY, IncidentStore
from agentstatus_tui.engine.incidents.tracker import IncidentTracker
from agentstatus_tui.engine.model import Config, Region, Verdict

T0 = 1_790_000_000.0  # a fixed clock
SECRET = "sk-live-very-secret-token"


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
def config() -> Config:
    return Config(
        agents=(agent("search", "Search Agent"), agent("billing", "Billing Helper", on_degraded=True)),
        regions={"us": Region("us"), "eu": Region("eu")},
        secrets=frozenset({SECRET}),
    )


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "agentstatus.db")
    yield s
    s.close()


def feed(store: Store, tracker: IncidentTracker, clock: Clock, run) -> None:
    clock.t = run.finished_at
    store.record_run(run)
    tracker.process({run.agent_id: run})


UP = {"us": [OK] * 5, "eu": [OK] * 5}
DOWN_503 = {"us": ["HTTP_503"] * 5, "eu": ["HTTP_503"] * 5}
FLAKY = {"us": [OK] * 4 + ["HTTP_503"], "eu": [OK] * 5}


def test_down_opens_one_incident_with_first_failing_run_and_detection(config, store) -> None:
    clock = Clock()
    tracker = IncidentTracker(config, store, clock=clock)
    feed(store, tracker, clock, make_run("search", T0, UP))
    assert tracker.incidents.open_for("search") is None
    feed(store, tracker, clock, make_run("search", T0 + 60, FLAKY))  # DEGRADED: no incident
    assert tracker.incidents.open_for("search") is None
    feed(store, tracker, clock, make_run("search", T0 + 120, DOWN_503))
    inc = tracker.incidents.open_for("search")
    assert inc is not None
    assert inc.trigger == "DOWN" and inc.opened_by == "monitor"
    # Trouble began with the flaky run a minute before the DOWN.
    assert inc.first_failure_at == T0 + 60
    assert inc.first_failure == "us: HTTP_503"
    assert inc.detected_at == T0 + 121
    # More DOWN runs, a brief UNKNOWN and DOWN again stay one incident.
    feed(store, tracker, clock, make_run("search", T0 + 180, DOWN_503))
    store.mark_unknown("search", T0 + 200)
    tracker.process({})
    feed(store, tracker, clock, make_run("search", T0 + 240, DOWN_503))
    assert len(tracker.incidents.incidents()) == 1
    inc = tracker.incidents.get(inc.id)
    assert inc.runs == 3 and inc.requests == 30 and inc.requests_failed == 30
    kinds = [e.kind for e in tracker.incidents.timeline(inc.id)]
    assert kinds[:2] == ["first_failure", "detected"]
    assert kinds.count("verdict") == 2  # DOWN → UNKNOWN → DOWN


def test_degraded_opens_only_with_on_degraded(config, store) -> None:
    clock = Clock()
    tracker = IncidentTracker(config, store, clock=clock)
    feed(store, tracker, clock, make_run("search", T0, FLAKY))
    feed(store, tracker, clock, make_run("billing", T0, FLAKY))
    assert tracker.incidents.open_for("search") is None
    inc = tracker.incidents.open_for("billing")
    assert inc is not None and inc.trigger == "DEGRADED"


def test_recovery_completes_verify_and_a_relapse_reopens_it(config, store) -> None:
    clock = Clock()
    tracker = IncidentTracker(config, store, clock=clock)
    feed(store, tracker, clock, make_run("search", T0, DOWN_503))
    inc = tracker.incidents.open_for("search")
    assert not tracker.incidents.steps(inc.id)[VERIFY].done
    # Up overall but one region slow beyond the SLA: not verified yet.
    slow = make_run("search", T0 + 60, UP, ttfb=3.0, manual=True)
    feed(store, tracker, clock, slow)
    assert not tracker.incidents.steps(inc.id)[VERIFY].done
    feed(store, tracker, clock, make_run("search", T0 + 120, UP, manual=True))
    assert tracker.incidents.steps(inc.id)[VERIFY].done
    inc = tracker.incidents.get(inc.id)
    assert inc.recovered_at is not None
    texts = [e.text for e in tracker.incidents.timeline(inc.id)]
    assert any(t.startswith("manual run: REACHABLE (us REACHABLE 200ms") for t in texts)
    assert any(t.startswith("verified: REACHABLE in every region") for t in texts)
    feed(store, tracker, clock, make_run("search", T0 + 180, DOWN_503))
    assert not tracker.incidents.steps(inc.id)[VERIFY].done
    assert tracker.incidents.get(inc.id).recovered_at is None


def test_a_restart_resumes_without_reopening_or_replaying(config, store) -> None:
    clock = Clock()
    tracker = IncidentTracker(config, store, clock=clock)
    feed(store, tracker, clock, make_run("search", T0, DOWN_503))
    inc = tracker.incidents.open_for("search")
    Checklist(tracker, user="alice").go_to(inc.id, 4)
    again = IncidentTracker(config, store, clock=clock)
    again.process({})
    assert len(again.incidents.incidents()) == 1
    assert again.incidents.get(inc.id).current_step == 4
    assert len(again.incidents.timeline(inc.id)) == len(tracker.incidents.timeline(inc.id))


def test_first_start_does_not_open_incidents_for_old_history(config, store) -> None:
    store.record_run(make_run("search", T0 - 86400, DOWN_503))
    tracker = IncidentTracker(config, store, clock=Clock())
    tracker.process({})
    assert tracker.incidents.incidents() == []


def test_alerts_queued_before_the_incident_land_in_its_timeline(config, store) -> None:
    clock = Clock()
    tracker = IncidentTracker(config, store, clock=clock)
    clock.t = T0 + 1
    # The alert center queues the page just before the tracker sees the transition.
    tracker.on_alert_changed(AlertChanged(7, "search", "pagerduty", "trigger", "pending", 0))
    feed(store, tracker, clock, make_run("search", T0, DOWN_503))
    inc = tracker.incidents.open_for("search")
    clock.t = T0 + 3
    tracker.on_alert_changed(AlertChanged(7, "search", "pagerduty", "trigger", "pending", 1,
                                          "HTTP 500"))
    clock.t = T0 + 9
    tracker.on_alert_changed(AlertChanged(7, "search", "pagerduty", "trigger", "delivered", 2))
    tracker.on_alert_changed(AlertChanged(7, "search", "pagerduty", "trigger", "delivered", 2))
    alerts = [e.text for e in tracker.incidents.timeline(inc.id) if e.kind == "alert"]
    assert alerts == [
        "PagerDuty trigger queued",
        "PagerDuty trigger attempt 1 failed (HTTP 500); retrying",
        "PagerDuty trigger delivered",
    ]
    assert tracker.incidents.get(inc.id).alert_delivered_at == T0 + 9


def test_drill_on_a_healthy_agent_opens_by_hand(config, store) -> None:
    clock = Clock()
    tracker = IncidentTracker(config, store, clock=clock)
    inc = tracker.open_by_hand("search", "alice")
    assert inc.trigger == "manual" and inc.opened_by == "alice"
    assert tracker.open_by_hand("search", "bob").id == inc.id  # one open per agent


def test_document_has_every_section_with_the_right_durations(config, store, tmp_path) -> None:
    clock = Clock()
    tracker = IncidentTracker(config, store, clock=clock)
    desk = Checklist(tracker, user="alice", data_dir=tmp_path)
    feed(store, tracker, clock, make_run("search", T0, UP))
    feed(store, tracker, clock, make_run("search", T0 + 60, DOWN_503))  # first failing run
    inc = tracker.incidents.open_for("search")
    clock.t = T0 + 62
    tracker.on_alert_changed(AlertChanged(1, "search", "pagerduty", "trigger", "delivered", 1))
    clock.t = T0 + 62 + 150
    desk.acknowledge(inc.id, note=f"looking at app logs, token {SECRET}")
    desk.set_change(inc.id, "deployments", checked=True, note="v2.3.1 went out at 10:00")
    desk.set_root_cause(inc.id, key="app_error", text="bad deploy v2.3.1")
    feed(store, tracker, clock, make_run("search", T0 + 600, UP, manual=True))
    desk.add_followup(inc.id, "Add a canary stage to deploys")
    clock.t = T0 + 60 + 1200  # 20 minutes after the first failing run
    done = desk.resolve(inc.id, "rolled back to v2.3.0")
    text = done.document.read_text()
    assert done.document.parent == tmp_path / "incidents"
    for heading in ("# Incident #1: Search Agent DOWN", "## Summary", "## Impact",
                    "## Root cause", "## Detection", "## Response", "## Resolution",
                    "## Timeline", "## Follow-up actions"):
        assert heading in text
    assert "**Duration:** 20m" in text
    assert "**Detection time: 2s** (first failing run → alert delivered)" in text
    assert "**Time to acknowledge: 2m 30s** (from alert delivered)" in text
    assert "Application error: bad deploy v2.3.1." in text
    assert "Rolled back to v2.3.0." in text
    assert "**Outage:** 9m 01s" in text
    assert "Regions affected: eu (DOWN), us (DOWN)" in text
    assert "- Requests failed: 10 of 20 (50%) over 2 runs." in text
    assert "- [ ] Add a canary stage to deploys" in text
    assert "Deployments: v2.3.1 went out at 10:00" in text
    assert SECRET not in text
    # The store never held the secret either.
    dump = "\n".join(store.conn.iterdump())
    assert SECRET not in dump
    assert not tracker.incidents.get(inc.id).is_open


def test_secrets_are_redacted_even_from_old_records(config, store) -> None:
    # A record stored before the secret was in the config: the document still hides it.
    plain = IncidentStore(store.conn)
    inc, _ = plain.open_incident(agent_id="search", agent_name="Search Agent", at=T0,
                                 opened_by="alice", trigger="manual", verdict=Verdict.UP)
    plain.add_event(inc.id, T0, "note", f"pasted {SECRET} by mistake")
    text = render(plain.record(inc.id), now=T0 + 60, secrets=config.secrets)
    assert SECRET not in text and "pasted ••••••" in text
