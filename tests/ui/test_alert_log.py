"""The alert delivery log (`a`): every alert, and every attempt of the highlighted one."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from agentstatus_tui.demo import DEMO_ROUTING_KEY, DemoAgents
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.screens.alerts import AlertsScreen


async def test_alert_log_lists_deliveries_and_the_attempts_of_the_selected_one(tmp_path: Path):
    async with (
        DemoAgents(now=lambda: 120.0) as demo,
        Monitor.open(demo.config(), data_dir=str(tmp_path)) as mon,
    ):
        await mon.run_round(deliver_deadline=10)
        app = AgentStatusApp(mon, live=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("a")
            assert isinstance(app.screen, AlertsScreen)
            table = app.screen.query_one("#alerts-log", DataTable)
            rows = [table.get_row_at(i) for i in range(table.row_count)]
            assert len(rows) == 4  # PagerDuty + Slack for each of the two DOWN agents
            agents = {str(r[1]) for r in rows}
            assert agents == {"CRM Sync", "Legacy Gateway"}  # names, not ids
            assert {str(r[4]) for r in rows} == {"delivered"}
            text = str(app.screen.query_one("#alerts-attempts", Static).render())
            assert "delivered" in text and ("HTTP 202" in text or "HTTP 200" in text)
            await pilot.press("down")
            after = str(app.screen.query_one("#alerts-attempts", Static).render())
            assert after.startswith("attempts of alert") and after != text
            # j/k move in every list, as in the agent grid
            await pilot.press("j")
            assert table.cursor_row == 2
            await pilot.press("k", "k")
            assert table.cursor_row == 0
            whole = "".join(str(c) for r in rows for c in r) + text + after
            assert DEMO_ROUTING_KEY not in whole
