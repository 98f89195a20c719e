"""The dashboard shows an agent's paging status: a short marker in its grid row (ACK,
FLAPPING, SILENCED, MAINTENANCE) and the full words in the detail title ("SILENCED until
14:00 — reason", "ACK by alice at 10:56")."""

from __future__ import annotations

from dashboard_fixtures import NOW, use_utc

from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.engine.paging import PagingStatus, Quieted
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.widgets.grid import name_cell


def test_the_name_gives_way_to_the_marker() -> None:
    assert name_cell("Search Agent", "", 16) == "Search Agent"
    assert name_cell("Search Agent", "ACK", 16) == "Search Agent ACK"
    assert name_cell("Search Agent", "FLAPPING", 16) == "Search… FLAPPING"
    assert name_cell("Search Agent", "SILENCED until 14:00", 16) == "Search Agent SI…"


async def test_the_grid_and_the_detail_say_acknowledged_and_silenced(
        monitor: Monitor) -> None:
    use_utc()
    monitor.states["crm-sync"].paging = PagingStatus(
        acknowledged=True, acknowledged_by="alice", acknowledged_at=NOW - 600,
        escalation_step=2, page_open=True)
    monitor.states["support-bot"].paging = PagingStatus(
        silenced=Quieted(NOW + 3600, "SILENCED until 12:06 — deploy of v2"))
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert (app.grid.cell_text("crm-sync", "name") or "").endswith(" ACK")
        assert app.grid.cell_text("support-bot", "name") == "Supp… SILENCED"
        assert "SILENCED until 12:06 — deploy of v2" in app.detail.title
        await pilot.press("down")
        for _ in range(10):
            if "crm" in app.detail.title.lower():
                break
            await pilot.press("down")
        assert "ACK by alice at 10:56 · escalated: step 2" in app.detail.title
