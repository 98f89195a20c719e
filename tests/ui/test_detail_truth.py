"""What the detail pane and the grid say must be true: latency bars scaled from zero, a
DOWN agent not shown with a latency "now", gold prompts that did not run marked as such,
a paused agent read as PAUSED at any width, and j/k in every list."""

from __future__ import annotations

from dataclasses import replace

from dashboard_fixtures import NOW, use_utc

from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.widgets.detail import latency_label
from agentstatus_tui.ui.widgets.latency_bars import bars


def test_bars_start_at_zero() -> None:
    assert bars([0.011, 0.015], 10) == "▆█"  # not ▁█: 11ms is most of 15ms
    assert bars([0.2, None, 0.1], 10) == "█·▅"
    assert bars([0.1] * 30, 5) == "█████"  # the newest runs that fit


def test_the_label_says_last_run_and_never_shows_a_down_agents_latency_as_now(
    monitor: Monitor,
) -> None:
    down = monitor.states["crm-sync"]
    down.points.clear()
    down.points.append(0.011)
    assert latency_label(down) == "p50 latency, last run (0–11ms) · DOWN now"
    up = monitor.states["support-bot"]
    label = latency_label(up)
    assert label.startswith("p50 latency, last 11 runs (0–1.4s) · ")
    assert label.endswith(" · 310ms now")


async def test_gold_prompts_that_did_not_run_read_up_question_mark(monitor: Monitor) -> None:
    use_utc()
    st = monitor.states["support-bot"]
    assert st.last is not None
    no_slot = replace(st.last.overall, verdict=Verdict.REACHABLE, gold=0, gold_ok=0)
    st.last = replace(st.last, overall=no_slot,
                      regions={r: replace(s, verdict=Verdict.REACHABLE, gold=0, gold_ok=0)
                               for r, s in st.last.regions.items()})
    st.verdict = Verdict.REACHABLE
    st.region_verdicts = dict.fromkeys(st.region_verdicts, Verdict.REACHABLE)
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 40)):
        assert app.grid.cell_text("support-bot", "verdict") == "UP?"
        assert app.grid.cell_text("support-bot", "eval") == "skip"
        assert app.grid.cell_text("support-bot", "r:us").startswith("UP? ")
        assert app.grid.cell_text("billing-helper", "verdict") == "UP·"  # has none at all
        assert "UP?" in app.detail.title


async def test_a_paused_agent_reads_paused_at_80_columns(monitor: Monitor) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(80, 24)):
        assert app.grid.plan is not None and app.grid.plan.short
        assert app.grid.cell_text("translator", "verdict") == "PAUSED"
        assert app.grid.plan.width() <= 80


async def test_j_and_k_move_in_the_verdict_history(monitor: Monitor) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        history = app.detail.query_one("#history")
        await pilot.press("tab")
        assert history.has_focus
        await pilot.press("j")
        assert history.cursor_row == 1
        await pilot.press("k")
        assert history.cursor_row == 0
