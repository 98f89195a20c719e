"""`?` inside the incident panel lists the panel's own keys, in the dashboard help's style,
inside an 80x24 terminal; closing it goes back to the panel, not to the dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from screen_text import screen_text
from test_incident_snapshots import NOW, fixed_config, open_panel, seed
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input

from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.help_screen import HelpScreen
from agentstatus_tui.ui.screens.incident import IncidentScreen


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[AgentStatusApp]:
    monitor = Monitor.open(fixed_config(), data_dir=str(tmp_path / "data"), clock=lambda: NOW)
    await seed(monitor)
    yield AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    await monitor.stop()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_question_mark_in_the_panel_shows_the_panels_keys(app: AgentStatusApp,
                                                                size: tuple[int, int]) -> None:
    async with app.run_test(size=size) as pilot:
        await open_panel(pilot)
        panel = app.screen
        assert isinstance(panel, IncidentScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert not help_screen.query("#help-keys")  # not the dashboard's keys
        table = help_screen.query_one("#help-incident-keys", DataTable)
        rows = [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        assert rows == [tuple(r) for r in app.incident_key_list()]
        ids = {r[2] for r in rows}
        assert {"incident.help", "incident.back", "incident.done", "pane.page-down"} <= ids
        # The box is inside the terminal, and each column inside the box: keys and ids
        # whole, descriptions wrapped, nothing left to scroll sideways.
        box = help_screen.query_one(VerticalScroll)
        assert box.region.right <= size[0] and box.region.bottom <= size[1]
        assert table.region.right <= box.region.right and box.max_scroll_x == 0
        assert table.max_scroll_x == 0
        text = screen_text(app)
        assert "incident panel" in text and "esc closes" in text
        for row in rows[:5]:
            assert row[2] in text  # whole ids of the first rows, as drawn
        # Every row can be read: the keys scroll the box down to the last one.
        await pilot.press("end")
        await pilot.pause()
        assert rows[-1][2] in screen_text(app) and "ticks it." in screen_text(app)
        assert all(t.max_scroll_y == 0 for t in help_screen.query(DataTable))  # one scroll

        await pilot.press("question_mark")  # `?` again closes it, as esc does
        await pilot.pause()
        assert app.screen is panel
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is panel  # back in the panel, still at its step
        await pilot.press("n", *"why?")  # a note being written takes `?` as a character
        await pilot.pause()
        assert app.screen is panel
        assert panel.query_one("#incident-input", Input).value == "why?"


async def test_the_dashboard_help_lists_the_panels_question_mark(app: AgentStatusApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        table = help_screen.query_one("#help-incident-keys", DataTable)
        ids = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert "incident.help" in ids
        assert help_screen.query("#help-keys")
        # Both lists scroll as one: each table is as tall as its rows, the last one read.
        await pilot.press("end")
        await pilot.pause()
        assert all(t.max_scroll_y == 0 for t in help_screen.query(DataTable))
        assert "pane.end" in screen_text(app)
        assert help_screen.query_one(VerticalScroll).max_scroll_x == 0
