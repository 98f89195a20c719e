"""What each run costs the Monitor beyond probing: a run that changes no verdict (nearly
every run) must not write to the store from the loop thread."""

from __future__ import annotations

from pathlib import Path

from agent_server import AgentServer, Reply, Sequence
from test_monitor import agent, config_for

from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.monitor import Monitor


async def test_a_run_without_a_verdict_change_skips_the_alert_rules_write(tmp_path: Path) -> None:
    async with AgentServer() as server:
        url = server.route("/a", Sequence(Reply("hi"), Reply("hi"), Reply(status=500)))
        mon = Monitor.open(config_for(agent(url, interval=3600)), data_dir=str(tmp_path))
        statements: list[str] = []
        mon.alerts.conn.set_trace_callback(statements.append)
        try:
            [first] = await mon.run_round(deliver_deadline=None)
            assert first.verdict is Verdict.REACHABLE
            assert any("alert_cursor" in s for s in statements)  # UNKNOWN → REACHABLE

            statements.clear()
            [same] = await mon.run_round(deliver_deadline=None)
            assert same.verdict is Verdict.REACHABLE
            writes = [s for s in statements if s.split()[0].upper() in {"BEGIN", "INSERT", "UPDATE"}]
            assert not writes, writes

            statements.clear()
            [down] = await mon.run_round(deliver_deadline=None)
            assert down.verdict is Verdict.DOWN
            # A verdict change still reaches the alert rules at once.
            assert any("alert_cursor" in s for s in statements)
        finally:
            await mon.stop()
