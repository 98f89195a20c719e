"""Paging that fails is impossible to miss in the dashboard: a red header naming the
channel, the error, how many tries and since when, a toast and the terminal bell. A
dashboard without channels says so instead of `alerts: ok`."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

import pytest
from agent_server import AgentServer, Reply
from receivers import HttpReceiver
from receivers import Reply as ReceiverReply
from test_dashboard_keys import agent, until

from agentstatus_tui.engine.alerts.outbox import AlertHealth, ChannelFailure
from agentstatus_tui.engine.model import AlertRules, Config, DeliveryPolicy, Region, SlackChannel
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.widgets.header import counts_variants, fit, paging


class BellCountingApp(AgentStatusApp):
    """The dashboard, counting the bells it rings (a headless test has no terminal)."""

    bells = 0

    def bell(self) -> None:
        self.bells += 1
        super().bell()


def _config(server: AgentServer, tmp_path: Path, slack_url: str | None, **kw: object) -> Config:
    rules = AlertRules(channels=("chat",)) if slack_url else AlertRules()
    return Config(
        agents=(agent(server, "search", "Search Agent", "/broken", interval=3600,
                      alerts=rules),),
        regions=MappingProxyType({"local": Region("local")}),
        channels=MappingProxyType({"chat": SlackChannel("chat", slack_url)} if slack_url else {}),
        data_dir=str(tmp_path), **kw,  # type: ignore[arg-type]
        delivery=DeliveryPolicy(group_wait=0.0),  # the page goes out at once
    )


async def test_a_failing_slack_turns_the_header_red_with_a_toast_and_a_bell(tmp_path) -> None:
    async with AgentServer() as server, HttpReceiver() as slack:
        server.route("/broken", Reply(status=503))
        slack.default("/slack", ReceiverReply(500, "internal error"))
        monitor = Monitor.open(_config(server, tmp_path, slack.url("/slack"), bell=False),
                               data_dir=str(tmp_path))
        app = BellCountingApp(monitor)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await until(pilot, lambda: app.header.paging_failing, limit=20)
            text = app.header.text("alerts")
            assert text.startswith("PAGING FAILING: chat (HTTP 500 ×"), text
            assert re.search(r"×\d+, since \d\d:\d\d\)$", text), text
            await until(pilot, lambda: "PAGING FAILING: chat (HTTP 500" in app.header.shown())
            notes = [n for n in app._notifications if n.title == "PAGING FAILING"]
            assert len(notes) == 1 and "chat" in notes[0].message
            assert app.bells == 1  # bell: false silences DOWN, never failing paging
            # Retries that fail again neither stack toasts nor ring again.
            tries = len(slack.at("/slack"))
            await until(pilot, lambda: len(slack.at("/slack")) > tries, limit=20)
            await pilot.pause(0.2)
            assert len([n for n in app._notifications if n.title == "PAGING FAILING"]) == 1
            assert app.bells == 1
            # The channel delivers again: the header calms down.
            slack.default("/slack", ReceiverReply(200, "ok"))
            await until(pilot, lambda: not app.header.paging_failing, limit=30)
            assert not app.header.text("alerts").startswith("PAGING FAILING")


async def test_no_channels_reads_none_configured(tmp_path) -> None:
    async with AgentServer() as server:
        server.route("/broken", Reply(status=503))
        monitor = Monitor.open(_config(server, tmp_path, None), data_dir=str(tmp_path))
        app = AgentStatusApp(monitor)
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: monitor.states["search"].last is not None)
            await pilot.pause()
            assert app.header.text("alerts") == "alerts: none configured"


@pytest.mark.parametrize(("bell", "rings"), [(True, 1), (False, 0)])
async def test_every_down_rings_the_bell_unless_the_config_says_not(
    tmp_path, bell: bool, rings: int
) -> None:
    async with AgentServer() as server:
        server.route("/broken", Reply(status=503))
        monitor = Monitor.open(_config(server, tmp_path, None, bell=bell),
                               data_dir=str(tmp_path))
        app = BellCountingApp(monitor)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await until(pilot, lambda: any(n.title == "DOWN" for n in app._notifications))
            assert app.bells == rings


def test_the_header_keeps_the_down_count_to_the_last_column() -> None:
    class S:
        def __init__(self, verdict: str) -> None:
            from agentstatus_tui.engine.model import Verdict

            self.verdict = Verdict(verdict)
            self.paused = False

    states = [S("UP")] * 4 + [S("DEGRADED"), S("DOWN"), S("DOWN"), S("UNKNOWN")]
    failing = AlertHealth(1, 0, "HTTP 500", (ChannelFailure("slack", 6, "HTTP 500: x", 0.0),))
    alerts = paging(failing, configured=True).variants
    counts = counts_variants(states)
    last = "last run 10:15:03"
    for width in range(10, 130):
        title, shown_counts, shown_alerts, shown_last = fit(width, counts, alerts, last)
        line = "   ".join(p for p in (title, shown_counts, shown_alerts, shown_last) if p)
        assert "2 DOWN" in line, (width, line)
        if width >= 40:
            assert "PAGING FAILING" in line, (width, line)
        assert len(line) <= max(width, len("2 DOWN")), (width, line)
    assert fit(40, counts, alerts, last)[1] in ("4 UP 1 DEG 2 DOWN 1 UNK", "2 DOWN")
