"""A store that fails while the dashboard runs (its disk fills up) turns the header red
with STORE FAILING, and a DOWN agent still pages, directly. A real tmpfs, a real
receiver."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from agent_server import AgentServer, Reply
from disk_faults import fill, tmpfs
from receivers import HttpReceiver
from test_dashboard_keys import agent, until

from agentstatus_tui.engine.model import AlertRules, Config, Region, SlackChannel
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp


async def test_disk_full_turns_the_header_to_store_failing_and_down_still_pages(
    tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "data", size="2m") as data:
        async with AgentServer() as server, HttpReceiver() as slack:
            server.route("/bot", Reply("4"))
            cfg = Config(
                agents=(agent(server, "bot", "Bot", "/bot", interval=1,
                              alerts=AlertRules(channels=("chat",))),),
                regions=MappingProxyType({"local": Region("local")}),
                channels=MappingProxyType({"chat": SlackChannel("chat", slack.url("/s"))}),
                data_dir=str(data),
            )
            monitor = Monitor.open(cfg, data_dir=str(data))
            app = AgentStatusApp(monitor)
            async with app.run_test(size=(120, 30)) as pilot:
                await until(pilot, lambda: monitor.states["bot"].last is not None)
                assert not app.header.paging_failing
                fill(data)
                server.route("/bot", Reply(status=503))
                await until(pilot, lambda: app.header.text("alerts").startswith(
                    "STORE FAILING"), limit=30)
                assert app.header.paging_failing  # the red header
                assert monitor.store_failure is not None
                assert "full" in monitor.store_failure.cause
                await until(pilot, lambda: len(slack.at("/s")) >= 1, limit=30)
            assert "is DOWN" in slack.at("/s")[0].json["text"]
