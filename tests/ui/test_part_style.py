"""Widgets that colour their parts can be drawn before their stylesheet arrives (engine
events reach them early on a loaded machine): they draw plain instead of raising."""

from __future__ import annotations

from rich.console import Console

from agentstatus_tui.ui.widgets.grid import StyledCell
from agentstatus_tui.ui.widgets.header import StatusHeader
from agentstatus_tui.ui.widgets.latency_bars import LatencyBars


def test_a_header_drawn_before_its_styles_shows_its_text() -> None:
    header = StatusHeader()
    header.show([], None, configured=False)
    assert "alerts: none configured" in header.render().plain


def test_latency_bars_and_a_styled_cell_draw_before_their_styles() -> None:
    bars = LatencyBars()
    bars.points = [0.1, None, 0.2]
    bars.render()
    console = Console(width=20, record=True)
    console.print(StyledCell("DOWN 503", bars, "verdict--down"))
    assert "DOWN 503" in console.export_text()
