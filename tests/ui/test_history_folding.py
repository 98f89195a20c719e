"""Restarting the dashboard does not clutter an agent's verdict history: the short UNKNOWN
gaps between sessions are folded away in the detail pane and the history screen (uptime
still counts them as unknown)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from agent_server import AgentServer, Reply

from agentstatus_tui.engine.config.load import load_config_text
from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.screens.history import agent_transitions
from agentstatus_tui.ui.widgets.detail import history_rows

CONFIG = """\
defaults: {{validations: 1, retries: 0, timeout: 5s}}
agents:
  - id: steady
    name: Steady
    url: {url}
"""


async def test_restarts_do_not_clutter_the_verdict_history(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    async with AgentServer() as server:
        config = load_config_text(CONFIG.format(url=server.route("/ok", Reply("4"))),
                                  "agents.yaml", {})
        for _ in range(3):  # three short dashboard sessions, the agent UP all along
            async with Monitor.open(config, data_dir=data) as mon:
                await mon.start()
                while mon.snapshot("steady").last is None:
                    await asyncio.sleep(0.02)
        async with Monitor.open(config, data_dir=data) as mon:
            mon.load_history()
            state = mon.snapshot("steady")
            stored = [t.current for t in reversed(state.transitions)]
            assert stored == [Verdict.REACHABLE, Verdict.UNKNOWN] * 3  # what was written
            rows = history_rows(state, time.time())
            screen = await agent_transitions(mon, state)
    # Newest first: the gap still open now (nobody watching), then REACHABLE once.
    assert [r[1] for r in rows] == ["UNKNOWN", "UP·"], rows
    assert [t.current for t in screen] == [Verdict.UNKNOWN, Verdict.REACHABLE]
