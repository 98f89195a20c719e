"""Snapshots of the dashboard with fixed data and a fixed clock (no timers, no network):
80x24 and 120x40, dark and monochrome. Review the SVGs after `--snapshot-update`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_fixtures import NOW, use_utc

from agentstatus_tui.ui.app import AgentStatusApp


@pytest.mark.parametrize("theme", ["dark", "monochrome"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_dashboard(snap_compare, monitor, theme: str, size: tuple[int, int]) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, theme=theme, live=False)
    assert snap_compare(app, terminal_size=size)
