"""The dashboard must never die during an incident: every theme Textual offers, keys
pressed while it quits, engine events before the screen is built."""

from __future__ import annotations

import pytest
from dashboard_fixtures import NOW, use_utc
from textual.events import Key

from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.widgets.detail import DetailPane
from agentstatus_tui.ui.widgets.header import StatusHeader


def fixed_app(monitor: Monitor) -> AgentStatusApp:
    use_utc()
    return AgentStatusApp(monitor, clock=lambda: NOW, live=False)


async def test_every_textual_theme_draws_the_dashboard(monitor: Monitor) -> None:
    app = fixed_app(monitor)
    async with app.run_test(size=(80, 24)) as pilot:
        names = sorted(app.available_themes)
        assert "gruvbox" in names and "dark" in names
        for name in names:
            app.theme = name
            await pilot.pause()
            assert app.is_running, name
        # A built-in theme still paints a DOWN verdict in its error colour.
        app.theme = "gruvbox"
        await pilot.pause()
        assert app.get_css_variables()["verdict-down"] == app.get_css_variables()["error"]
    assert app.return_code in (None, 0)


@pytest.mark.parametrize("key", ["i", "h", "a", "question_mark", "r", "p", "slash", "t"])
async def test_a_key_right_after_q_does_nothing(monitor: Monitor, key: str) -> None:
    app = fixed_app(monitor)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")  # Search Agent, DOWN
        # Both keys in one read of the terminal, as `tmux send-keys -l q<key>` types them.
        for k in ("q", key):
            app.post_message(Key(k, k if len(k) == 1 else None))
        await pilot.pause()
    assert app.return_code == 0
    assert not monitor.incidents.incidents.incidents(open_only=True)


async def test_engine_events_before_the_screen_is_built_are_kept(monitor: Monitor) -> None:
    """An engine event handled before the header's parts exist (a loaded machine) must
    not crash; what it says shows once they are there."""
    mon = monitor
    header = StatusHeader(id="header")
    header.show(mon.states.values(), None)  # not mounted: no children yet
    detail = DetailPane(clock=lambda: NOW, id="detail")
    detail.show(mon.states["search-agent"])
    app = fixed_app(monitor)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "DOWN" in app.header.text("counts")


@pytest.mark.parametrize("first", [(), ("j", "i")], ids=["dashboard", "incident-panel"])
async def test_ctrl_c_quits_like_q(monitor: Monitor, first: tuple[str, ...]) -> None:
    app = fixed_app(monitor)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*first)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 0


async def test_help_at_80_columns_shows_whole_ids_and_the_incident_panel_keys(
    monitor: Monitor,
) -> None:
    from textual.widgets import DataTable

    from agentstatus_tui.ui.help_screen import HelpScreen

    app = fixed_app(monitor)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        incident = app.screen.query_one("#help-incident-keys", DataTable)
        ids = {str(incident.get_row_at(i)[2]) for i in range(incident.row_count)}
        assert {"incident.next-step", "incident.done", "incident.resolve",
                "pane.page-down"} <= ids
        for table in app.screen.query(DataTable):
            assert table.region.right <= 80, table.id
            id_column = list(table.columns.values())[2]
            longest = max(len(str(table.get_row_at(i)[2])) for i in range(table.row_count))
            assert id_column.width >= longest, table.id


async def test_at_40_columns_the_header_keeps_the_down_count(monitor: Monitor) -> None:
    app = fixed_app(monitor)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert "2 DOWN" in app.header.shown()
        assert len(app.header.shown()) <= 38
