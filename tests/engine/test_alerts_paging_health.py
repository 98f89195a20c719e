"""Paging health: a channel failing longer than `channel_failing_after` is announced on
the other channels once (whichever process looks), with its last error redacted, and its
recovery is announced when it delivers again. Real loopback receivers, the real store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alerts_helpers import (
    HOOK_PATH,
    PD_PATH,
    SLACK_PATH,
    SLACK_TOKEN,
    agent,
    channels,
    config,
    db_bytes,
    run,
)
from receivers import HttpReceiver, Reply, SmtpReceiver

from agentstatus_tui.cli.paging import alerts_document, delivery_report
from agentstatus_tui.engine.alerts.center import AlertCenter
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Config, Verdict

CHANNELS = ("pagerduty", "slack", "hook", "oncall-email")
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver(username="agentstatus", password="smtp-pa55word-secret") as rx:
        yield rx


def make_config(http: HttpReceiver, smtp: SmtpReceiver) -> Config:
    chans = channels(http.url(), smtp.port)
    del chans["status"]
    return config((agent(CHANNELS),), chans, channel_failing_after=0.5)


def center(cfg: Config, store: Store) -> AlertCenter:
    return AlertCenter(cfg, store, backoff_base=0.05, backoff_cap=0.1, attempt_timeout=3.0,
                       lease_wait=0.05)


async def deliver_until(centers: tuple[AlertCenter, ...], done: Callable[[], object],
                        what: str, limit: float = 45.0) -> None:
    """Let the processes deliver (with retries) until `done()`, however slow the machine:
    a condition, never a fixed delivery window."""
    end = time.monotonic() + limit
    while not done():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        for c in centers:
            await c.deliver_pending(time.time() + 0.5)


def channel_events(http: HttpReceiver) -> list[tuple[str, str]]:
    return [(r.json["event_action"], r.json["dedup_key"]) for r in http.at(PD_PATH)
            if r.json["dedup_key"].startswith("agentstatus-channel-")]


async def test_a_channel_failing_too_long_is_announced_once_elsewhere_and_its_recovery_too(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    http.default(SLACK_PATH, Reply(500, f"invalid_token {SLACK_TOKEN}"))
    cfg = make_config(http, smtp)
    path = tmp_path / "agentstatus.db"
    store, other_store = Store(path), Store(path)
    dashboard, check = center(cfg, store), center(cfg, other_store)
    try:
        for verdict in (Verdict.UP, Verdict.DOWN):
            result = run("support-bot", verdict, time.time())
            store.record_run(result)
            dashboard.process_transitions({"support-bot": result})
        # Slack fails for longer than channel_failing_after while the page is retried,
        # and both processes keep looking: one announcement, queued and sent once.
        await deliver_until((dashboard, check), lambda: channel_events(http),
                            "the failing channel's announcement")
        assert http.at(SLACK_PATH)
        await dashboard.deliver_pending(time.time() + 0.5)
        await check.deliver_pending(time.time() + 0.5)
        assert check.review_channels() == [] and dashboard.review_channels() == []
        (trigger,) = channel_events(http)
        assert trigger[0] == "trigger"
        health = dashboard.health()
        (failing,) = health.failing
        assert failing.channel == "slack" and failing.announced_at is not None
        # `check --json` says so on the failing channel.
        doc = alerts_document(delivery_report(check, 0.0, 4), cfg.secrets)
        (listed,) = doc["failing"]
        assert listed["channel"] == "slack" and listed["announced_at"] is not None
        assert SLACK_TOKEN not in str(doc)
        # A restart remembers the announcement.
        restarted_store = Store(path)
        restarted = center(cfg, restarted_store)
        try:
            assert restarted.review_channels() == []
        finally:
            await restarted.aclose()
            restarted_store.close()

        # Slack takes pages again: its page goes out, and the recovery is announced.
        http.default(SLACK_PATH, Reply(200, "ok"))
        await deliver_until((check, dashboard), lambda: len(channel_events(http)) == 2
                            and not dashboard.health().failing and not dashboard.health().pending,
                            "the recovery's announcement")
        assert dashboard.review_channels() == [] and check.review_channels() == []
        assert dashboard.health().failing == ()
    finally:
        await dashboard.aclose()
        await check.aclose()
        store.close()
        other_store.close()

    assert channel_events(http) == [("trigger", trigger[1]), ("resolve", trigger[1])]
    pd = [r.json for r in http.at(PD_PATH) if r.json["dedup_key"] == trigger[1]]
    summary = pd[0]["payload"]["summary"]
    assert summary.startswith("slack (slack) delivery failing since ")
    assert summary.endswith(": HTTP 500: invalid_token ••••••")
    assert pd[0]["payload"]["severity"] == "warning"
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == ["[DOWN] Support Bot", "[PAGING FAILING] slack delivery",
                        "[PAGING OK] slack delivery"]
    assert "delivers again (it failed for " in smtp.messages[2].get_content()
    hooks = [r.json for r in http.at(HOOK_PATH)]
    assert [h["event"] for h in hooks] == ["trigger", "channel_failing", "channel_recovered"]
    assert hooks[1]["details"]["channel"] == "slack"
    assert hooks[1]["details"]["last_error"] == "HTTP 500: invalid_token ••••••"
    # Slack itself got its page once it recovered, and no notice about itself.
    slack_texts = {r.json["text"] for r in http.at(SLACK_PATH)}
    assert slack_texts == {"[DOWN] Support Bot is DOWN (was UP)"}
    everything = b"".join(r.body for r in http.requests) + b"".join(
        m.as_bytes() for m in smtp.messages) + db_bytes(path)
    assert SLACK_TOKEN.encode() not in everything


async def test_a_short_failure_is_not_announced(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    http.script(SLACK_PATH, Reply(500, "blip"))
    cfg = make_config(http, smtp)
    cfg = config(cfg.agents, dict(cfg.channels), channel_failing_after=60.0)
    store = Store(tmp_path / "agentstatus.db")
    c = center(cfg, store)
    try:
        for verdict in (Verdict.UP, Verdict.DOWN):
            result = run("support-bot", verdict, time.time())
            store.record_run(result)
            c.process_transitions({"support-bot": result})
        await c.deliver_pending(time.time() + 3.0)
    finally:
        await c.aclose()
        store.close()
    assert len(http.at(SLACK_PATH)) == 2  # 500, then delivered
    assert channel_events(http) == []
    assert [m["Subject"] for m in smtp.messages] == ["[DOWN] Support Bot"]


async def test_the_dashboard_announces_a_failing_channel_without_a_new_page(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    """The dashboard's background look: no check, no new transition, just time passing."""
    http.default(SLACK_PATH, Reply(503, "down for maintenance"))
    cfg = make_config(http, smtp)
    store = Store(tmp_path / "agentstatus.db")
    c = center(cfg, store)
    try:
        for verdict in (Verdict.UP, Verdict.DOWN):
            result = run("support-bot", verdict, time.time())
            store.record_run(result)
            c.process_transitions({"support-bot": result})
        c.kick()
        end = time.monotonic() + 20
        while len(smtp.messages) < 2:
            assert time.monotonic() < end, "no announcement"
            await asyncio.sleep(0.05)
    finally:
        await c.aclose()
        store.close()
    assert smtp.messages[1]["Subject"] == "[PAGING FAILING] slack delivery"
    assert "HTTP 503: down for maintenance" in smtp.messages[1].get_content()
