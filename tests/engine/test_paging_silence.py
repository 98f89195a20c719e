"""A silence holds an agent's page (the alert log shows it suppressed with the silence's
end and reason); when the silence ends and the agent is still DOWN, it pages then, once,
whichever process ticks first."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alerts_helpers import channels, config, pd_events
from paging_helpers import Clock, Pager, paging_agent, slack_texts
from receivers import HttpReceiver

from agentstatus_tui.engine.alerts.outbox import SUPPRESSED
from agentstatus_tui.engine.alerts.silences import add_silence
from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.text import clock

D, U = Verdict.DOWN, Verdict.UP
MIN = 60.0


async def test_a_silence_holds_the_page_and_its_end_pages_a_still_down_agent(
        http: HttpReceiver, tmp_path: Path) -> None:
    cfg = config((paging_agent(remind_every=30 * MIN),), channels(http.url(), 1))
    t = Clock()
    path = tmp_path / "agentstatus.db"
    dashboard, cron = Pager(cfg, path, t), Pager(cfg, path, t)
    until = t.t + 2 * 3600
    add_silence(dashboard.store.conn, matcher_kind="agent", matcher_value="support-bot",
                ends_at=until, reason="deploy of v2", author="alice", now=t.t)
    try:
        await dashboard.step(U)
        await dashboard.step(D)
        await dashboard.step(D)
        status = dashboard.center.paging_status(cfg.agents[0])
        await dashboard.later(60 * MIN)
        assert pd_events(http) == [] and slack_texts(http) == []
        log = dashboard.center.log()
        t.t = until + 1
        # Both processes' timers fire at once: one page between them.
        await asyncio.gather(asyncio.to_thread(dashboard.center.tick),
                             asyncio.to_thread(cron.center.tick))
        await asyncio.gather(dashboard.deliver(), cron.deliver())
        await dashboard.later(MIN)
        await dashboard.step(U)
    finally:
        await dashboard.close()
        await cron.close()
    reason = f"SILENCED until {clock(until, seconds=False)} — deploy of v2"
    assert {(r.channel, r.status, r.last_error) for r in log} == {
        ("pagerduty", SUPPRESSED, reason), ("slack", SUPPRESSED, reason)}
    assert len(log) == 2  # held once, not once per run or tick
    assert status.silenced is not None and status.silenced.reason == reason
    assert status.marker == "SILENCED"
    assert [e for e, _ in pd_events(http)] == ["trigger", "resolve"]
    assert slack_texts(http)[0] == "[DOWN] Support Bot is DOWN (was UP)"
