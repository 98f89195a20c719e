"""Snapshots of the incident panel with fixed data and a fixed clock (no network, no timers)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from incident_fixtures import make_run

from agentstatus_tui.engine.events import AlertChanged
from agentstatus_tui.engine.incidents.checklist import Checklist
from agentstatus_tui.engine.incidents.tracker import IncidentTracker
from agentstatus_tui.engine.model import AgentConfig, AlertRules, Config, Region, Runbook, Verdict
from agentstatus_tui.engine.monitor import LocalTransition, Monitor
from agentstatus_tui.engine.probe.prober import ProbeReply
from agentstatus_tui.ui.app import AgentStatusApp

T0 = 1_795_000_000.0 - (1_795_000_000.0 % 86400) + 10 * 3600 + 3 * 60 + 12  # 10:03:12 UTC
NOW = T0 + 12 * 60 + 30


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("USER", "alice")
    time.tzset()


def build_app() -> AgentStatusApp:
    agent = AgentConfig(
        id="search", name="Search Agent", url="https://search.example.com/v1/chat/completions",
        headers={"Authorization": "Bearer sk-not-shown-123456"},
        header_templates={"Authorization": "Bearer ${SEARCH_AGENT_TOKEN}"},
        regions=("us", "eu"), alerts=AlertRules(channels=("pagerduty",)),
        runbook=Runbook(contacts=("@alice (primary)",), rollback="kubectl rollout undo deploy/search",
                        common_issues={"HTTP 503": "scale the worker pool"}),
    )
    other = AgentConfig(id="support", name="Support Bot", url="https://support.example.com/v1/chat/completions",
                        regions=("us", "eu"))
    config = Config(agents=(agent, other), regions={"us": Region("us"), "eu": Region("eu")},
                    secrets=frozenset({"sk-not-shown-123456"}))
    clock = lambda: NOW  # noqa: E731
    monitor = Monitor(config, clock=clock)
    tracker = IncidentTracker(config, None, monitor, clock=clock)
    monitor.incidents = tracker
    first = make_run("search", T0, {"us": ["HTTP_503"] * 5, "eu": ["HTTP_503"] * 5})
    st = monitor.states["search"]
    st.last, st.verdict, st.since = first, Verdict.DOWN, T0 + 1
    st.region_verdicts = {n: s.verdict for n, s in first.regions.items()}
    st.last_failure = first.last_failure()
    st.transitions.insert(0, LocalTransition(1, "search", None, T0 + 1, Verdict.UP, Verdict.DOWN))
    up = make_run("support", T0, {"us": [None] * 5, "eu": [None] * 5})
    st2 = monitor.states["support"]
    st2.last, st2.verdict, st2.since = up, up.verdict, T0 - 3600
    tracker.process({"search": first})
    inc = tracker.incidents.open_for("search")
    tracker.on_alert_changed(AlertChanged(1, "search", "pagerduty", "trigger", "delivered", 1))
    desk = Checklist(tracker, user="alice")
    desk.acknowledge(inc.id, note="looking at app logs")
    desk.next_step(inc.id)
    desk.next_step(inc.id)
    desk.go_to(inc.id, 4)
    return AgentStatusApp(monitor, clock=clock, live=False)


async def open_panel(pilot) -> None:
    await pilot.press("i")
    screen = pilot.app.screen
    screen.probe = ProbeReply(region="us", status=503, ttfb=0.081, elapsed=0.084,
                              headers={"content-type": "application/json"},
                              body_snippet='{"error": "overloaded"}', error="HTTP_503")
    screen.refresh_all()
    await pilot.pause()


def test_panel_80x24(snap_compare) -> None:
    assert snap_compare(build_app(), run_before=open_panel, terminal_size=(80, 24))


def test_panel_120x40(snap_compare) -> None:
    assert snap_compare(build_app(), run_before=open_panel, terminal_size=(120, 40))


def test_root_cause_step_120x40(snap_compare) -> None:
    async def root_cause(pilot) -> None:
        await open_panel(pilot)
        await pilot.press("5")
        await pilot.pause()

    assert snap_compare(build_app(), run_before=root_cause, terminal_size=(120, 40))
