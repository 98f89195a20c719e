"""The issue's "done when": cron-style `agentstatus check` against an agent that goes
down and comes back pages PagerDuty, Slack, a webhook and email exactly once each way,
with matching trigger/resolve, even when a receiver fails its first attempt."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from alerts_helpers import HOOK_SECRET, PD_PATH, ROUTING_KEY, SLACK_PATH, SMTP_PASSWORD, db_bytes
from receivers import HttpReceiver, SmtpReceiver
from receivers import Reply as Answer

from agentstatus_tui.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")

CONFIG = """\
defaults: {{validations: 2, retries: 0, timeout: 2s}}
channels:
  pagerduty: {{type: pagerduty, routing_key: "${{PD_KEY}}", url: "{http}{pd}"}}
  slack: {{type: slack, url: "${{SLACK_URL}}"}}
  hook: {{type: webhook, url: "{http}/hook", secret: "${{HOOK_SECRET}}"}}
  mail: {{type: email, to: [oncall@example.com], from: agentstatus@example.com,
          host: 127.0.0.1, port: {smtp}, username: agentstatus, password: "${{SMTP_PW}}"}}
agents:
  - id: support-bot
    name: Support Bot
    url: {agent}
    alerts: {{channels: [pagerduty, slack, hook, mail]}}
"""


async def test_cron_check_pages_once_each_way_even_when_a_receiver_fails_first(
    http: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    http.script(PD_PATH, Answer(500, "try again"))
    monkeypatch.setenv("PD_KEY", ROUTING_KEY)
    monkeypatch.setenv("SLACK_URL", http.url(SLACK_PATH))
    monkeypatch.setenv("HOOK_SECRET", HOOK_SECRET)
    monkeypatch.setenv("SMTP_PW", SMTP_PASSWORD)
    data = tmp_path / "data"
    with SmtpReceiver(username="agentstatus", password=SMTP_PASSWORD) as smtp:
        async with AgentServer() as agent:
            url = agent.route("/bot", Reply("4"))
            cfg = tmp_path / "agents.yaml"
            cfg.write_text(CONFIG.format(http=http.url(), pd=PD_PATH, smtp=smtp.port, agent=url))

            async def check() -> int:
                argv = ["check", "--config", str(cfg), "--data-dir", str(data),
                        "--alert-deadline", "15"]
                return await asyncio.to_thread(main, argv)

            codes = [await check()]
            agent.route("/bot", Reply(status=503, body={"error": "overloaded"}))
            codes += [await check(), await check()]
            agent.route("/bot", Reply("4"))
            codes += [await check()]
    assert codes == [0, 2, 2, 0]

    pd = [r.json for r in http.at(PD_PATH)]
    assert [x["event_action"] for x in pd] == ["trigger", "trigger", "resolve"]  # 500, retry
    assert len({x["dedup_key"] for x in pd}) == 1
    assert len(http.at(SLACK_PATH)) == 2
    assert [r.json["event"] for r in http.at("/hook")] == ["trigger", "resolve"]
    assert http.at("/hook")[0].json["errors"] == {"HTTP_503": 2}
    assert [m["Subject"] for m in smtp.messages] == ["[DOWN] Support Bot",
                                                     "[RECOVERED] Support Bot"]
    raw = db_bytes(data / "agentstatus.db")
    for secret in (ROUTING_KEY, HOOK_SECRET, SMTP_PASSWORD, SLACK_PATH):
        assert secret.encode() not in raw
