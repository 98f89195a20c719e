"""The issue's "done when": cron-style `agentstatus check` against an agent that goes
down and comes back pages PagerDuty, Slack, a webhook and email exactly once each way,
with matching trigger/resolve, even when a receiver fails its first attempt."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
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


FAILING_SLACK = """\
defaults: {{validations: 2, retries: 0, timeout: 2s}}
channels:
  pagerduty: {{type: pagerduty, routing_key: "${{PD_KEY}}", url: "{http}{pd}"}}
  slack: {{type: slack, url: "${{SLACK_URL}}"}}
agents:
  - id: support-bot
    name: Support Bot
    url: {agent}
    alerts: {{channels: [pagerduty, slack]}}
"""


async def test_check_says_on_stderr_and_in_json_that_paging_is_failing(
    http: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    http.default(SLACK_PATH, Answer(500, "slack is having a bad day"))
    env = {**os.environ, "PD_KEY": ROUTING_KEY, "SLACK_URL": http.url(SLACK_PATH)}
    data = tmp_path / "data"
    async with AgentServer() as agent:
        url = agent.route("/bot", Reply(status=503, body={"error": "overloaded"}))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(FAILING_SLACK.format(http=http.url(), pd=PD_PATH, agent=url))

        argv = ["check", "--config", str(cfg), "--data-dir", str(data), "--alert-deadline", "3"]
        text = await asyncio.to_thread(_run_check, argv, env)
        as_json = await asyncio.to_thread(_run_check, [*argv, "--json"], env)

    # The agent's verdict still decides the exit code.
    assert text.returncode == 2, text.stderr
    assert as_json.returncode == 2, as_json.stderr
    assert text.stdout.startswith("AGENTSTATUS CRITICAL - 1 DOWN")
    head, *channels = text.stderr.strip().splitlines()[-2:]
    assert head.startswith("agentstatus: PAGING FAILING: 1 alert not delivered (1 pending")
    (slack,) = channels
    assert re.match(r"  slack \(slack\) · 1 pending · \d+ attempts? · failing since "
                    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: .*500", slack), slack
    assert "pagerduty" not in text.stderr  # it was delivered

    alerts = json.loads(as_json.stdout)["alerts"]
    assert alerts["channels"] == 2
    assert alerts["pending"] == 1  # the first check's DOWN alert, still retried
    assert alerts["delivered"] == 0  # no new transition on the second check
    (failing,) = alerts["failing"]
    assert failing["channel"] == "slack" and failing["type"] == "slack"
    assert failing["pending"] == 1 and failing["failed"] == 0
    assert failing["attempts"] >= 2  # tried by both checks
    assert "500" in failing["last_error"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", failing["since"])
    assert failing["agents"] == ["support-bot"]
    assert "PAGING FAILING" in as_json.stderr
    for out in (text.stdout, text.stderr, as_json.stdout, as_json.stderr):
        assert SLACK_PATH not in out and ROUTING_KEY not in out
    assert [r.json["event_action"] for r in http.at(PD_PATH)] == ["trigger"]


async def test_check_json_alerts_section_counts_what_this_check_delivered(
    http: HttpReceiver, tmp_path: Path
) -> None:
    env_cfg = FAILING_SLACK.replace('"${{SLACK_URL}}"', '"{http}/slack-ok"')
    async with AgentServer() as agent:
        url = agent.route("/bot", Reply(status=503, body={"error": "overloaded"}))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(env_cfg.format(http=http.url(), pd=PD_PATH, agent=url)
                       .replace('"${PD_KEY}"', ROUTING_KEY))
        out = await asyncio.to_thread(
            _run_check, ["check", "--json", "--config", str(cfg), "--data-dir",
                         str(tmp_path / "d"), "--alert-deadline", "10"], dict(os.environ))
    assert out.returncode == 2
    alerts = json.loads(out.stdout)["alerts"]
    assert alerts == {"channels": 2, "pending": 0, "failed": 0, "delivered": 2,
                      "failing": [], "heartbeat": None}
    assert "PAGING" not in out.stderr


def _run_check(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agentstatus_tui", *argv], env=env,
                          capture_output=True, text=True, timeout=50, stdin=subprocess.DEVNULL)
