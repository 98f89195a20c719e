"""An attached dashboard whose daemon goes away marks the detail pane stale, as it marks
the grid's rows: the title says so and the region verdicts lose their colour; both come
back when a daemon answers on the socket again."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from attached import attach, until
from serve_process import ServeProcess, agents_config

from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.widgets.detail import STALE_MARK

pytestmark = pytest.mark.timeout(120)


async def test_the_detail_pane_goes_stale_with_the_daemon_and_comes_back(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h")
        d = await ServeProcess(tmp_path, text, tcp=False, socket=True).start()
        try:
            api = await attach(d)
            app = AgentStatusApp(api)
            async with app.run_test(size=(100, 30)) as pilot:
                pilots = [pilot]
                await until(pilots, lambda: app.detail.agent_id == "steady"
                            and app.detail.region_cell("us", "VERDICT") is not None,
                            what="the detail pane")
                assert app.detail.region_cell("us", "VERDICT") == ("UP·", "verdict--up")
                assert not app.detail.title.endswith(STALE_MARK)
                await d.stop(signal.SIGKILL)
                await until(pilots, lambda: "disconnected" in app.header.text("alerts"),
                            what="disconnected")
                assert app.grid.cell_style("steady", "verdict") == "verdict--unknown"
                assert app.detail.title.endswith(STALE_MARK)
                assert app.detail.title.startswith("steady · UP")  # the last word, kept
                assert app.detail.region_cell("us", "VERDICT") == ("UP·", "verdict--unknown")
                assert app.detail.has_class("-stale")
                d = await ServeProcess(tmp_path, text, tcp=False, socket=True).start()
                await until(pilots, lambda: api.connection.connected
                            and "disconnected" not in app.header.text("alerts"),
                            what="reattached")
                await until(pilots, lambda: not app.detail.title.endswith(STALE_MARK),
                            what="the detail pane fresh again")
                assert app.detail.region_cell("us", "VERDICT") == ("UP·", "verdict--up")
                assert not app.detail.has_class("-stale")
        finally:
            if d.proc is not None and d.proc.returncode is None:
                await d.stop()
