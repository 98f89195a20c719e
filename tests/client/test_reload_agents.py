"""A daemon that reloads its config (SIGHUP) with an agent added, one removed and a region
added: an attached dashboard shows the new agent and region and drops the removed agent at
once, without a restart, and the new agent's runs arrive as events."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from attached import attach, until
from serve_process import ServeProcess, agents_config

from agentstatus_tui.ui.app import AgentStatusApp

pytestmark = pytest.mark.timeout(120)


async def test_agents_added_and_removed_by_a_reload_show_at_once(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        before = agents_config({"steady": agents.url("/ok"), "retired": agents.url("/ok")},
                               interval="1h")
        after = agents_config({"steady": agents.url("/ok"), "newbie": agents.url("/ok")},
                              interval="1h", regions=("us", "eu", "ap"))
        async with ServeProcess(tmp_path, before, tcp=False, socket=True) as d:
            api = await attach(d)
            app = AgentStatusApp(api)
            async with app.run_test(size=(120, 30)) as pilot:
                pilots = [pilot]
                await until(pilots, lambda: app.header.text("where") == "attached: api.sock")
                assert app.grid.rows_by_id == ["steady", "retired"]
                assert app.grid.cell_text("steady", "r:ap") is None
                d.config.write_text(after)
                await d.send(signal.SIGHUP)
                await until(pilots, lambda: app.grid.rows_by_id == ["steady", "newbie"],
                            what="the reloaded agents in the grid")
                assert [a.id for a in api.config.agents] == ["steady", "newbie"]
                assert "retired" not in app.snapshots
                await until(pilots, lambda: app.grid.cell_text("steady", "r:ap") is not None,
                            what="the added region's column")
                # The new agent's events are followed like any other's (a run asked for
                # while its first one is under way is that run).
                result = await api.run_now("newbie")
                assert result is not None
                await until(pilots, lambda: (app.snapshots["newbie"].last is not None
                                             and app.snapshots["newbie"].last.started_at
                                             == result.started_at),
                            what="the new agent's run shown")
                assert app.grid.cell_text("newbie", "verdict") == "UP·"
                assert "disconnected" not in app.header.text("alerts")
