"""While a DOWN page is open and nobody acknowledged it: reminders to chat and email
(PagerDuty keeps its one incident), escalation steps in order; an acknowledgement stops
both. Two processes on one data dir never double a reminder or a step."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alerts_helpers import channels, config, pd_events
from paging_helpers import Clock, Pager, paging_agent, slack_texts
from receivers import HttpReceiver, SmtpReceiver

from agentstatus_tui.engine.alerts import pages
from agentstatus_tui.engine.model import EscalationStep, Verdict

D, U = Verdict.DOWN, Verdict.UP
MIN = 60.0
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")
ESCALATION = (EscalationStep(0.0, ("pagerduty", "slack")),
              EscalationStep(15 * MIN, ("oncall-email",)))


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver(username="agentstatus", password="smtp-pa55word-secret") as rx:
        yield rx


def subjects(smtp: SmtpReceiver) -> list[str]:
    return [m["Subject"] for m in smtp.messages]


async def test_reminders_go_to_chat_and_email_until_acknowledged(
        http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path) -> None:
    bot = paging_agent(("pagerduty", "slack", "oncall-email"), remind_every=30 * MIN)
    cfg = config((bot,), channels(http.url(), smtp.port))
    p = Pager(cfg, tmp_path / "agentstatus.db", Clock())
    try:
        await p.step(D)
        await p.later(29 * MIN)
        assert len(slack_texts(http)) == 1  # not yet
        await p.later(1 * MIN)
        await p.later(30 * MIN)
        assert slack_texts(http)[1:] == [
            "[REMINDER] Support Bot is still DOWN after 30m, not acknowledged",
            "[REMINDER] Support Bot is still DOWN after 1h, not acknowledged"]
        assert subjects(smtp) == ["[DOWN] Support Bot", "[REMINDER] Support Bot",
                                  "[REMINDER] Support Bot"]
        p.center.enqueue_manual(bot, "acknowledge", "Investigating", by="alice",
                                note="looking at the app logs")
        await p.deliver()
        row = pages.read(p.store.conn, "support-bot")
        for _ in range(4):
            await p.later(30 * MIN)
        await p.step(U)
    finally:
        await p.close()
    assert (row.acked_by, row.ack_note) == ("alice", "looking at the app logs")
    assert row.acked_at is not None
    assert len([t for t in slack_texts(http) if t.startswith("[REMINDER]")]) == 2
    assert subjects(smtp)[3:] == ["[RECOVERED] Support Bot"]
    # PagerDuty: one incident, acknowledged, resolved; a reminder never re-triggers it.
    assert [e for e, _ in pd_events(http)] == ["trigger", "acknowledge", "resolve"]


async def test_escalation_step_two_fires_only_without_an_acknowledge(
        http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path) -> None:
    bot = paging_agent((), escalation=ESCALATION)
    other = paging_agent((), escalation=ESCALATION, agent_id="billing", name="Billing")
    cfg = config((bot, other), channels(http.url(), smtp.port))
    p = Pager(cfg, tmp_path / "agentstatus.db", Clock())
    try:
        await p.step(D)
        await p.step(D, seconds=0, agent_id="billing")
        assert [e for e, _ in pd_events(http)] == ["trigger", "trigger"]
        assert subjects(smtp) == []  # step 2 waits 15 minutes
        await p.later(10 * MIN)
        p.center.enqueue_manual(other, "acknowledge", "Investigating", by="bob")
        await p.later(5 * MIN)
        await p.later(30 * MIN)
        billing = pages.read(p.store.conn, "billing")
        bot_row = pages.read(p.store.conn, "support-bot")
    finally:
        await p.close()
    assert subjects(smtp) == ["[DOWN] Support Bot"]  # escalated once, Billing was acked
    body = smtp.messages[0].get_content()
    assert "not acknowledged: escalated (step 2)" in body
    assert (bot_row.escalation_step, billing.escalation_step) == (2, 1)
    # Step 2's channel is new to the page; PagerDuty and Slack were not paged again.
    assert slack_texts(http) == ["[DOWN] Support Bot is DOWN (was UNKNOWN)",
                                 "[DOWN] Billing is DOWN (was UNKNOWN)", "Investigating"]
    assert [e for e, _ in pd_events(http)] == ["trigger", "trigger", "acknowledge"]


async def test_two_processes_never_double_a_reminder_or_an_escalation(
        http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path) -> None:
    bot = paging_agent(("slack",), remind_every=30 * MIN, escalation=ESCALATION)
    cfg = config((bot,), channels(http.url(), smtp.port))
    clock = Clock()
    path = tmp_path / "agentstatus.db"
    dashboard, cron = Pager(cfg, path, clock), Pager(cfg, path, clock)
    try:
        clock.t += MIN
        dashboard.record(D)
        for _ in range(4):
            clock.t += 16 * MIN
            # Both tick at the same moment, from two threads (two processes' timers).
            await asyncio.gather(asyncio.to_thread(dashboard.center.tick),
                                 asyncio.to_thread(cron.center.tick))
        await asyncio.gather(dashboard.deliver(), cron.deliver())
    finally:
        await dashboard.close()
        await cron.close()
    reminders = [t for t in slack_texts(http) if t.startswith("[REMINDER]")]
    # 64 minutes: reminders at 32 (after 30) and 64 (30 after the first), one each.
    assert len(reminders) == 2
    assert subjects(smtp).count("[DOWN] Support Bot") == 1  # step 2, once
    assert [e for e, _ in pd_events(http)] == ["trigger"]
