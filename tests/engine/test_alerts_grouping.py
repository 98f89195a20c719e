"""Grouping: agents going DOWN within `group_wait` of each other arrive as one Slack
message and one email listing them all, while PagerDuty keeps one incident per agent and
webhooks one event per agent; stored, so a restart or a second process neither loses nor
doubles a group. Real loopback receivers, the real store, an injectable clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_server import AgentServer
from agent_server import Reply as AgentReply
from alerts_helpers import (
    HOOK_PATH,
    PD_PATH,
    ROUTING_KEY,
    SLACK_PATH,
    SLACK_TOKEN,
    SMTP_PASSWORD,
    agent,
    channels,
    config,
    run,
)
from receivers import HttpReceiver, Reply, SmtpReceiver

from agentstatus_tui.cli import main
from agentstatus_tui.engine.alerts.center import AlertCenter
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Config, Verdict

D, U = Verdict.DOWN, Verdict.UP
CHANNELS = ("pagerduty", "slack", "hook", "oncall-email")
NAMES = {"support-bot": "Support Bot", "search-agent": "Search Agent",
         "billing-helper": "Billing Helper"}
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")


class Clock:
    """Moves only when the test says so."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


class RealClock(Clock):
    """The real time (retries wait real backoff), with the same face."""

    @property  # type: ignore[override]
    def t(self) -> float:
        return time.time()

    @t.setter
    def t(self, value: float) -> None:
        pass


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver(username="agentstatus", password="smtp-pa55word-secret") as rx:
        yield rx


def grouped_config(http: HttpReceiver, smtp: SmtpReceiver, group_wait: float = 30.0) -> Config:
    agents = tuple(agent(CHANNELS, agent_id=i, name=n) for i, n in NAMES.items())
    return config(agents, channels(http.url(), smtp.port), group_wait=group_wait)


class Process:
    """One process's store connection and alert center on the shared data dir."""

    def __init__(self, cfg: Config, path: Path, clock: Clock) -> None:
        self.store = Store(path)
        self.clock = clock
        self.center = AlertCenter(cfg, self.store, clock=clock, backoff_base=0.05,
                                  backoff_cap=0.2, attempt_timeout=5.0, lease_wait=0.05)

    def went(self, agent_id: str, verdict: Verdict) -> None:
        result = run(agent_id, verdict, self.clock.t)
        self.store.record_run(result)
        self.center.process_transitions({agent_id: result})

    async def deliver(self, *, flush: bool = False) -> None:
        # The deadline is in the test's clock; nothing here waits for it to pass.
        await self.center.deliver_pending(self.clock.t + 5.0, flush=flush)

    async def close(self) -> None:
        await self.center.aclose()
        self.store.close()


async def test_three_agents_down_within_group_wait_give_one_slack_message_and_one_email(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    clock = Clock()
    p = Process(grouped_config(http, smtp), tmp_path / "agentstatus.db", clock)
    try:
        for agent_id in NAMES:
            for verdict in (U, D):
                p.went(agent_id, verdict)
                clock.t += 1
            await p.deliver()
            clock.t += 8  # 9 s apart: the last one 18 s after the first
        # PagerDuty (and the webhook) went out at once, one per agent.
        assert len(http.at(PD_PATH)) == 3
        assert len({r.json["dedup_key"] for r in http.at(PD_PATH)}) == 3
        assert [r.json["agent"]["id"] for r in http.at(HOOK_PATH)] == list(NAMES)
        assert http.at(SLACK_PATH) == [] and smtp.messages == []  # held for the group

        clock.t += 30 - 27 + 0.5  # the first page's group_wait has passed
        await p.deliver()
        log = p.center.log()
    finally:
        await p.close()

    (slack,) = http.at(SLACK_PATH)
    text = slack.json["text"]
    assert text == "[DOWN] 3 agents: Support Bot DOWN, Search Agent DOWN, Billing Helper DOWN"
    sections = [b["text"]["text"] for b in slack.json["blocks"] if b["type"] == "section"]
    for agent_id, name in NAMES.items():
        assert any(f"Agent: {name} ({agent_id})" in s for s in sections)
    (mail,) = smtp.messages
    assert mail["Subject"] == "[DOWN] 3 agents: Support Bot, Search Agent, Billing Helper"
    body = mail.get_content()
    assert all(f"Agent: {name} ({agent_id})" in body for agent_id, name in NAMES.items())
    assert body.count("Errors: HTTP_503 ×10") == 3
    # Each agent keeps its own log line, delivered together as one group.
    grouped = [r for r in log if r.channel in ("slack", "oncall-email")]
    assert len(grouped) == 6 and {r.status for r in grouped} == {"delivered"}
    assert len({r.group_id for r in grouped if r.channel == "slack"}) == 1
    assert SLACK_TOKEN not in text


async def test_recoveries_group_too_and_an_agent_after_the_group_wait_goes_alone(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    clock = Clock()
    p = Process(grouped_config(http, smtp, group_wait=10.0), tmp_path / "a.db", clock)
    try:
        for agent_id in NAMES:
            p.went(agent_id, U)
        p.went("support-bot", D)
        p.went("search-agent", D)
        clock.t += 11
        await p.deliver()
        p.went("billing-helper", D)  # 11 s later: a group of its own
        clock.t += 11
        await p.deliver()
        for agent_id in ("support-bot", "search-agent"):
            p.went(agent_id, U)
        clock.t += 11
        await p.deliver()
    finally:
        await p.close()
    assert [r.json["text"] for r in http.at(SLACK_PATH)] == [
        "[DOWN] 2 agents: Support Bot DOWN, Search Agent DOWN",
        "[DOWN] Billing Helper is DOWN (was UP)",
        "[RECOVERED] 2 agents: Support Bot UP after 22s, Search Agent UP after 22s",
    ]
    assert [m["Subject"] for m in smtp.messages] == [
        "[DOWN] 2 agents: Support Bot, Search Agent", "[DOWN] Billing Helper",
        "[RECOVERED] 2 agents: Support Bot, Search Agent"]


async def test_a_restart_between_queue_and_send_neither_loses_nor_doubles_the_group(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    clock = Clock()
    path = tmp_path / "agentstatus.db"
    cfg = grouped_config(http, smtp)
    first = Process(cfg, path, clock)
    for agent_id in NAMES:
        first.went(agent_id, U)
        first.went(agent_id, D)
    await first.deliver()  # PagerDuty now; the group waits
    # The process dies before the group is due: nothing is closed or released.
    first.store.conn.close()
    assert http.at(SLACK_PATH) == []

    clock.t += 31
    # Two processes start on the same data dir (a dashboard and a cron check) and both
    # deliver what is due at the same moment.
    second, third = Process(cfg, path, clock), Process(cfg, path, clock)
    try:
        await asyncio.gather(second.deliver(), third.deliver(flush=True))
        await asyncio.gather(second.deliver(), third.deliver())
    finally:
        await second.close()
        await third.close()
        await first.center.aclose()  # what the dead process left open in memory
    assert len(http.at(PD_PATH)) == 3
    (slack,) = http.at(SLACK_PATH)
    assert slack.json["text"].startswith("[DOWN] 3 agents: ")
    assert len(smtp.messages) == 1


async def test_a_failing_group_is_retried_as_one_message(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    http.script(SLACK_PATH, Reply(500, "busy"), Reply(503, "busy"))
    clock = RealClock()
    p = Process(grouped_config(http, smtp, group_wait=0.2), tmp_path / "a.db", clock)
    try:
        for agent_id in NAMES:
            p.went(agent_id, U)
            p.went(agent_id, D)
        await p.deliver()
    finally:
        await p.close()
    texts = [r.json["text"] for r in http.at(SLACK_PATH)]
    assert len(texts) == 3 and len(set(texts)) == 1  # 500, 503, then delivered
    assert texts[0].startswith("[DOWN] 3 agents: ")


async def test_check_sends_a_group_at_once_instead_of_waiting_past_its_deadline(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    clock = Clock()
    p = Process(grouped_config(http, smtp, group_wait=3600.0), tmp_path / "a.db", clock)
    try:
        for agent_id in NAMES:
            p.went(agent_id, U)
            p.went(agent_id, D)
        await p.deliver(flush=True)
    finally:
        await p.close()
    (slack,) = http.at(SLACK_PATH)
    assert slack.json["text"].startswith("[DOWN] 3 agents: ")
    assert len(smtp.messages) == 1


async def test_group_wait_zero_sends_each_page_at_once(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    clock = Clock()
    p = Process(grouped_config(http, smtp, group_wait=0.0), tmp_path / "a.db", clock)
    try:
        for agent_id in NAMES:
            p.went(agent_id, U)
            p.went(agent_id, D)
        await p.deliver()
    finally:
        await p.close()
    assert len(http.at(SLACK_PATH)) == 3 and len(smtp.messages) == 3


CHECK_CONFIG = """\
defaults: {{validations: 1, retries: 0, timeout: 2s,
            alerts: {{channels: [pagerduty, slack, mail]}}}}
channels:
  pagerduty: {{type: pagerduty, routing_key: "${{PD_KEY}}", url: "{http}{pd}"}}
  slack: {{type: slack, url: "${{SLACK_URL}}"}}
  mail: {{type: email, to: [oncall@example.com], from: agentstatus@example.com,
          host: 127.0.0.1, port: {smtp}, username: agentstatus, password: "${{SMTP_PW}}"}}
agents:
  - {{id: support-bot, name: Support Bot, url: "{agent}"}}
  - {{id: search-agent, name: Search Agent, url: "{agent}"}}
  - {{id: billing-helper, name: Billing Helper, url: "{agent}"}}
"""


async def test_a_cron_check_that_finds_three_agents_down_sends_one_slack_message_and_one_email(
    http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PD_KEY", ROUTING_KEY)
    monkeypatch.setenv("SLACK_URL", http.url(SLACK_PATH))
    monkeypatch.setenv("SMTP_PW", SMTP_PASSWORD)
    async with AgentServer() as server:
        url = server.route("/bot", AgentReply("4"))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CHECK_CONFIG.format(http=http.url(), pd=PD_PATH, smtp=smtp.port,
                                           agent=url))
        argv = ["check", "--config", str(cfg), "--data-dir", str(tmp_path / "data"),
                "--alert-deadline", "15"]
        assert await asyncio.to_thread(main, argv) == 0
        server.route("/bot", AgentReply(status=503, body={"error": "overloaded"}))
        assert await asyncio.to_thread(main, argv) == 2
    # The default group_wait (30 s) is past the check's --alert-deadline (15 s): the group
    # went out only because a cron check sends its round's group at once.
    assert len(http.at(PD_PATH)) == 3
    (slack,) = http.at(SLACK_PATH)
    assert slack.json["text"].startswith("[DOWN] 3 agents: ")
    assert all(n in slack.json["text"] for n in NAMES.values())
    (mail,) = smtp.messages
    assert mail["Subject"].startswith("[DOWN] 3 agents: ")
