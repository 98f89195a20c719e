"""Confirmation and hysteresis: `confirm: N` pages after N DOWN runs in a row,
`recover_after: M` resolves after M good runs in a row; a blip shorter than that pages
nobody (the alert log shows it suppressed); two processes on one data dir page once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from agent_server import AgentServer
from agent_server import Reply as AgentReply
from alerts_helpers import channels, config, pd_events
from paging_helpers import Clock, Pager, paging_agent, slack_texts
from receivers import HttpReceiver, Reply

from agentstatus_tui.engine.alerts.outbox import SUPPRESSED
from agentstatus_tui.engine.model import Region, Verdict
from agentstatus_tui.engine.monitor import Monitor

D, U, K = Verdict.DOWN, Verdict.UP, Verdict.UNKNOWN


async def test_two_down_runs_page_once_and_two_good_runs_resolve(
        http: HttpReceiver, tmp_path: Path) -> None:
    cfg = config((paging_agent(confirm=2, recover_after=2),), channels(http.url(), 1))
    p = Pager(cfg, tmp_path / "agentstatus.db", Clock())
    try:
        await p.step(U)
        await p.step(D)
        assert pd_events(http) == []  # one DOWN run: not confirmed yet
        await p.step(D)
        assert [e for e, _ in pd_events(http)] == ["trigger"]
        await p.step(D)
        await p.step(U)
        assert [e for e, _ in pd_events(http)] == ["trigger"]  # one good run: still open
        await p.step(U)
        await p.step(U)
    finally:
        await p.close()
    (trigger, key), (resolve, key2) = pd_events(http)
    assert (trigger, resolve) == ("trigger", "resolve") and key == key2
    assert slack_texts(http)[0] == "[DOWN] Support Bot is DOWN (was UP)"
    # The outage lasted from the first DOWN run to the first good one (3 runs, 3m).
    assert slack_texts(http)[1] == "[RECOVERED] Support Bot is UP again after 3m"


async def test_a_one_run_blip_pages_nobody_and_is_logged_as_suppressed(
        http: HttpReceiver, tmp_path: Path) -> None:
    cfg = config((paging_agent(confirm=2),), channels(http.url(), 1))
    p = Pager(cfg, tmp_path / "agentstatus.db", Clock())
    try:
        for v in (U, D, U, D, U):
            await p.step(v)
        log = p.center.log()
        health = p.center.health()
    finally:
        await p.close()
    assert http.at("/v2/enqueue") == [] and slack_texts(http) == []
    suppressed = [r for r in log if r.status == SUPPRESSED]
    assert {r.channel for r in suppressed} == {"pagerduty", "slack"}
    assert len(suppressed) == 4  # two blips, two channels each
    assert all(r.last_error == "waiting for confirmation: 1 of 2 DOWN runs"
               for r in suppressed)
    assert health.ok  # a suppressed page is not a failing one


async def test_a_relapse_before_recovery_is_confirmed_keeps_the_one_page(
        http: HttpReceiver, tmp_path: Path) -> None:
    cfg = config((paging_agent(recover_after=2),), channels(http.url(), 1))
    p = Pager(cfg, tmp_path / "agentstatus.db", Clock())
    try:
        for v in (U, D, U, D, U, U):
            await p.step(v)
    finally:
        await p.close()
    assert [e for e, _ in pd_events(http)] == ["trigger", "resolve"]
    assert len({k for _, k in pd_events(http)}) == 1


async def test_defaults_page_on_the_first_down_run_as_before(
        http: HttpReceiver, tmp_path: Path) -> None:
    cfg = config((paging_agent(),), channels(http.url(), 1))
    p = Pager(cfg, tmp_path / "agentstatus.db", Clock())
    try:
        for v in (U, D, U):
            await p.step(v)
        log = p.center.log()
    finally:
        await p.close()
    assert [e for e, _ in pd_events(http)] == ["trigger", "resolve"]
    assert not [r for r in log if r.status == SUPPRESSED]


async def test_a_restart_between_down_runs_still_confirms_once(
        http: HttpReceiver, tmp_path: Path) -> None:
    """DOWN, the dashboard stops (UNKNOWN), starts again, DOWN: two DOWN runs in a row."""
    cfg = config((paging_agent(confirm=2),), channels(http.url(), 1))
    p = Pager(cfg, tmp_path / "agentstatus.db", Clock())
    try:
        await p.step(U)
        await p.step(D)
        p.store.mark_unknown("support-bot", p.clock.t + 1)
        p.center.process_transitions()
        await p.step(D)
        await p.step(D)
    finally:
        await p.close()
    assert [e for e, _ in pd_events(http)] == ["trigger"]


async def test_a_dashboard_and_a_cron_check_confirm_and_resolve_once(
        http: HttpReceiver, tmp_path: Path) -> None:
    """Runs come from either process; each follows transitions and ticks: one page,
    one resolve, whoever sees the confirming run."""
    http.default("/services/T000/B000/xoxSLACKTOKENsecret987", Reply(200, "ok", delay=0.2))
    cfg = config((paging_agent(confirm=2, recover_after=2),), channels(http.url(), 1))
    clock = Clock()
    path = tmp_path / "agentstatus.db"
    dashboard, cron = Pager(cfg, path, clock), Pager(cfg, path, clock)
    try:
        for who, v in ((dashboard, U), (cron, D), (dashboard, D), (cron, D), (dashboard, U),
                       (cron, U), (dashboard, U)):
            clock.t += 60
            who.record(v)
            # The other process ticks too (its timer), and both deliver at once.
            (cron if who is dashboard else dashboard).center.tick()
            await asyncio.gather(dashboard.deliver(), cron.deliver())
    finally:
        await dashboard.close()
        await cron.close()
    assert [e for e, _ in pd_events(http)] == ["trigger", "resolve"]
    assert len(slack_texts(http)) == 2


async def test_the_monitor_confirms_a_down_with_quick_rechecks_not_the_next_slot(
        http: HttpReceiver, tmp_path: Path) -> None:
    """With `confirm: 3` and an hour between runs, the DOWN is confirmed by rechecks
    (the quick look after a worse run, repeated while a page waits for confirmation):
    the page goes out after the third run, long before the next slot."""
    async with AgentServer() as server:
        url = server.route("/v1/chat/completions", AgentReply(status=503))
        base = paging_agent(("slack",), confirm=3)
        bot = replace(base, url=url, headers={}, regions=("us",), validations=1, retries=0,
                      timeout=2.0, interval=3600.0, recheck=0.2)
        cfg = replace(config((bot,), channels(http.url(), 1)),
                      regions={"us": Region("us")})
        mon = Monitor.open(cfg, data_dir=str(tmp_path))
        await mon.start()
        try:
            for _ in range(400):
                if slack_texts(http):
                    break
                await asyncio.sleep(0.05)
            runs = len(server.received("/v1/chat/completions"))
        finally:
            await mon.stop()
    assert slack_texts(http) == ["[DOWN] Support Bot is DOWN (was UNKNOWN)"]
    assert runs == 3
