"""The incident panel where on-call engineers are, 80x24: every step body and the timeline
scroll, moving on never ticks a step, resolving while DOWN and opening a drill ask first,
and the curl on screen can be copied off it."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_incident_snapshots import NOW, fixed_config, open_panel, seed

from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.engine.probe.curl import curl_command
from agentstatus_tui.engine.probe.prober import ProbeReply
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.screens.confirm import ConfirmScreen
from agentstatus_tui.ui.screens.incident import IncidentScreen
from agentstatus_tui.ui.widgets.incident_steps import path_lines, wrap_curl
from agentstatus_tui.ui.widgets.scroll_pane import ScrollPane


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[AgentStatusApp]:
    """The dashboard over the incident snapshots' fixed data (Search Agent DOWN, its
    incident at step 4; Support Bot UP), never polling."""
    monitor = Monitor.open(fixed_config(), data_dir=str(tmp_path / "data"), clock=lambda: NOW)
    await seed(monitor)
    yield AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    await monitor.stop()


def long_probe() -> ProbeReply:
    return ProbeReply(region="us", status=503, ttfb=0.08, elapsed=0.09,
                      headers={f"x-header-{i}": "value" for i in range(4)},
                      body_snippet="overloaded " * 40, error="HTTP_503")


async def test_every_step_body_scrolls_with_the_keyboard(app: AgentStatusApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_panel(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        for step in "12345678":
            await pilot.press(step)
            screen.probe = long_probe()
            screen.refresh_all()
            await pilot.pause()
            pane = screen.query_one("#incident-step-pane", ScrollPane)
            assert pane.has_focus, step
            if pane.max_scroll_y == 0:
                continue  # this step fits: nothing to scroll
            await pilot.press("pagedown")
            await pilot.pause()
            assert pane.scroll_y > 0, step
            await pilot.press("home")
            await pilot.press("down")
            await pilot.pause()
            assert pane.scroll_y == 1, step
        await pilot.press("4")
        await pilot.pause()
        assert screen.query_one("#incident-step-pane", ScrollPane).max_scroll_y > 0


async def test_the_timeline_shows_its_newest_entry_and_scrolls_back(app: AgentStatusApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_panel(pilot)
        screen = app.screen
        for i in range(12):
            await screen.api.add_note(screen.incident_id, f"note number {i}")
        screen.record = await screen.api.incident(screen.incident_id)
        screen.refresh_all()
        await pilot.pause()
        await pilot.pause()
        timeline = screen.query_one("#incident-timeline-pane", ScrollPane)
        assert timeline.max_scroll_y > 0
        assert timeline.scroll_y == timeline.max_scroll_y  # the newest entry is on screen
        await pilot.press("tab")
        assert timeline.has_focus
        await pilot.press("pageup")
        await pilot.pause()
        assert timeline.scroll_y < timeline.max_scroll_y


async def test_enter_moves_on_without_ticking_and_d_ticks(app: AgentStatusApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_panel(pilot)
        screen = app.screen
        assert screen.step == 4 and not screen.record.steps[4].done
        await pilot.press("enter")
        assert screen.step == 5
        assert not screen.record.steps[4].done  # never sent, never ticked
        await pilot.press("left")
        assert screen.step == 4
        await pilot.press("d")
        assert screen.record.steps[4].done
        assert screen.step == 4


async def test_resolve_while_down_and_unverified_asks_first(app: AgentStatusApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_panel(pilot)
        screen = app.screen
        await pilot.press("8", "r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is screen
        assert not screen.query_one("#incident-input").has_class("-shown")
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert app.screen is screen
        assert screen.query_one("#incident-input").has_class("-shown")
        assert screen.record.incident.resolved_at is None  # still needs the resolution


async def test_i_on_a_healthy_agent_asks_before_opening_a_drill(app: AgentStatusApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")  # Support Bot, UP
        assert app.grid.selected_id == "support"
        await pilot.press("i")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not isinstance(app.screen, IncidentScreen)
        assert await app.api.current_incident("support") is None
        await pilot.press("i", "y")
        assert isinstance(app.screen, IncidentScreen)
        record = await app.api.current_incident("support")
        assert record is not None and record.incident.is_drill


async def test_i_on_a_down_agent_opens_its_incident_at_once(app: AgentStatusApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("i")
        assert isinstance(app.screen, IncidentScreen)


def _argv(command: str) -> list[str]:
    """The arguments bash parses out of a curl command (curl swapped for printf)."""
    script = command.replace("curl ", "printf '%s\\0' ", 1)
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True).stdout
    return out.decode().split("\0")[:-1]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash to parse the curl")
@pytest.mark.parametrize("width", [60, 76, 120])
def test_the_wrapped_curl_copied_off_the_screen_is_the_same_command(width: int) -> None:
    agent = fixed_config().agents[0]
    command = curl_command(agent, None)
    lines = wrap_curl(command, width)
    assert all(len(line) <= width for line in lines), lines
    # Between arguments each line ends with a backslash; inside the body, newlines are
    # JSON whitespace.
    body_start = next(i for i, line in enumerate(lines) if "-d '" in line)
    assert all(line.endswith(" \\") for line in lines[:body_start])
    # Copied off the screen: each line with the pane's one-space margin.
    copied = "\n".join(" " + line for line in lines)
    assert _argv(copied)[:-1] == _argv(command)[:-1]
    assert json.loads(_argv(copied)[-1]) == json.loads(_argv(command)[-1])


def test_a_document_path_wraps_after_a_slash_never_inside_a_name() -> None:
    path = "/home/alice/.local/share/agentstatus/incidents/2026-11-30-search-agent-1.md"
    lines = path_lines(path, 40)
    assert all(len(line) <= 40 for line in lines)
    assert "".join(line.strip() for line in lines) == path
    assert all(line.endswith("/") for line in lines[:-1])


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
async def test_c_inside_tmux_loads_the_curl_into_tmux_buffer(
    app: AgentStatusApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket = tmp_path / "tmux.sock"
    subprocess.run(["tmux", "-S", str(socket), "new-session", "-d", "-s", "t", "sleep 60"],
                   check=True)
    try:
        pid = subprocess.run(["tmux", "-S", str(socket), "display", "-p", "#{pid}"],
                             capture_output=True, check=True).stdout.decode().strip()
        monkeypatch.setenv("TMUX", f"{socket},{pid},0")
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await open_panel(pilot)
            await pilot.press("c")
            await pilot.pause()
            buffer = subprocess.run(["tmux", "-S", str(socket), "show-buffer"],
                                    capture_output=True, check=True).stdout.decode()
            assert buffer == curl_command(fixed_config().agents[0], fixed_config().regions["us"])
            notes = [n.message for n in app._notifications]
            assert any("tmux's paste buffer" in m for m in notes), notes
            assert not any(m == "curl command copied (OSC 52)" for m in notes)
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], check=False)
