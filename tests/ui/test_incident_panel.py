"""The incident panel end to end: a loopback agent goes down and comes back, PagerDuty and
Slack receivers on loopback, and an engineer walks all eight steps from the keyboard."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from agent_server import AgentServer, completion
from receivers import PAGERDUTY_OK, HttpReceiver

from agentstatus_tui.engine.incidents.store import VERIFY
from agentstatus_tui.engine.model import (
    AgentConfig,
    AlertRules,
    Config,
    DeliveryPolicy,
    PagerDutyChannel,
    Region,
    Runbook,
    SlackChannel,
)
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.engine.text import duration
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.screens.incident import IncidentScreen

TOKEN = "sk-search-agent-secret-4242"
ROUTING_KEY = "pd-routing-key-secret-9999"


class Switch:
    """The agent: 503 while `down`, a good chat completion otherwise."""

    def __init__(self) -> None:
        self.down = True

    async def __call__(self, request: web.Request, rec) -> web.StreamResponse:
        if self.down:
            return web.json_response({"error": "overloaded"}, status=503)
        return web.json_response(completion("Hello!"))


async def until(predicate, what: str, pilot=None, limit: float = 10.0) -> None:
    """Wait for something asynchronous to happen (delivery, a worker) - not a timing test."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not predicate():
        if loop.time() > end:
            raise AssertionError(f"never happened: {what}")
        if pilot is not None:
            await pilot.pause(0.05)
        else:
            await asyncio.sleep(0.05)


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)
    await pilot.press("enter")


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("AGENTSTATUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("USER", "alice")


async def test_walk_all_eight_steps_from_down_to_document(tmp_path) -> None:
    switch = Switch()
    async with AgentServer() as server, HttpReceiver() as pd, HttpReceiver() as slack:
        pd.default("/pd", PAGERDUTY_OK)
        url = server.route("/v1/chat/completions", switch)
        agent = AgentConfig(
            id="search", name="Search Agent", url=url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            header_templates={"Authorization": "Bearer ${SEARCH_TOKEN}"},
            regions=("us", "eu"), validations=4, retries=0, timeout=3.0,
            alerts=AlertRules(channels=("pager", "chat")),
            runbook=Runbook(contacts=("@alice",), rollback="kubectl rollout undo deploy/search",
                            common_issues={"HTTP 503": "scale the worker pool"}),
        )
        config = Config(
            agents=(agent,), regions={"us": Region("us"), "eu": Region("eu")},
            channels={"pager": PagerDutyChannel("pager", ROUTING_KEY, url=pd.url("/pd")),
                      "chat": SlackChannel("chat", slack.url("/slack"))},
            secrets=frozenset({TOKEN, ROUTING_KEY}), data_dir=str(tmp_path),
            delivery=DeliveryPolicy(group_wait=0.0),  # Slack posts go out at once
        )
        monitor = Monitor.open(config, data_dir=str(tmp_path))
        try:
            await monitor.run_now("search")  # DOWN: page, incident opened
            await monitor.alerts.deliver_pending()
            trigger = pd.at("/pd")[0].json
            assert trigger["event_action"] == "trigger"
            key = trigger["dedup_key"]
            tracker = monitor.incidents
            inc = tracker.incidents.open_for("search")
            assert inc is not None and inc.dedup_key == key

            app = AgentStatusApp(monitor, live=False)
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("i")
                screen = app.screen
                assert isinstance(screen, IncidentScreen)
                assert screen.incident_id == inc.id
                # 1 Acknowledge: PagerDuty and Slack, through the outbox
                await pilot.press("a", "p")
                await until(lambda: len(pd.at("/pd")) >= 2 and slack.at("/slack"),
                            "acknowledge and Slack post delivered", pilot)
                ack = pd.at("/pd")[1].json
                assert ack["event_action"] == "acknowledge" and ack["dedup_key"] == key
                assert any("Investigating Agent Status alert for Search Agent" in r.body.decode()
                           for r in slack.at("/slack"))
                await until(lambda: "delivered" in str(screen.query_one("#incident-step").render()),
                            "delivery status shown", pilot)
                # 2 Check dashboard → 3 Recent changes: tick deployments with a note
                await pilot.press("enter", "enter", "space", "e")
                await type_text(pilot, "nothing deployed today")
                # 4 Reproduce: send the request now
                await pilot.press("enter", "s")
                await until(lambda: screen.probe is not None, "probe answered", pilot)
                assert screen.probe.status == 503
                assert TOKEN not in screen.step_view(screen.record).curl
                assert "$SEARCH_TOKEN" in screen.step_view(screen.record).curl
                # 5 Root cause: the 5xx row is pre-selected; confirm it and add words
                await pilot.press("enter")
                assert screen.step == 5
                await pilot.press("space", "e")
                await type_text(pilot, "worker pool exhausted")
                # 6 Fix → 7 Verify: the agent recovers, a manual run verifies
                await pilot.press("enter", "enter")
                assert screen.step == 7
                switch.down = False
                await pilot.press("v")
                await until(lambda: screen.record.steps[VERIFY].done, "verify completes", pilot)
                # 8 Resolve: follow-up, then resolve with the resolution
                await pilot.press("enter", "f")
                await type_text(pilot, "alert on worker pool saturation")
                await pilot.press("r")
                await type_text(pilot, "restarted the worker pool")
                await until(lambda: any(r.json["event_action"] == "resolve" for r in pd.at("/pd")),
                            "PagerDuty resolve delivered", pilot)
                await until(lambda: any("Resolved: Search Agent" in r.body.decode()
                                        for r in slack.at("/slack")), "Slack summary", pilot)
                resolve = next(r.json for r in pd.at("/pd") if r.json["event_action"] == "resolve")
                assert resolve["dedup_key"] == key
                summary = next(r.body.decode() for r in slack.at("/slack")
                               if "Resolved: Search Agent" in r.body.decode())
                assert "worker pool exhausted" in summary and "restarted the worker pool" in summary
                record = screen.record
                await pilot.press("escape")
                assert not isinstance(app.screen, IncidentScreen)
        finally:
            await monitor.stop()

    inc = record.incident
    assert not inc.is_open and inc.acknowledged_by == "alice"
    doc = Path(inc.document_path).read_text()
    assert Path(inc.document_path).parent == tmp_path / "incidents"
    for heading in ("## Summary", "## Impact", "## Root cause", "## Detection", "## Response",
                    "## Resolution", "## Timeline", "## Follow-up actions"):
        assert heading in doc
    assert f"**Duration:** {duration(inc.resolved_at - inc.started_at, exact=True)}" in doc
    ack = duration(inc.acknowledged_at - inc.alert_delivered_at, exact=True)
    assert f"**Time to acknowledge: {ack}**" in doc
    detection = duration(inc.alert_delivered_at - inc.first_failure_at, exact=True)
    assert f"**Detection time: {detection}**" in doc
    assert "Application error: worker pool exhausted." in doc
    assert "Restarted the worker pool." in doc
    assert "Deployments: nothing deployed today" in doc
    assert "- [ ] alert on worker pool saturation" in doc
    assert "sent the request from us: HTTP 503" in doc
    for secret in (TOKEN, ROUTING_KEY):
        assert secret not in doc
    kinds = [e.kind for e in record.timeline]
    for kind in ("first_failure", "detected", "alert", "acknowledged", "changes", "reproduce",
                 "root_cause", "run", "verified", "resolved", "document"):
        assert kind in kinds, kind


async def test_reopening_the_panel_resumes_at_the_same_step(tmp_path) -> None:
    agent = AgentConfig(id="billing", name="Billing Helper", url="http://127.0.0.1:9/x",
                        regions=("us",))
    config = Config(agents=(agent,), regions={"us": Region("us")})
    monitor = Monitor.open(config, data_dir=str(tmp_path))
    try:
        app = AgentStatusApp(monitor, live=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("i")
            await pilot.press("4")
            assert app.screen.step == 4
            # A key of another step does nothing; it must not reach the dashboard (pause).
            await pilot.press("p")
            assert not monitor.states["billing"].paused
            await pilot.press("escape", "i")
            assert app.screen.step == 4
        # A new process over the same file: still step 4, same incident.
        again = Monitor.open(config, data_dir=str(tmp_path))
        try:
            app2 = AgentStatusApp(again, live=False)
            async with app2.run_test(size=(80, 24)) as pilot:
                await pilot.press("i")
                assert app2.screen.step == 4
                assert len(again.incidents.incidents.incidents()) == 1
        finally:
            await again.stop()
    finally:
        await monitor.stop()
