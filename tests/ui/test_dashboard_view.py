"""What the dashboard shows, with fixed data: cell text, idle costs nothing, secrets never
reach the screen, themes and NO_COLOR."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_fixtures import NOW, SECRET, use_utc

from agentstatus_tui.engine.model import Stats, Verdict
from agentstatus_tui.ui import format as fmt
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.themes import load_themes, theme_names
from agentstatus_tui.ui.widgets.grid import plan_columns


def test_region_cells_read_as_words() -> None:
    up = Stats(Verdict.UP, 4, 4, ttfb_p50=0.245)
    assert fmt.region_cell(Verdict.UP, up) == "UP 245ms"
    assert fmt.region_cell(Verdict.DEGRADED, Stats(Verdict.DEGRADED, 4, 4, ttfb_p50=4.2)) == (
        "DEGRADED 4.2s"
    )
    down = Stats(Verdict.DOWN, 4, 0, errors={"HTTP_503": 3, "TIMEOUT": 1})
    assert fmt.region_cell(Verdict.DOWN, down) == "DOWN HTTP_503"
    assert fmt.region_cell(Verdict.DOWN, down, short=True) == "DOWN 503"
    assert fmt.region_cell(Verdict.UNKNOWN, None) == "UNKNOWN"
    assert fmt.region_cell(Verdict.REACHABLE, up) == "UP· 245ms"


def test_columns_fit_80_and_use_room_on_wide_terminals() -> None:
    names = ["Support Bot", "A Rather Long Agent Name Indeed"]
    regions = ["us", "eu", "ap"]
    narrow = plan_columns(80, names, regions)
    assert narrow.width() <= 80
    assert narrow.short and narrow.regions == tuple(regions) and narrow.last
    wide = plan_columns(160, names, regions)
    assert not wide.short and wide.eval and wide.uptime
    assert wide.name_width > narrow.name_width
    many = plan_columns(80, names, [f"r{i}" for i in range(9)])
    assert many.width() <= 80 and len(many.regions) >= 3


async def test_grid_and_detail_show_the_fixed_data(monitor) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        g = app.grid
        assert g.cell_text("support-bot", "r:ap") == "DEGRADED 4.2s"
        assert g.cell_text("search-agent", "r:ap") == "DOWN TIMEOUT"
        assert g.cell_text("search-agent", "last") == "<10s ~"  # in flight
        assert g.cell_text("billing-helper", "verdict") == "UP·"
        assert g.cell_text("billing-helper", "eval") == "n/a"
        assert g.cell_text("translator", "verdict") == "PAUSED"
        assert g.cell_text("new-agent", "verdict") == "UNKNOWN"
        assert g.cell_text("support-bot", "last") == "10s"
        assert app.header.text("counts") == "2 UP   1 DEGRADED   2 DOWN   1 UNKNOWN   1 PAUSED"
        assert app.detail.title == "Support Bot · UP for 14h 41m"
        await pilot.press("j")
        assert app.detail.title.startswith("Search Agent · DOWN for 12m")


async def test_idle_dashboard_writes_no_cell_and_ages_write_only_changed_text(monitor) -> None:
    now = [NOW]
    app = AgentStatusApp(monitor, clock=lambda: now[0], live=False)
    async with app.run_test(size=(120, 40)):
        before = app.grid.writes
        for _ in range(5):
            app._tick()
        assert app.grid.writes == before  # nothing changed, nothing written
        now[0] += 1  # support-bot 12s → 13s: still "10s"; search-agent 3s → 4s: "<10s ~"
        app._tick()
        assert app.grid.writes == before
        now[0] += 7  # support-bot 20s, search-agent 11s: two cells change, no others
        app._tick()
        assert app.grid.writes == before + 2
        assert app.grid.cell_text("support-bot", "last") == "20s"


async def test_secrets_never_reach_the_screen(monitor) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "overloaded" in app.detail.failure
        assert SECRET not in app.detail.failure
        assert "••••••" in app.detail.failure
        screen = app.export_screenshot()
        assert "overloaded" in screen
        assert SECRET not in screen
        await pilot.press("h")
        assert SECRET not in app.export_screenshot()


def test_every_theme_file_loads() -> None:
    names = theme_names()
    assert names[:4] == ["dark", "light", "high-contrast", "monochrome"]
    for theme in load_themes():
        assert {"verdict-up", "verdict-down", "verdict-down-style"} <= set(theme.variables)


async def test_every_theme_styles_the_dashboard(monitor) -> None:
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for name in theme_names():
            app.theme = name
            await pilot.pause()
            style = app.grid.get_component_rich_style("verdict--down", partial=True)
            if name == "monochrome":
                assert style.reverse and style.bold  # DOWN stands out without colour
            else:
                assert style.color is not None


@pytest.mark.parametrize(
    ("env", "cli", "config_theme", "expected"),
    [
        ({}, None, None, "dark"),
        ({"NO_COLOR": "1"}, None, "light", "monochrome"),
        ({}, None, "light", "light"),
        ({"NO_COLOR": "1"}, "high-contrast", None, "high-contrast"),
    ],
)
def test_theme_choice(monkeypatch, monitor, env, cli, config_theme, expected) -> None:
    import dataclasses

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    mon = monitor
    mon.config = dataclasses.replace(mon.config, theme=config_theme)
    app = AgentStatusApp(mon, clock=lambda: NOW, theme=cli, live=False)
    assert app.theme == expected


async def test_detail_follows_a_new_run_of_the_selected_agent(monitor) -> None:
    import dataclasses

    mon = monitor
    app = AgentStatusApp(mon, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        last = mon.states["support-bot"].last
        regions = dict(last.regions)
        regions["ap"] = dataclasses.replace(regions["ap"], verdict=Verdict.UP, ttfb_p50=0.2)
        await mon.accept(dataclasses.replace(last, regions=regions))  # the run, as the engine takes it
        await pilot.pause()
        table = app.detail.query_one("#regions")
        row = table.get_row("ap")
        assert [c.text for c in row[:3]] == ["ap", "UP", "200ms"]
        assert app.grid.cell_text("support-bot", "r:ap") == "UP 200ms"
