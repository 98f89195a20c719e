"""Fixtures of the dashboard tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_fixtures import close_monitor, fixed_monitor

from agentstatus_tui.engine.monitor import Monitor


@pytest.fixture
def monitor(tmp_path: Path) -> Iterator[Monitor]:
    """`fixed_monitor` over a store in the test's temporary dir, closed afterwards."""
    mon = fixed_monitor(tmp_path / "data")
    yield mon
    close_monitor(mon)
