"""Pilot tests of the live dashboard against real loopback agents and a real Monitor."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

import itertools

from agent_server import AgentServer, Reply

from agentstatus_tui.engine import events
from agentstatus_tui.engine.model import (
    AgentConfig,
    Config,
    Expectation,
    GoldPrompt,
    Region,
    Verdict,
)
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.help_screen import HelpScreen
from agentstatus_tui.ui.screens.alerts import AlertsScreen
from agentstatus_tui.ui.screens.history import HistoryScreen

GOLD = (GoldPrompt("What is 2+2?", (Expectation("contains", "4"),)),)


def agent(server: AgentServer, agent_id: str, name: str, path: str, **kw: Any) -> AgentConfig:
    opts: dict[str, Any] = dict(
        id=agent_id, name=name, url=server.url(path), regions=("local",), validations=2,
        retries=0, interval=60.0, timeout=2.0, gold_prompts=GOLD,
    )
    opts.update(kw)
    return AgentConfig(**opts)


def config(*agents: AgentConfig, **kw: Any) -> Config:
    return Config(agents=agents, regions=MappingProxyType({"local": Region("local")}), **kw)


async def until(pilot: Any, cond: Callable[[], bool], limit: float = 10.0) -> None:
    """Let the app run until `cond` holds (the limit only stops a broken test hanging)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await pilot.pause(0.05)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's Monitor keeps its history in the test's own temporary dir."""
    monkeypatch.setenv("AGENTSTATUS_DATA_DIR", str(tmp_path / "data"))


@asynccontextmanager
async def dashboard(*, keymap: dict[str, str] | None = None, size=(100, 30), **kw: Any):
    async with AgentServer() as server:
        server.route("/ok", Reply("4"))
        server.route("/broken", Reply(status=503))
        server.route("/wrong", Reply("5"))
        cfg = config(
            agent(server, "support-bot", "Support Bot", "/ok"),
            agent(server, "search-agent", "Search Agent", "/broken"),
            agent(server, "quiz-master", "Quiz Master", "/wrong"),
            keymap=MappingProxyType(keymap or {}),
        )
        monitor = Monitor.open(cfg)
        app = AgentStatusApp(monitor)
        async with app.run_test(size=size, **kw) as pilot:
            await until(pilot, lambda: all(s.last is not None for s in monitor.states.values()))
            await pilot.pause()
            yield app, pilot, server, monitor


def texts(app: AgentStatusApp, column: str) -> dict[str, str | None]:
    return {aid: app.grid.cell_text(aid, column) for aid in app.grid.rows_by_id}


async def test_grid_shows_verdicts_and_region_cells() -> None:
    async with dashboard() as (app, _pilot, _server, _monitor):
        verdicts = texts(app, "verdict")
        assert verdicts == {"support-bot": "UP", "search-agent": "DOWN",
                            "quiz-master": "DEGRADED"}
        assert texts(app, "r:local")["search-agent"] == "DOWN HTTP_503"
        assert texts(app, "r:local")["support-bot"].startswith("UP ")
        assert texts(app, "r:local")["support-bot"].endswith("ms")
        assert texts(app, "eval")["quiz-master"] == "0%"
        assert app.header.text("counts") == "1 UP   1 DEGRADED   1 DOWN   0 UNKNOWN"


async def test_r_reruns_the_selected_agent_and_R_reruns_all() -> None:
    async with dashboard() as (_app, pilot, server, monitor):
        before = len(server.received("/ok"))
        await pilot.press("r")  # the cursor starts on the first agent, Support Bot
        await until(pilot, lambda: len(server.received("/ok")) > before)
        await until(pilot, lambda: not monitor.states["support-bot"].in_flight)
        assert monitor.states["support-bot"].last.manual
        assert not monitor.states["search-agent"].last.manual  # only the selected one

        broken = len(server.received("/broken"))
        await pilot.press("R")
        await until(pilot, lambda: len(server.received("/broken")) > broken)


async def test_p_pauses_polling_and_shows_paused() -> None:
    async with AgentServer() as server:
        server.route("/ok", Reply("4"))
        cfg = config(agent(server, "fast", "Fast Agent", "/ok", interval=0.3))
        monitor = Monitor.open(cfg)
        app = AgentStatusApp(monitor)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: len(server.received("/ok")) >= 6)  # it polls
            await pilot.press("p")
            await until(pilot, lambda: not monitor.states["fast"].in_flight)
            assert monitor.states["fast"].verdict is Verdict.UNKNOWN
            assert app.grid.cell_text("fast", "verdict") == "PAUSED"
            assert app.grid.cell_text("fast", "r:local") == "PAUSED"
            assert app.header.text("counts").endswith("0 UNKNOWN   1 PAUSED")
            seen = len(server.received("/ok"))
            await pilot.pause(1.0)  # three intervals: a polled agent would have run
            assert len(server.received("/ok")) == seen
            await pilot.press("p")  # resume
            await until(pilot, lambda: len(server.received("/ok")) > seen)
            await until(pilot, lambda: monitor.states["fast"].verdict is Verdict.UP)


async def test_slash_filters_rows_by_verdict_and_name() -> None:
    async with dashboard() as (app, pilot, _server, _monitor):
        await pilot.press("slash")
        await pilot.press(*"down")
        assert app.grid.rows_by_id == ["search-agent"]
        assert app.grid.row_count == 1
        await pilot.press("enter")  # keeps the filter, back to the grid
        assert app.grid.has_focus
        assert app.grid.row_count == 1
        await pilot.press("slash", *"\b\b\b\b", *"quiz")
        assert app.grid.rows_by_id == ["quiz-master"]
        await pilot.press("escape")
        assert app.grid.row_count == 3


async def test_question_mark_lists_every_binding() -> None:
    async with dashboard() as (app, pilot, _server, _monitor):
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys")
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        ids = {r[2] for r in rows}
        for binding in AgentStatusApp.BINDINGS:
            assert binding.id in ids, binding.id
        # Each key says what it does (its tooltip), not only its one-word footer label.
        described = {r[2]: str(r[1]) for r in rows}
        for binding in AgentStatusApp.BINDINGS:
            assert described[binding.id] == (binding.tooltip or binding.description)
        assert described["rerun-all"] == "Run every agent now"
        assert "^p" in {r[0] for r in rows}  # the command palette
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits_with_exit_code_zero() -> None:
    async with dashboard() as (app, pilot, _server, _monitor):
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_t_cycles_themes() -> None:
    async with dashboard() as (app, pilot, _server, _monitor):
        assert app.theme == "dark"
        seen = [app.theme]
        for _ in range(4):
            await pilot.press("t")
            seen.append(app.theme)
        assert seen == ["dark", "light", "high-contrast", "monochrome", "dark"]


async def test_h_opens_history_and_a_the_alert_log() -> None:
    async with dashboard() as (app, pilot, _server, _monitor):
        await pilot.press("j")  # Search Agent: it went UNKNOWN → DOWN
        assert app.grid.selected_id == "search-agent"
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.query_one("#history-transitions")
        assert table.row_count >= 1
        assert "DOWN" in str(table.get_row_at(0)[2].text)
        await pilot.press("escape")
        await pilot.press("a")
        assert isinstance(app.screen, AlertsScreen)
        await pilot.press("escape")
        assert app.screen.query_one("#grid") is app.grid


async def test_keymap_rebinds_by_id() -> None:
    async with dashboard(keymap={"rerun": "x"}) as (_app, pilot, server, _monitor):
        before = len(server.received("/ok"))
        await pilot.press("r")  # no longer bound
        await pilot.pause(0.3)
        assert len(server.received("/ok")) == before
        await pilot.press("x")
        await until(pilot, lambda: len(server.received("/ok")) > before)


async def test_agent_going_down_notifies_and_offers_the_incident_panel() -> None:
    async with dashboard(notifications=True) as (app, pilot, _server, _monitor):
        await until(pilot, lambda: any("DOWN" in n.message for n in app._notifications))
        notes = [n.message for n in app._notifications]
        down = [m for m in notes if "Search Agent is DOWN" in m]
        assert down, notes
        assert "HTTP_503" in down[0]
        assert "incident panel" in down[0] or "history" in down[0]
        assert not any("Support Bot" in m for m in notes)


async def test_agents_going_down_together_share_one_notification() -> None:
    async with AgentServer() as server:
        server.route("/broken", Reply(status=503))
        server.route("/denied", Reply(status=401, delay=1.2))  # DOWN a second after Alpha
        # Beta answers late on purpose: a timeout far above its delay keeps it a 401 (not
        # a TIMEOUT) on a busy machine.
        cfg = config(agent(server, "a", "Alpha", "/broken"),
                     agent(server, "b", "Beta", "/denied", timeout=15.0))
        app = AgentStatusApp(Monitor.open(cfg))
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await until(pilot, lambda: any("2 agents" in n.message for n in app._notifications))
            notes = [n.message for n in app._notifications if "DOWN" in n.message]
            assert len(notes) == 1, notes
            assert notes[0].startswith("2 agents are DOWN: ")
            assert "Alpha (HTTP_503" in notes[0] and "Beta (HTTP_401" in notes[0]


async def test_a_slow_agent_with_a_short_interval_never_has_two_runs_in_flight() -> None:
    async with AgentServer() as server:
        server.route("/slow", Reply("4", delay=0.4))
        cfg = config(agent(server, "slow", "Slow Agent", "/slow", interval=0.1,
                           validations=1, gold_prompts=()))
        monitor = Monitor.open(cfg)
        in_flight = 0
        most = 0
        runs = 0

        def count(event: events.Event) -> None:
            nonlocal in_flight, most, runs
            if isinstance(event, events.RunStarted):
                in_flight += 1
                most = max(most, in_flight)
            elif isinstance(event, events.RunFinished):
                in_flight -= 1
                runs += 1

        monitor.subscribe(count)
        app = AgentStatusApp(monitor)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: runs >= 2)
            # Manual reruns while a run is in flight join it instead of doubling it.
            await pilot.press("r", "r", "R")
            await until(pilot, lambda: runs >= 4)
        assert most == 1
        # and the agent saw one request at a time
        starts = sorted(r.at for r in server.received("/slow"))
        assert all(b - a >= 0.35 for a, b in itertools.pairwise(starts)), starts


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_fits_the_terminal(size: tuple[int, int]) -> None:
    async with dashboard(size=size) as (app, _pilot, _server, _monitor):
        assert app.grid.plan is not None
        assert app.grid.plan.width() <= size[0]
        assert app.grid.plan.regions == ("local",)
        if size[0] >= 120:
            assert not app.grid.plan.short and app.grid.plan.uptime


async def test_detail_columns_grow_to_fit_latencies_after_the_first_run() -> None:
    from textual.widgets import DataTable

    async with dashboard(size=(80, 24)) as (app, _pilot, _server, _monitor):
        table = app.detail.query_one("#regions", DataTable)
        for label in ("P50", "P95"):
            text = table.get_cell("local", label).text
            # A latency ("12ms"; "1.3s" when a busy machine slows the loopback agent).
            assert re.fullmatch(r"\d+(\.\d+)?(ms|s)", text), text
            assert table.columns[label].content_width >= len(text), (label, text)


async def test_command_palette_offers_every_dashboard_action() -> None:
    from textual.binding import Binding

    from agentstatus_tui.ui.commands import ACTIONS, DashboardCommands

    async with dashboard() as (app, _pilot, _server, _monitor):
        offered = [title for title, _help, _run in DashboardCommands(app.screen)._actions()]
        assert offered == [title for title, _help, _action in ACTIONS]
        assert "Incident panel" in offered
        bound = {b.action for b in app.BINDINGS if isinstance(b, Binding)}
        assert {action for _t, _h, action in ACTIONS} <= bound


async def test_recovery_is_announced_with_how_long_it_was_down() -> None:
    async with AgentServer() as server:
        server.route("/x", Reply(status=503))
        cfg = config(agent(server, "a", "Alpha", "/x", interval=3600))
        monitor = Monitor.open(cfg)
        app = AgentStatusApp(monitor)
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await until(pilot, lambda: monitor.states["a"].verdict is Verdict.DOWN)
            server.route("/x", Reply("4"))
            await pilot.press("r")
            await until(pilot, lambda: any(n.title == "RECOVERED" for n in app._notifications))
            note = next(n.message for n in app._notifications if n.title == "RECOVERED")
            assert note.startswith("Alpha recovered after ") and note.endswith(" DOWN.")


async def test_last_run_ages_tick_from_each_agents_newest_run() -> None:
    """The once-a-second tick rewrites the LAST ages from the newest run of every agent,
    not from what the grid was first built with (no run yet: '-')."""
    async with dashboard() as (app, pilot, _server, _monitor):
        app.grid.tick()  # what the dashboard's once-a-second timer does
        await pilot.pause()
        ages = texts(app, "last")
        assert all(a is not None and a.startswith("<10s") for a in ages.values()), ages
