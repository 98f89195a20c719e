"""`agentstatus test-alert CHANNEL` against loopback receivers: a marked test message,
the receiver's answer printed, exit codes, and no secret in the output."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alerts_helpers import HOOK_SECRET, PD_PATH, ROUTING_KEY, SLACK_PATH, SLACK_TOKEN
from receivers import HttpReceiver, Reply, SmtpReceiver

from agentstatus_tui.cli import main
from agentstatus_tui.engine.alerts.messages import TEST_TEXT

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")

CONFIG = """\
channels:
  pagerduty: {{type: pagerduty, routing_key: "${{PD_KEY}}", url: "{base}{pd}"}}
  slack: {{type: slack, url: "${{SLACK_URL}}"}}
  hook: {{type: webhook, url: "{base}/hook", secret: "${{HOOK_SECRET}}"}}
  mail: {{type: email, to: [oncall@example.com], from: agentstatus@example.com,
          host: 127.0.0.1, port: {smtp}, starttls: false}}
  status: {{type: statuspage, api_key: "${{SP_KEY}}", page_id: page1,
            components: {{support-bot: cmp456}}, url: "{base}"}}
agents:
  - id: support-bot
    name: Support Bot
    url: {base}/v1/chat/completions
    alerts: {{channels: [pagerduty, slack, hook, mail, status]}}
"""


@pytest.fixture
def config_file(tmp_path: Path, http: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    smtp_port = 1  # replaced per test when mail is needed
    monkeypatch.setenv("PD_KEY", ROUTING_KEY)
    monkeypatch.setenv("SLACK_URL", http.url(SLACK_PATH))
    monkeypatch.setenv("HOOK_SECRET", HOOK_SECRET)
    monkeypatch.setenv("SP_KEY", "statuspage-key-secret-1")
    path = tmp_path / "agents.yaml"
    path.write_text(CONFIG.format(base=http.url(), pd=PD_PATH, smtp=smtp_port))
    return path


async def cli(*argv: str) -> int:
    # The command runs its own event loop; the receivers keep serving on this one.
    return await asyncio.to_thread(main, list(argv))


async def test_pagerduty_test_alert_triggers_and_resolves_and_hides_the_key(
    http: HttpReceiver, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await cli("test-alert", "pagerduty", "--config", str(config_file))
    out = capsys.readouterr()
    assert code == 0, out
    trigger, resolve = (r.json for r in http.at(PD_PATH))
    assert trigger["event_action"] == "trigger" and resolve["event_action"] == "resolve"
    assert trigger["dedup_key"] == resolve["dedup_key"]
    assert trigger["payload"]["severity"] == "info"
    assert trigger["payload"]["summary"] == TEST_TEXT
    assert "HTTP 202" in out.out and "Event processed" in out.out
    assert ROUTING_KEY not in out.out + out.err


async def test_failed_test_alert_prints_the_answer_redacted_and_exits_1(
    http: HttpReceiver, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    http.script(SLACK_PATH, Reply(404, f"no_service for {SLACK_TOKEN}"))
    code = await cli("test-alert", "slack", "--config", str(config_file))
    out = capsys.readouterr()
    assert code == 1
    assert "HTTP 404" in out.out and "no_service" in out.out
    assert SLACK_TOKEN not in out.out + out.err
    assert http.at(SLACK_PATH)[0].json["text"] == TEST_TEXT


async def test_unknown_channel_exits_2_naming_the_known_ones(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await cli("test-alert", "pager", "--config", str(config_file))
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown channel 'pager'" in err and "pagerduty" in err


async def test_statuspage_test_only_reads(
    http: HttpReceiver, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    http.default("/v1/pages/page1/components", Reply(200, "[]"))
    code = await cli("test-alert", "status", "--config", str(config_file))
    assert code == 0, capsys.readouterr()
    assert [(r.method, r.path) for r in http.requests] == [("GET", "/v1/pages/page1/components")]


async def test_email_test_alert_is_marked_in_the_subject(
    http: HttpReceiver, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SmtpReceiver() as smtp:
        text = config_file.read_text().replace("port: 1,", f"port: {smtp.port},")
        config_file.write_text(text)
        code = await cli("test-alert", "mail", "--config", str(config_file))
    assert code == 0, capsys.readouterr()
    (msg,) = smtp.messages
    assert msg["Subject"] == TEST_TEXT


async def test_test_alert_needs_only_the_tested_channels_variables(
    http: HttpReceiver, config_file: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Setting up Slack first: the PagerDuty key, the status page key and an agent's
    # token are not exported yet.
    monkeypatch.delenv("PD_KEY")
    monkeypatch.delenv("SP_KEY")
    text = config_file.read_text().replace(
        "    name: Support Bot\n",
        '    name: Support Bot\n    headers: {Authorization: "Bearer ${AGENT_TOKEN_NOT_SET}"}\n')
    config_file.write_text(text)
    monkeypatch.delenv("AGENT_TOKEN_NOT_SET", raising=False)
    code = await cli("test-alert", "slack", "--config", str(config_file))
    out = capsys.readouterr()
    assert code == 0, out
    assert http.at(SLACK_PATH)[0].json["text"] == TEST_TEXT
    # The channel under test still needs its own.
    code = await cli("test-alert", "pagerduty", "--config", str(config_file))
    err = capsys.readouterr().err
    assert code == 2
    assert "channels.pagerduty.routing_key: ${PD_KEY}" in err
    assert "AGENT_TOKEN_NOT_SET" not in err and "SP_KEY" not in err
    assert http.at(PD_PATH) == []


async def test_test_alert_demo_uses_the_demo_channels(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await cli("test-alert", "--demo", "demo-pagerduty")
    out = capsys.readouterr()
    assert code == 0, out
    assert "trigger: delivered" in out.out and "resolve: delivered" in out.out
    assert "test alert delivered" in out.out
