"""Text from the config, the agents, the receivers and the user is shown as written on every
screen: `[/bold]` or `[red]` in a name, a runbook line, an error body or a note neither
stops the dashboard nor restyles it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from agent_server import AgentServer, Reply
from receivers import HttpReceiver
from receivers import Reply as ReceiverReply
from screen_text import screen_text, shown

from agentstatus_tui.engine.model import (
    AgentConfig,
    AlertRules,
    Config,
    Expectation,
    GoldPrompt,
    Region,
    Runbook,
    WebhookChannel,
)
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.help_screen import HelpScreen
from agentstatus_tui.ui.screens.alerts import AlertsScreen
from agentstatus_tui.ui.screens.confirm import ConfirmScreen
from agentstatus_tui.ui.screens.history import HistoryScreen
from agentstatus_tui.ui.screens.incident import IncidentScreen
from agentstatus_tui.ui.textual_private import notifications

NAME = "[/bold]Bad[red] x[/"  # refused outright by the markup parser
DOWN_NAME = "[reverse]Down [link=x]y"  # would silently restyle the screen
REGION = "[red]eu"
GOLD_NAME = "[@click=app.quit]sum"
CONTACT = "[reverse]@alice"
LINK = "[link=http://x]docs"
ROLLBACK = "undo [/] it ["
ISSUE = "[red]scale[/red] the pool ["
ERROR_BODY = "[/bold]boom[red] [@click=app.quit]"
ANSWER = "4 [/italic]ans["
CHANNEL = "[b]hook[/"
NOTE = "[/bold]note[red]"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("AGENTSTATUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("USER", "alice")


async def until(pilot, predicate, what: str, limit: float = 15.0) -> None:
    """Let the app run until `predicate` holds (the limit only stops a broken test hanging)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not predicate():
        if loop.time() > end:
            raise AssertionError(f"never happened: {what}\n{screen_text(pilot.app)}")
        await pilot.pause(0.05)


async def press_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def test_hostile_text_is_shown_as_written_on_every_screen(tmp_path: Path) -> None:
    async with AgentServer() as server, HttpReceiver() as hook:
        hook.default("/hook", ReceiverReply(500, "[/bold]nope[red]"))
        ok = AgentConfig(
            id="ok", name=NAME, url=server.route("/ok", Reply(ANSWER)), regions=(REGION,),
            validations=1, retries=0, timeout=5.0,
            gold_prompts=(GoldPrompt("What is 2+2?", (Expectation("contains", "4"),),
                                     name=GOLD_NAME),),
            runbook=Runbook(contacts=(CONTACT,), links={LINK: "http://x/[red]"},
                            rollback=ROLLBACK, common_issues={"HTTP 503": ISSUE}),
        )
        down = AgentConfig(
            id="down", name=DOWN_NAME, url=server.route("/down", Reply(status=503,
                                                                      body=ERROR_BODY)),
            regions=(REGION,), validations=1, retries=0, timeout=5.0,
            alerts=AlertRules(channels=(CHANNEL,)),
        )
        config = Config(
            agents=(ok, down), regions={REGION: Region(REGION)},
            channels={CHANNEL: WebhookChannel(CHANNEL, hook.url("/hook"))},
            data_dir=str(tmp_path),
        )
        monitor = Monitor.open(config, data_dir=str(tmp_path))
        try:
            await monitor.run_now("ok")
            app = AgentStatusApp(monitor, live=False)
            async with app.run_test(size=(160, 50)) as pilot:
                # grid, column labels and the detail pane's border title
                text = await shown(pilot, app, f"{NAME} · UP")
                assert REGION in text
                # an agent going DOWN: its toast, its row, its last failure
                await monitor.run_now("down")
                await monitor.alerts.deliver_pending()
                await until(pilot, lambda: any(CHANNEL in n.message for n in notifications(app)),
                            "PAGING FAILING toast")
                assert not any(n.markup for n in notifications(app))
                await pilot.press("j")
                text = await shown(pilot, app, ERROR_BODY)
                assert f"{DOWN_NAME} · DOWN" in text
                # history
                await pilot.press("h")
                assert isinstance(app.screen, HistoryScreen)
                await shown(pilot, app, f"{DOWN_NAME} · history")
                await pilot.press("escape")
                # alert log: the agent, the channel, the receiver's error
                await pilot.press("a")
                assert isinstance(app.screen, AlertsScreen)
                text = await shown(pilot, app, CHANNEL)
                assert DOWN_NAME in text
                await pilot.press("escape")
                # help
                await pilot.press("question_mark")
                assert isinstance(app.screen, HelpScreen)
                await pilot.press("escape")
                # the filter, typed with markup in it
                await pilot.press("slash")
                await press_text(pilot, "[red]")
                text = await shown(pilot, app, "[red]")
                await until(pilot, lambda: app.grid.rows_by_id == ["ok"], "filtered to one")
                await pilot.press("escape")
                await until(pilot, lambda: len(app.grid.rows_by_id) == 2, "filter cleared")
                # the incident panel of the healthy agent: a drill, confirmed
                app.grid.move_cursor(row=0)
                await pilot.press("i")
                await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirm")
                await shown(pilot, app, f"{NAME} is UP: there is no incident.")
                await pilot.press("y")
                await until(pilot, lambda: isinstance(app.screen, IncidentScreen), "panel")
                screen = app.screen
                seen = [await shown(pilot, app, f"{NAME} · ")]
                await pilot.press("n")
                await press_text(pilot, NOTE)
                await pilot.press("enter")
                seen.append(await shown(pilot, app, NOTE))
                for step in range(2, 9):
                    await pilot.press("enter")
                    await until(pilot, lambda step=step: screen.step == step, f"step {step}")
                    if step == 4:
                        await pilot.press("s")
                        await until(pilot, lambda: screen.probe is not None, "probe")
                    seen.append(screen_text(app))
                everything = "\n".join(seen)
                for written in (CONTACT, LINK, ROLLBACK, ISSUE, REGION, ANSWER.split("[")[0]):
                    assert written in everything, written
                assert app.is_running
        finally:
            await monitor.stop()
