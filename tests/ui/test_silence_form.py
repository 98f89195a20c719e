"""`s` on the dashboard: the silence form adds a silence for the selected agent through
the front-end interface; escape cancels; a missing reason or a bad duration is said in the
form and nothing is stored."""

from __future__ import annotations

import pytest
from dashboard_fixtures import NOW, use_utc

from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.screens.silence import SilenceScreen


@pytest.fixture(autouse=True)
def user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTSTATUS_USER", "alice")


async def test_the_form_silences_the_selected_agent(monitor: Monitor) -> None:
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        agent_id = app.grid.selected_id
        assert agent_id is not None
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, SilenceScreen) and form.agent.id == agent_id
        await pilot.press("enter")  # no reason yet
        await pilot.pause()
        assert app.screen is form
        assert form.problem == "A silence needs a reason: why is it quiet?"
        assert await monitor.silences() == []
        await pilot.press(*"db failover")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is not form
    (silence,) = await monitor.silences()
    assert (silence.matcher_kind, silence.matcher_value) == ("agent", agent_id)
    assert (silence.reason, silence.author) == ("db failover", "alice")
    assert (silence.starts_at, silence.ends_at) == (NOW, NOW + 7200)  # the default 2h


async def test_escape_cancels_and_stores_nothing(monitor: Monitor) -> None:
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"half typed")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SilenceScreen)
    assert await monitor.silences() == []


async def test_a_bad_duration_is_refused_in_the_form(monitor: Monitor) -> None:
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"deploy", "shift+tab", "end", "backspace", "backspace", *"soon",
                          "enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, SilenceScreen)
        assert form.problem == "For how long? 'soon' is not a duration (try 30m, 2h or 1d)."
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"45m", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, SilenceScreen)
    (silence,) = await monitor.silences()
    assert silence.ends_at == NOW + 45 * 60 and silence.reason == "deploy"


def test_the_silence_form_snapshot(snap_compare, monitor: Monitor) -> None:
    use_utc()
    app = AgentStatusApp(monitor, clock=lambda: NOW, theme="dark", live=False)

    async def open_form(pilot) -> None:
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"rolling out v2.3")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_form)
