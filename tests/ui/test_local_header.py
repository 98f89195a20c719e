"""The header of a dashboard that polls the agents itself says so (`local`), as an
attached one says where its daemon is; `local` is the first thing a narrow header drops."""

from __future__ import annotations

import pytest
from dashboard_fixtures import NOW, use_utc

from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.widgets.header import counts_variants, fit


@pytest.mark.parametrize(("width", "shown"), [
    (120, "AgentStatus   2 UP   1 DEGRADED   2 DOWN   1 UNKNOWN   1 PAUSED   "
          "alerts: none configured   last run 11:06:37   local"),
    # The last run does not fit beside the alerts: `local` takes its place.
    (90, "2 UP   1 DEGRADED   2 DOWN   1 UNKNOWN   1 PAUSED   alerts: none configured   local"),
    # Nor does `local`: the counts and the alerts stay.
    (80, "2 UP   1 DEGRADED   2 DOWN   1 UNKNOWN   1 PAUSED   alerts: none configured"),
    # Too narrow for it: the counts and the DOWN count stay.
    (40, "2 DOWN   alerts: none configured"),
])
async def test_a_local_dashboard_says_local(monitor: Monitor, width: int, shown: str) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        assert app.header.text("where") == "local"
        assert app.header.shown() == shown
        assert len(shown) <= width - 2  # the header's padding


def test_local_gives_way_to_the_last_run_attached_does_not() -> None:
    counts = counts_variants([])
    alerts = ("alerts: ok", "")
    last = "last run 12:00:01"
    width = len(f"{counts[0]}   alerts: ok   attached: api.sock")  # not both beside it
    assert fit(width, counts, alerts, last, where="local", where_outlasts_run=False)[3] == last
    assert fit(width, counts, alerts, last, where="attached: api.sock")[3] == (
        "attached: api.sock")
