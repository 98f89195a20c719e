"""Dashboards attached to a real daemon (`App.run_test` over `RemoteMonitor`): many
dashboards, one poller; `r` in one shows in all; a daemon killed with SIGKILL leaves the
dashboards saying so, and they come back when a new daemon answers on the socket."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from agent_server import AgentServer, Reply
from serve_process import ServeProcess, agents_config

from agentstatus_tui.client.remote import RemoteMonitor
from agentstatus_tui.client.target import Target
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.textual_private import notifications

pytestmark = pytest.mark.timeout(120)

VALIDATIONS = 2  # requests per run (agents_config's defaults)


async def until(pilots: list[Any], cond: Callable[[], bool], limit: float = 40.0,
                what: str = "condition") -> None:
    """Let the apps run until `cond` holds (the limit only stops a broken test hanging)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        for pilot in pilots:
            await pilot.pause(0.05)


def config_text(agents: AgentServer) -> str:
    return agents_config({"steady": agents.url("/ok")}, interval="1h")


async def attach(d: ServeProcess) -> RemoteMonitor:
    return await RemoteMonitor.attach(Target(socket=d.socket), retry=(0.05, 0.5))


async def test_two_dashboards_one_poller_and_r_shows_in_both(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        async with ServeProcess(tmp_path, config_text(agents), tcp=False, socket=True) as d:
            first_round = len(agents.received("/ok"))
            assert first_round == VALIDATIONS  # the daemon's first round, before any dashboard
            a_api, b_api = await attach(d), await attach(d)
            a, b = AgentStatusApp(a_api), AgentStatusApp(b_api)
            async with a.run_test(size=(100, 30)) as pa, b.run_test(size=(100, 30)) as pb:
                pilots = [pa, pb]
                await until(pilots, lambda: a.header.text("where") == "attached: api.sock"
                            and b.header.text("where") == "attached: api.sock", what="header")
                assert "attached: api.sock" in b.header.shown()
                before = b.snapshots["steady"].last
                assert before is not None and not before.manual
                await pa.press("r")
                await until(pilots, lambda: (b.snapshots["steady"].last or before).manual,
                            what="the run pressed in A shown in B")
                await until(pilots, lambda: (a.snapshots["steady"].last or before).manual,
                            what="the run shown in A")
                assert b.grid.cell_text("steady", "verdict") == "UP·"
                # Two dashboards open, one run asked for: the agent saw the daemon's
                # first round and that one run, nothing from the dashboards themselves.
                assert len(agents.received("/ok")) == first_round + VALIDATIONS


async def test_daemon_killed_then_back_on_the_same_socket(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        d = await ServeProcess(tmp_path, config_text(agents), tcp=False, socket=True).start()
        try:
            api = await attach(d)
            app = AgentStatusApp(api)
            async with app.run_test(size=(100, 30)) as pilot:
                pilots = [pilot]
                await until(pilots, lambda: app.header.text("where") == "attached: api.sock")
                assert app.grid.cell_style("steady", "verdict") == "verdict--up"
                await d.stop(signal.SIGKILL)
                await until(pilots, lambda: "disconnected" in app.header.text("alerts"),
                            what="the header saying disconnected")
                assert "retrying" in app.header.text("alerts")
                # The rows stay, in the UNKNOWN style: the last word, no longer known.
                assert app.grid.cell_text("steady", "verdict") == "UP·"
                assert app.grid.cell_style("steady", "verdict") == "verdict--unknown"
                # A key that needs the daemon says so instead of failing.
                await pilot.press("r")
                await until(pilots, lambda: any("Not connected" in n.message
                                                for n in notifications(app)),
                            what="the toast")
                await pilot.press("p")
                await until(pilots, lambda: sum("Not connected" in n.message
                                                for n in notifications(app)) >= 2,
                            what="the pause toast")
                assert app.is_running
                resyncs = api.resyncs
                # The agent broke while nobody could tell the dashboard, and a new daemon
                # answers on the same socket (the killed one left its file behind).
                agents.route("/ok", Reply("boom", status=500))
                d = await ServeProcess(tmp_path, config_text(agents), tcp=False,
                                       socket=True).start()
                await until(pilots, lambda: api.connection.connected and api.resyncs > resyncs,
                            what="reattached")
                # Its DOWN, missed or not, is announced as a local dashboard would.
                await until(pilots, lambda: any(n.title == "DOWN" for n in notifications(app)),
                            what="the DOWN toast")
                await until(pilots, lambda: "disconnected" not in app.header.text("alerts"),
                            what="the header back to normal")
                assert app.grid.cell_style("steady", "verdict") == "verdict--down"
                # Events flow again: a run asked for now shows.
                await pilot.press("r")
                await until(pilots, lambda: (app.snapshots["steady"].last is not None
                                             and app.snapshots["steady"].last.manual),
                            what="a manual run after reattaching")
        finally:
            if d.proc is not None and d.proc.returncode is None:
                await d.stop()


async def test_incident_checklist_through_the_daemon(tmp_path: Path):
    from agentstatus_tui.ui.screens.alerts import AlertsScreen
    from agentstatus_tui.ui.screens.history import HistoryScreen
    from agentstatus_tui.ui.screens.incident import IncidentScreen
    from agentstatus_tui.ui.widgets.incident_steps import render

    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        agents.route("/bad", Reply("boom", status=500))
        text = agents_config({"flaky": agents.url("/bad")}, interval="1h")
        async with ServeProcess(tmp_path, text, tcp=False, socket=True) as d:
            api = await attach(d)
            app = AgentStatusApp(api)
            async with app.run_test(size=(120, 40)) as pilot:
                pilots = [pilot]
                await until(pilots, lambda: app.grid.cell_text("flaky", "verdict") == "DOWN")
                # History and the alert log read through the daemon too.
                await pilot.press("h")
                await until(pilots, lambda: isinstance(app.screen, HistoryScreen)
                            and app.screen._outages.row_count == 1, what="the history")
                await pilot.press("escape", "a")
                await until(pilots, lambda: isinstance(app.screen, AlertsScreen))
                await pilot.press("escape")
                await until(pilots, lambda: not isinstance(app.screen, AlertsScreen))
                await pilot.press("i")
                await until(pilots, lambda: isinstance(app.screen, IncidentScreen))
                screen = app.screen
                assert isinstance(screen, IncidentScreen)
                await pilot.press("a")
                await until(pilots, lambda: screen.record.incident.acknowledged_at is not None,
                            what="acknowledged through the daemon")
                await pilot.press("7")
                await until(pilots, lambda: screen.step == 7)
                step = render(7, screen.step_view(screen.record)).plain
                # The seed's step 7 against this daemon, the token left to the shell (the
                # command is wrapped to the width, each line but the last ending in `\`).
                command = " ".join(step.replace("\\\n", " ").split())
                assert (f"curl -X POST --unix-socket {d.socket} "
                        "http://localhost/api/v1/agents/flaky/run") in command
                assert '"Authorization: Bearer $AGENTSTATUS_API_KEY"' in step
                # Verify runs the agent through the daemon.
                before = len(agents.received("/bad"))
                await pilot.press("v")
                await until(pilots, lambda: len(agents.received("/bad")) > before
                            and not screen.verifying, what="the verify run")
                agents.route("/bad", Reply("4"))
                await pilot.press("8", "r")
                await until(pilots, lambda: screen._input.has_class("-shown") or
                            not isinstance(app.screen, IncidentScreen), what="resolve asks")
                if not isinstance(app.screen, IncidentScreen):  # still DOWN: confirm first
                    await pilot.press("y")
                    await until(pilots, lambda: screen._input.has_class("-shown"))
                await pilot.press(*"rolled back", "enter")
                await until(pilots, lambda: screen.record.incident.resolved_at is not None,
                            what="resolved through the daemon")
                assert screen.record.incident.resolution == "rolled back"
