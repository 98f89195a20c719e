"""Alerts end to end over the real Store and real loopback receivers (HTTP and SMTP):
pages once per transition, retries, survives restarts, keeps order, keeps secrets."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alerts_helpers import (
    AGENT_TOKEN,
    HOOK_PATH,
    HOOK_SECRET,
    PD_PATH,
    ROUTING_KEY,
    SECRETS,
    SLACK_PATH,
    SP_PATH,
    STATUSPAGE_KEY,
    agent,
    channels,
    config,
    db_bytes,
    pd_events,
    run,
)
from receivers import PAGERDUTY_OK, HttpReceiver, Reply, SmtpReceiver

from agentstatus_tui.engine.alerts.center import AlertCenter
from agentstatus_tui.engine.alerts.channels import SIGNATURE_HEADER
from agentstatus_tui.engine.events import AlertChanged
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Config, Verdict

D, G, U, K = Verdict.DOWN, Verdict.DEGRADED, Verdict.UP, Verdict.UNKNOWN
# aiosmtpd warns that loopback AUTH runs without TLS: that is the point of this receiver.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")
ALL = ("pagerduty", "slack", "hook", "oncall-email", "status")


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver(username="agentstatus", password="smtp-pa55word-secret") as rx:
        yield rx


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "agentstatus.db"


class Harness:
    """A Store + AlertCenter pair, driven the way the Monitor drives them."""

    def __init__(self, cfg: Config, path: Path, t0: float | None = None) -> None:
        self.cfg = cfg
        self.store = Store(path)
        self.center = AlertCenter(cfg, self.store, backoff_base=0.05, backoff_cap=0.2,
                                  attempt_timeout=5.0)
        self.t = t0 if t0 is not None else time.time()

    async def step(self, verdict: Verdict, *, deliver: float = 10.0,
                   agent_id: str = "support-bot") -> list[int]:
        self.t += 60
        result = run(agent_id, verdict, self.t)
        self.store.record_run(result)
        ids = self.center.process_transitions({agent_id: result})
        if deliver:
            await self.center.deliver_pending(time.time() + deliver)
        return ids

    async def close(self) -> None:
        await self.center.aclose()
        self.store.close()


async def test_up_down_down_up_pages_once_each_way_on_every_channel(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    h = Harness(config((agent(ALL),), channels(http.url(), smtp.port)), db_path)
    try:
        for v in (U, D, D, U):
            await h.step(v)
    finally:
        await h.close()

    (trigger, key), (resolve, key2) = pd_events(http)
    assert (trigger, resolve) == ("trigger", "resolve")
    assert key == key2 and key.startswith("agentstatus-support-bot-")
    body = http.at(PD_PATH)[0].json
    assert body["routing_key"] == ROUTING_KEY  # the one place the protocol needs it
    assert body["payload"]["severity"] == "critical"
    assert body["payload"]["component"] == "support-bot"
    assert body["payload"]["custom_details"]["errors"] == {"HTTP_503": 10}
    assert body["payload"]["custom_details"]["regions"] == {"us": "DOWN", "eu": "DOWN"}
    assert AGENT_TOKEN not in http.at(PD_PATH)[0].body.decode()
    assert set(http.at(PD_PATH)[1].json) == {"routing_key", "event_action", "dedup_key"}

    slack = [r.json for r in http.at(SLACK_PATH)]
    assert len(slack) == 2
    assert "Support Bot is DOWN" in slack[0]["text"]
    assert "HTTP_503" in slack[0]["blocks"][0]["text"]["text"]
    assert "again after 2m" in slack[1]["text"]  # how long the outage lasted

    hooks = [r.json for r in http.at(HOOK_PATH)]
    assert [(x["event"], x["verdict"], x["previous"]) for x in hooks] == [
        ("trigger", "DOWN", "UP"), ("resolve", "UP", "DOWN")]
    assert hooks[0]["agent"] == {"id": "support-bot", "name": "Support Bot"}
    assert hooks[0]["incident"] == hooks[1]["incident"] == key
    assert hooks[1]["duration_s"] == 120

    assert [m["Subject"] for m in smtp.messages] == ["[DOWN] Support Bot",
                                                     "[RECOVERED] Support Bot"]
    assert "Regions: us: DOWN, eu: DOWN" in smtp.messages[0].get_content()
    assert "Outage lasted: 2m" in smtp.messages[1].get_content()
    assert smtp.logins == ["agentstatus", "agentstatus"]

    sp = http.at(SP_PATH)
    assert [r.method for r in sp] == ["PATCH", "PATCH"]
    assert [r.json["component"]["status"] for r in sp] == ["major_outage", "operational"]
    assert sp[0].headers["Authorization"] == f"OAuth {STATUSPAGE_KEY}"


async def test_webhook_signature_verifies_with_the_secret(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    h = Harness(config((agent(("hook",)),), channels(http.url(), smtp.port)), db_path)
    try:
        await h.step(D)
    finally:
        await h.close()
    (req,) = http.at(HOOK_PATH)
    expected = "sha256=" + hmac.new(HOOK_SECRET.encode(), req.body, hashlib.sha256).hexdigest()
    assert req.headers[SIGNATURE_HEADER] == expected
    wrong = "sha256=" + hmac.new(b"other", req.body, hashlib.sha256).hexdigest()
    assert req.headers[SIGNATURE_HEADER] != wrong


async def test_receiver_answering_500_once_is_retried_and_delivered(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    http.script(PD_PATH, Reply(500, "upstream hiccup"))
    h = Harness(config((agent(("pagerduty",)),), channels(http.url(), smtp.port)), db_path)
    try:
        (alert_id,) = await h.step(D)
        assert h.center.status([alert_id]) == {alert_id: "delivered"}
        tries = h.center.attempts(alert_id)
        assert [(a.result, a.http_status) for a in tries] == [("retry", 500), ("delivered", 202)]
        assert "upstream hiccup" in (tries[0].error or "")
    finally:
        await h.close()
    assert pd_events(http) == [("trigger", pd_events(http)[0][1])] * 2


async def test_429_waits_as_long_as_retry_after_says(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    http.script(SLACK_PATH, Reply(429, "rate_limited", {"Retry-After": "1"}))
    h = Harness(config((agent(("slack",)),), channels(http.url(), smtp.port)), db_path)
    try:
        (alert_id,) = await h.step(D)
        first, second = h.center.attempts(alert_id)
    finally:
        await h.close()
    assert (first.result, first.http_status, second.result) == ("retry", 429, "delivered")
    # The backoff in this harness is 0.05 s: only Retry-After explains a 1 s gap.
    assert second.at - first.at >= 1.0


async def test_400_fails_at_once_with_the_receivers_message_redacted(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    http.script(PD_PATH, Reply(400, '{"status": "invalid event", "message": "Event object is'
                                    f' invalid", "errors": ["bad routing_key {ROUTING_KEY}"]}}'))
    h = Harness(config((agent(("pagerduty",)),), channels(http.url(), smtp.port)), db_path)
    try:
        await h.step(D)
        (rec,) = h.center.log()
        health = h.center.health()
    finally:
        await h.close()
    assert len(http.at(PD_PATH)) == 1  # no retry
    assert rec.status == "failed" and rec.attempts == 1
    assert "HTTP 400" in (rec.last_error or "") and "Event object is invalid" in rec.last_error
    assert ROUTING_KEY not in rec.last_error
    assert health.failed == 1 and health.pending == 0
    assert ROUTING_KEY.encode() not in db_bytes(db_path)


async def test_receiver_down_during_check_gets_the_alert_on_the_next_check(
    smtp: SmtpReceiver, db_path: Path
) -> None:
    rx = HttpReceiver()  # its port is reserved, nobody listens yet
    rx.default(PD_PATH, PAGERDUTY_OK)
    cfg = config((agent(("pagerduty", "slack")),), channels(rx.url(), smtp.port))
    first = Harness(cfg, db_path)
    try:
        ids = await first.step(D, deliver=0.5)
        assert set(first.center.status(ids).values()) == {"pending"}
        assert first.center.health().pending == 2
        errors = [a.error or "" for i in ids for a in first.center.attempts(i)]
        assert errors and all(e for e in errors)
        assert not [s for s in SECRETS for e in errors if s in e]
    finally:
        await first.close()

    await rx.start()
    try:
        # The next cron `check`: a new process over the same file.
        second = Harness(cfg, db_path, t0=first.t)
        try:
            await second.step(D)  # still down: no new transition, no new alert
            assert set(second.center.status(ids).values()) == {"delivered"}
        finally:
            await second.close()
    finally:
        await rx.stop()
    assert [e for e, _ in pd_events(rx)] == ["trigger"]
    assert len(rx.at(SLACK_PATH)) == 1
    assert SLACK_PATH.split("/")[-1].encode() not in db_bytes(db_path)


async def test_resolve_never_overtakes_its_trigger(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    http.script(PD_PATH, Reply(503, "busy"), Reply(503, "busy"))
    h = Harness(config((agent(("pagerduty",)),), channels(http.url(), smtp.port)), db_path)
    try:
        await h.step(D, deliver=0)
        await h.step(U, deliver=0)  # both queued before anything was sent
        await h.center.deliver_pending(time.time() + 10)
    finally:
        await h.close()
    assert [e for e, _ in pd_events(http)] == ["trigger", "trigger", "trigger", "resolve"]


async def test_unknown_never_pages_and_down_unknown_down_pages_once(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    h = Harness(config((agent(("pagerduty", "slack")),), channels(http.url(), smtp.port)),
                db_path)
    try:
        await h.step(U)
        await h.step(K)  # paused
        await h.step(U)
        assert http.requests == []
        await h.step(D)
        h.store.mark_unknown("support-bot", h.t + 1)  # the dashboard stopped
        h.center.process_transitions(None)
        await h.close()
        h = Harness(h.cfg, db_path, t0=h.t + 30)  # and started again
        await h.step(D)
        await h.step(D)
    finally:
        await h.close()
    assert [e for e, _ in pd_events(http)] == ["trigger"]
    assert len(http.at(SLACK_PATH)) == 1


async def test_on_degraded_pages_warning_then_escalates_on_the_same_key(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    rules = agent(("pagerduty", "status"), on_degraded=True)
    h = Harness(config((rules,), channels(http.url(), smtp.port)), db_path)
    try:
        for v in (U, G, D, U):
            await h.step(v)
    finally:
        await h.close()
    pd = [r.json for r in http.at(PD_PATH)]
    assert [(x["event_action"], x.get("payload", {}).get("severity")) for x in pd] == [
        ("trigger", "warning"), ("trigger", "critical"), ("resolve", None)]
    assert len({x["dedup_key"] for x in pd}) == 1
    assert [r.json["component"]["status"] for r in http.at(SP_PATH)] == [
        "degraded_performance", "major_outage", "operational"]


async def test_degraded_is_quiet_without_on_degraded(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    h = Harness(config((agent(ALL),), channels(http.url(), smtp.port)), db_path)
    try:
        for v in (U, G, U):
            await h.step(v)
    finally:
        await h.close()
    assert http.requests == [] and smtp.messages == []


async def test_no_secret_in_the_store_the_log_or_the_events(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    # Every receiver fails once, echoing what it got, so errors are stored too.
    for path in (PD_PATH, SLACK_PATH, HOOK_PATH, SP_PATH):
        http.script(path, Reply(500, f"echo {ROUTING_KEY} {SLACK_PATH} {HOOK_SECRET}"))
    h = Harness(config((agent(ALL),), channels(http.url(), smtp.port)), db_path)
    seen: list[AlertChanged] = []
    h.center.subscribe(seen.append)
    try:
        for v in (U, D, U):
            await h.step(v)
        h.center.enqueue_manual(h.cfg.agents[0], "notify", "looking at it")
        await h.center.deliver_pending(time.time() + 10)
        log = h.center.log()
        attempts = [a for r in log for a in h.center.attempts(r.id)]
    finally:
        await h.close()
    assert log and all(r.status == "delivered" for r in log)
    assert any(a.result == "retry" for a in attempts)
    text = repr(log) + repr(attempts) + repr(seen)
    raw = db_bytes(db_path)
    for secret in SECRETS:
        assert secret not in text
        assert secret.encode() not in raw
    assert "slack" in {r.channel for r in log}  # the name is stored, not the URL


async def test_manual_acknowledge_and_resolve_use_the_open_incident_key(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    cfg = config((agent(("pagerduty", "slack", "status", "hook")),),
                 channels(http.url(), smtp.port))
    h = Harness(cfg, db_path)
    try:
        await h.step(D)
        key = h.center.dedup_key("support-bot")
        assert key
        ack = h.center.enqueue_manual(cfg.agents[0], "acknowledge",
                                      "Investigating Agent Status alert for Support Bot")
        res = h.center.enqueue_manual(cfg.agents[0], "resolve", "Resolved: bad deploy rolled back")
        await h.center.deliver_pending(time.time() + 10)
        assert set(h.center.status(ack + res).values()) == {"delivered"}
        assert h.center.dedup_key("support-bot") is None
        await h.step(U)  # the recovery after a manual resolve announces nothing new
    finally:
        await h.close()
    assert pd_events(http) == [("trigger", key), ("acknowledge", key), ("resolve", key)]
    slack = [r.json["text"] for r in http.at(SLACK_PATH)]
    assert slack[1:] == ["Investigating Agent Status alert for Support Bot",
                         "Resolved: bad deploy rolled back"]
    assert [r.json["component"]["status"] for r in http.at(SP_PATH)] == [
        "major_outage", "operational"]
    assert len(http.at(HOOK_PATH)) == 1  # the webhook got the trigger only


async def test_a_dashboard_and_a_cron_check_sharing_the_store_page_once(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    http.default(SLACK_PATH, Reply(200, "ok", delay=0.3))
    cfg = config((agent(("slack", "pagerduty")),), channels(http.url(), smtp.port))
    dashboard, cron = Harness(cfg, db_path), Harness(cfg, db_path)
    try:
        ids = await dashboard.step(D, deliver=0)
        assert cron.center.process_transitions({}) == []  # the cursor is shared
        await asyncio.gather(dashboard.center.deliver_pending(time.time() + 10),
                             cron.center.deliver_pending(time.time() + 10))
        assert set(cron.center.status(ids).values()) == {"delivered"}
    finally:
        await dashboard.close()
        await cron.close()
    assert len(http.at(SLACK_PATH)) == 1
    assert len(http.at(PD_PATH)) == 1


async def test_history_from_before_alerting_existed_does_not_page(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    store = Store(db_path)
    now = time.time()
    store.record_run(run("support-bot", D, now - 7200))  # an old outage, long over
    store.record_run(run("support-bot", U, now - 3600))
    store.record_run(run("other-bot", D, now - 60))  # went down a minute ago
    store.close()
    cfg = config((agent(("slack",)), agent(("slack",), agent_id="other-bot", name="Other")),
                 channels(http.url(), smtp.port))
    h = Harness(cfg, db_path)
    try:
        ids = h.center.process_transitions()
        await h.center.deliver_pending(time.time() + 10)
    finally:
        await h.close()
    assert len(ids) == 1
    assert [r.json["text"] for r in http.at(SLACK_PATH)] == ["[DOWN] Other is DOWN (was UNKNOWN)"]


async def test_alert_changes_are_published_for_the_ui(
    http: HttpReceiver, smtp: SmtpReceiver, db_path: Path
) -> None:
    http.script(SLACK_PATH, Reply(502, "bad gateway"))
    h = Harness(config((agent(("slack",)),), channels(http.url(), smtp.port)), db_path)
    seen: list[AlertChanged] = []
    h.center.subscribe(seen.append)
    try:
        await h.step(D)
    finally:
        await h.close()
    assert [(e.channel, e.event, e.status, e.attempts) for e in seen] == [
        ("slack", "trigger", "pending", 0),
        ("slack", "trigger", "pending", 1),
        ("slack", "trigger", "delivered", 2),
    ]
    assert "HTTP 502" in (seen[1].last_error or "")
