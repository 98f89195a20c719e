"""Snapshots of the incident panel with fixed data and a fixed clock (no network, no timers):
a real Monitor over a store in a temporary data dir, fed fixed runs."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from incident_fixtures import make_run

from agentstatus_tui.engine.events import AlertChanged
from agentstatus_tui.engine.incidents.checklist import Checklist
from agentstatus_tui.engine.model import AgentConfig, AlertRules, Config, Region, Runbook
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.engine.probe.prober import ProbeReply
from agentstatus_tui.ui.app import AgentStatusApp

T0 = 1_795_000_000.0 - (1_795_000_000.0 % 86400) + 10 * 3600 + 3 * 60 + 12  # 10:03:12 UTC
NOW = T0 + 12 * 60 + 30


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("USER", "alice")
    time.tzset()


@pytest.fixture
def build_app(tmp_path: Path) -> Iterator[Callable[[], AgentStatusApp]]:
    """Builds the app over a fresh Monitor (one per call), all closed after the test."""
    opened: list[Monitor] = []

    def build() -> AgentStatusApp:
        monitor = Monitor.open(fixed_config(), data_dir=str(tmp_path / f"data{len(opened)}"),
                               clock=lambda: NOW)
        opened.append(monitor)
        asyncio.run(seed(monitor))
        return AgentStatusApp(monitor, clock=lambda: NOW, live=False)

    yield build
    for monitor in opened:
        asyncio.run(monitor.stop())


def fixed_config() -> Config:
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
    return Config(agents=(agent, other), regions={"us": Region("us"), "eu": Region("eu")},
                  secrets=frozenset({"sk-not-shown-123456"}))


async def seed(monitor: Monitor) -> None:
    """Search Agent UP, then DOWN at T0 + 1 (the incident opens), its PagerDuty trigger
    delivered, acknowledged with a note, and the checklist at step 4."""
    healthy = {"us": [None] * 5, "eu": [None] * 5}
    await monitor.accept(make_run("search", T0 - 60, healthy, gold=healthy))
    await monitor.accept(make_run("search", T0, {"us": ["HTTP_503"] * 5, "eu": ["HTTP_503"] * 5}))
    await monitor.accept(make_run("support", T0, healthy))
    tracker = monitor.incidents
    inc = tracker.incidents.open_for("search")
    assert inc is not None
    tracker.on_alert_changed(AlertChanged(1, "search", "pagerduty", "trigger", "delivered", 1))
    desk = Checklist(tracker, user="alice")
    desk.acknowledge(inc.id, note="looking at app logs")
    desk.next_step(inc.id)
    desk.next_step(inc.id)
    desk.go_to(inc.id, 4)


async def open_panel(pilot) -> None:
    await pilot.press("i")
    screen = pilot.app.screen
    screen.probe = ProbeReply(region="us", status=503, ttfb=0.081, elapsed=0.084,
                              headers={"content-type": "application/json"},
                              body_snippet='{"error": "overloaded"}', error="HTTP_503")
    screen.refresh_all()
    await pilot.pause()


def test_panel_80x24(snap_compare, build_app) -> None:
    assert snap_compare(build_app(), run_before=open_panel, terminal_size=(80, 24))


def test_panel_120x40(snap_compare, build_app) -> None:
    assert snap_compare(build_app(), run_before=open_panel, terminal_size=(120, 40))


def test_root_cause_step_120x40(snap_compare, build_app) -> None:
    async def root_cause(pilot) -> None:
        await open_panel(pilot)
        await pilot.press("5")
        await pilot.pause()

    assert snap_compare(build_app(), run_before=root_cause, terminal_size=(120, 40))


def test_root_cause_step_80x24(snap_compare, build_app) -> None:
    """Symptoms alone in the table, the selected row's cause under it: nothing wraps."""
    async def root_cause(pilot) -> None:
        await open_panel(pilot)
        await pilot.press("5")
        await pilot.pause()

    assert snap_compare(build_app(), run_before=root_cause, terminal_size=(80, 24))


def test_resolve_step_80x24(snap_compare, build_app) -> None:
    """The step with the most keys: the footer still fits 80 columns."""
    async def resolve(pilot) -> None:
        await open_panel(pilot)
        await pilot.press("8")
        await pilot.pause()

    assert snap_compare(build_app(), run_before=resolve, terminal_size=(80, 24))
