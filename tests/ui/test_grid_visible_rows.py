"""With more agents than fit the screen, only rows on the screen cost anything: a run of an
agent out of view writes no cell, ages tick only where they are seen, and every row shows
its newest verdict and age the moment it scrolls into view."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_fixtures import NOW, REGIONS, _agent, _run, _stats, close_monitor

from agentstatus_tui.engine.model import Config, Region, Verdict
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.widgets.grid import AgentGrid
from agentstatus_tui.ui.widgets.header import changed_spans

AGENTS = 80


@pytest.fixture
def crowd(tmp_path: Path) -> Iterator[Monitor]:
    """80 agents, all UP, each last run 12 s before NOW; never polled."""
    agents = tuple(_agent(f"agent-{i:02d}", f"Agent {i:02d}") for i in range(AGENTS))
    config = Config(agents=agents, regions=MappingProxyType({r: Region(r) for r in REGIONS}))
    mon = Monitor.open(config, data_dir=str(tmp_path / "data"), clock=lambda: NOW)
    for agent in agents:
        st = mon.states[agent.id]
        regions = {r: _stats(Verdict.UP, 0.2) for r in REGIONS}
        st.last = _run(agent.id, _stats(Verdict.UP, 0.2), regions, age=12)
        st.verdict, st.since = Verdict.UP, NOW - 3600
        st.region_verdicts = dict.fromkeys(REGIONS, Verdict.UP)
    yield mon
    close_monitor(mon)


def drawn(grid: AgentGrid, agent_id: str) -> str:
    """The line the grid draws for an agent's row (it must be on the screen)."""
    index = grid.rows_by_id.index(agent_id)
    assert index in grid.visible_rows(), f"{agent_id} is not on the screen"
    return grid.render_line(grid.header_height + index - int(grid.scroll_y)).text


async def until(pilot: Any, cond: Callable[[], bool], what: str, limit: int = 400) -> None:
    for _ in range(limit):
        if cond():
            return
        await pilot.pause()
    raise AssertionError(f"never happened: {what}")


async def test_a_run_off_the_screen_writes_nothing_and_shows_when_scrolled_to(crowd) -> None:
    app = AgentStatusApp(crowd, clock=lambda: NOW, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.grid
        last = f"agent-{AGENTS - 1:02d}"
        assert AGENTS - 1 not in grid.visible_rows()
        before = grid.writes
        down = _stats(Verdict.DOWN, None, {"HTTP_503": 4}, ok=0, gold_ok=0)
        await crowd.accept(_run(last, down, dict.fromkeys(REGIONS, down), age=0))
        await pilot.pause()
        assert crowd.states[last].verdict is Verdict.DOWN
        assert grid.writes == before  # nothing drawn for a row nobody sees
        assert app.header.text("counts").startswith(f"{AGENTS - 1} UP   0 DEGRADED   1 DOWN")

        await pilot.press("ctrl+end")  # the cursor to the last agent; the grid scrolls
        await until(pilot, lambda: AGENTS - 1 in grid.visible_rows(), "scrolled to the end")
        line = drawn(grid, last)
        assert "Agent 79" in line and "DOWN" in line and "HTTP_503" in line, line
        assert "<10s" in line  # the run just finished
        assert app.detail.title.startswith("Agent 79 · DOWN")


async def test_ages_tick_only_on_the_screen_and_are_right_when_scrolled_to(crowd) -> None:
    now = [NOW]
    app = AgentStatusApp(crowd, clock=lambda: now[0], live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.grid
        on_screen = len(grid.visible_rows())
        assert 5 < on_screen < AGENTS
        assert "10s" in drawn(grid, "agent-00")
        now[0] += 10  # every age goes 12 s → 22 s: "10s" → "20s"
        before = grid.writes
        assert grid.tick() == on_screen  # one LAST cell for each row on the screen, no more
        assert grid.writes == before + on_screen
        assert "20s" in drawn(grid, "agent-00")

        now[0] += 60  # 82 s: "1m"; the rows below have not ticked at all
        await pilot.press("ctrl+end")
        await until(pilot, lambda: AGENTS - 1 in grid.visible_rows(), "scrolled to the end")
        for agent_id in grid.rows_by_id[int(grid.scroll_y):][:on_screen - 1]:
            line = drawn(grid, agent_id)
            assert agent_id.replace("agent-", "Agent ") in line and "1m" in line, line


async def test_rows_rebuilt_by_the_filter_are_drawn_whole_where_the_cursor_is(crowd) -> None:
    """The filter rebuilds the rows, giving cells only to rows that can be seen; rows seen
    after the cursor is placed (far down the list) are drawn whole, never blank."""
    app = AgentStatusApp(crowd, clock=lambda: NOW, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.grid
        await pilot.press("ctrl+end")
        await until(pilot, lambda: AGENTS - 1 in grid.visible_rows(), "scrolled to the end")
        await pilot.press("slash", "7")  # agents 07, 17, ... 70-79: the cursor stays on 79
        await until(pilot, lambda: len(grid.rows_by_id) == 17, "filtered")
        await pilot.press("escape")  # all 80 rows again, the cursor still on Agent 79
        await until(pilot, lambda: len(grid.rows_by_id) == AGENTS
                    and AGENTS - 1 in grid.visible_rows(), "filter cleared")
        assert grid.selected_id == "agent-79"
        for index in grid.visible_rows():
            agent_id = grid.rows_by_id[index]
            line = drawn(grid, agent_id)
            assert agent_id.replace("agent-", "Agent ") in line and "UP 200ms" in line, line


def test_the_header_repaints_only_what_changed() -> None:
    before = "258 UP   0 DEGRADED   0 DOWN   242 UNKNOWN      last run 11:34:28"
    after = "263 UP   0 DEGRADED   0 DOWN   237 UNKNOWN      last run 11:34:29"
    assert changed_spans(before, after) == [(1, 2), (32, 2), (64, 1)]
    assert changed_spans("abc", "abc") == []
    assert changed_spans("12345", "2") == [(0, 5)]  # a shorter line clears the rest
    assert changed_spans("a1b2c", "a9b9c") == [(1, 3)]  # close changes are one repaint


async def test_the_help_screen_is_kept_between_presses_and_rebuilt_for_a_new_width(
        crowd) -> None:
    from agentstatus_tui.ui.help_screen import HelpScreen

    app = AgentStatusApp(crowd, clock=lambda: NOW, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        first = app.screen
        assert isinstance(first, HelpScreen) and first.width == 100
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert app.screen is first  # shown again, not composed again
        assert first.query_one("#help-keys").row_count > 5
        await pilot.press("escape")
        await pilot.resize_terminal(80, 24)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and app.screen is not first
        assert app.screen.width == 80
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
