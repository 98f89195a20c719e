"""Every column the grid keeps reads whole, header and cells, at every width the dashboard
supports: nothing is left past the right edge for sideways scrolling, with or without
the grid's own scrollbar."""

from __future__ import annotations

import pytest
from dashboard_fixtures import NOW, use_utc
from screen_text import screen_text

from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp


def header_line(app: AgentStatusApp) -> str:
    """The grid's column header as drawn on the screen (the first line naming AGENT)."""
    return next(line for line in screen_text(app).splitlines() if "AGENT" in line)


# 40x12: the grid is shorter than its rows, so its scrollbar takes two columns.
@pytest.mark.parametrize("size", [(40, 24), (40, 12), (80, 24), (100, 30), (120, 40)],
                         ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_column_header_reads_whole(monitor: Monitor, size: tuple[int, int]
                                               ) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        grid = app.grid
        assert grid.max_scroll_x == 0, "part of the grid is off the screen, to the right"
        line = header_line(app)
        labels = [str(col.label) for col in grid.columns.values()]
        assert labels[:2] == ["AGENT", "VERDICT"]
        assert labels[-1] == "LAST"
        assert line.split() == labels, line
        for agent_id in ("search-agent", "translator"):
            for key in grid.columns:
                text = grid.cell_text(agent_id, str(key.value))
                assert text is not None and len(text) <= grid.columns[key].width
        if size[0] == 40:
            # The agent's name gets the room the regions leave; the header keeps DOWN.
            assert "Search Agent" in screen_text(app)
            assert "2 DOWN" in app.header.shown()
