"""Snapshots of the dashboard with fixed data and a fixed clock (no timers, no network):
80x24 and 120x40, dark and monochrome. Review the SVGs after `--snapshot-update`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_fixtures import NOW, use_utc

from agentstatus_tui.engine.alerts.outbox import AlertHealth, ChannelFailure
from agentstatus_tui.ui.app import AgentStatusApp


@pytest.mark.parametrize("theme", ["dark", "monochrome"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_dashboard(snap_compare, monitor, theme: str, size: tuple[int, int]) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, theme=theme, live=False)
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("theme", ["dark", "monochrome"])
def test_paging_failing_header(snap_compare, monitor, theme: str) -> None:
    """A red header naming the failing channel, its error, tries and since when."""
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, theme=theme, live=False)
    failing = AlertHealth(pending=2, failed=0, last_error="HTTP 500: internal error",
                          failing=(ChannelFailure("slack", 6, "HTTP 500: internal error",
                                                  NOW - 3 * 3600),))

    async def paging_fails(pilot) -> None:
        app.header.show(app.snapshots.values(), failing, configured=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=paging_fails)
