"""A paused agent reads PAUSED everywhere the dashboard shows it: its verdict, each of its
region cells, the detail pane's regions, and the header, which counts it as paused, not
UNKNOWN. The same on a dashboard attached to a daemon."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dashboard_fixtures import NOW, REGIONS, use_utc
from screen_text import screen_text

from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))

from agent_server import AgentServer, Reply
from attached import attach, until
from serve_process import ServeProcess, agents_config


def region_texts(app: AgentStatusApp, agent_id: str, regions: tuple[str, ...]) -> list[str]:
    return [app.grid.cell_text(agent_id, "r:" + r) or "" for r in regions]


async def test_p_makes_every_cell_of_the_agent_read_paused(monitor: Monitor) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        # The fixture's Translator was paused before the dashboard opened.
        assert region_texts(app, "translator", REGIONS) == ["PAUSED"] * 3
        assert app.grid.cell_style("translator", "r:us") == "verdict--unknown"  # dim
        assert app.header.text("counts") == (
            "2 UP   1 DEGRADED   2 DOWN   1 UNKNOWN   1 PAUSED")
        assert "1 UNKNOWN   1 PAUSED" in app.header.shown()

        assert app.grid.selected_id == "support-bot"
        await pilot.press("p")
        await until([pilot], lambda: app.grid.cell_text("support-bot", "verdict") == "PAUSED",
                    what="Support Bot paused")
        assert region_texts(app, "support-bot", REGIONS) == ["PAUSED"] * 3
        assert app.header.text("counts") == (
            "1 UP   1 DEGRADED   2 DOWN   1 UNKNOWN   2 PAUSED")
        assert app.detail.title.startswith("Support Bot · PAUSED")
        assert [app.detail.region_cell(r, "VERDICT") for r in REGIONS] == [
            ("PAUSED", "verdict--unknown")] * 3
        text = screen_text(app)
        assert "UNKNOWN" not in text.split("1 UNKNOWN", 1)[1]  # only New Agent is unknown

        await pilot.press("p")  # resumed: no run yet, so nothing is known
        await until([pilot], lambda: app.grid.cell_text("support-bot", "verdict") == "UNK",
                    what="Support Bot resumed")
        assert region_texts(app, "support-bot", REGIONS) == ["UNK"] * 3
        assert app.header.text("counts").endswith("2 UNKNOWN   1 PAUSED")

        # The filter finds paused agents as paused, not as unknown ones.
        await pilot.press("slash", *"paused", "enter")
        assert app.grid.rows_by_id == ["translator"]
        await pilot.press("slash", *"\b" * 6, *"unknown", "enter")
        assert app.grid.rows_by_id == ["support-bot", "new-agent"]
        await pilot.press("slash", *"\b" * 7, "enter")


@pytest.mark.timeout(120)
async def test_an_attached_dashboard_shows_the_pause_it_asked_the_daemon_for(tmp_path: Path
                                                                            ) -> None:
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h")
        async with ServeProcess(tmp_path, text, tcp=False, socket=True) as d:
            api = await attach(d)
            app = AgentStatusApp(api)
            async with app.run_test(size=(100, 30)) as pilot:
                pilots = [pilot]
                await until(pilots, lambda: app.grid.cell_text("steady", "verdict") == "UP·",
                            what="the daemon's first run")
                regions = tuple(app.snapshots["steady"].agent.regions)
                await pilot.press("p")
                await until(pilots, lambda: app.snapshots["steady"].paused,
                            what="the daemon's pause")
                await until(pilots,
                            lambda: region_texts(app, "steady", regions) == ["PAUSED"] * len(
                                regions), what="the region cells paused")
                assert app.grid.cell_text("steady", "verdict") == "PAUSED"
                assert app.header.text("counts") == (
                    "0 UP   0 DEGRADED   0 DOWN   0 UNKNOWN   1 PAUSED")
                assert app.detail.title.startswith("steady · PAUSED")
                assert {app.detail.region_cell(r, "VERDICT") for r in regions} == {
                    ("PAUSED", "verdict--unknown")}
                await pilot.press("p")
                await until(pilots, lambda: not app.snapshots["steady"].paused,
                            what="resumed")
                await until(pilots, lambda: "PAUSED" not in app.header.text("counts"),
                            what="the header without PAUSED")
