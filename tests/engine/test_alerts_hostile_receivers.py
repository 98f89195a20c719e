"""Receivers that misbehave cannot hold an alert past its deadline, page twice, or blow
up memory: a webhook dripping its answer, a 500 with a huge body, an SMTP server that
drips its greeting. Real loopback receivers over the real Store."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from agent_server import AgentServer, self_signed_context
from agent_server import Reply as AgentReply
from aiosmtpd.controller import Controller
from alerts_helpers import HOOK_PATH, PD_PATH, SLACK_PATH, SP_PATH, agent, channels, config, run
from receivers import DripSmtpServer, HttpReceiver, Reply, SmtpReceiver, free_port

from agentstatus_tui.cli import main
from agentstatus_tui.engine.alerts.center import AlertCenter
from agentstatus_tui.engine.alerts.channels import ANSWER_BYTES, make_client, send
from agentstatus_tui.engine.alerts.messages import AlertFacts
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Config, EmailChannel, Verdict

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")

PATHS = {"hook": HOOK_PATH, "slack": SLACK_PATH, "pagerduty": PD_PATH, "status": SP_PATH}


class Harness:
    """A Store + AlertCenter over one file, driven the way the Monitor drives them."""

    def __init__(self, cfg: Config, path: Path) -> None:
        self.store = Store(path)
        self.center = AlertCenter(cfg, self.store, backoff_base=0.05, backoff_cap=0.2,
                                  attempt_timeout=10.0)
        self.t = time.time()

    def down(self) -> list[int]:
        self.t += 60
        result = run("support-bot", Verdict.DOWN, self.t)
        self.store.record_run(result)
        return self.center.process_transitions({"support-bot": result})

    async def close(self) -> None:
        await self.center.aclose()
        self.store.close()


async def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("channel", ["hook", "slack", "pagerduty", "status"])
async def test_a_2xx_status_is_a_delivery_even_when_the_answer_drips(
    http: HttpReceiver, tmp_path: Path, channel: str
) -> None:
    status = 202 if channel == "pagerduty" else 200
    http.default(PATHS[channel], Reply(status, "x" * 600, drip=1.0))
    h = Harness(config((agent((channel,)),), channels(http.url(), free_port())),
                tmp_path / "agentstatus.db")
    try:
        (alert_id,) = h.down()
        await h.center.deliver_pending(time.time() + 4.0)  # a check's alert deadline
        (rec,) = h.center.log()
        (attempt,) = h.center.attempts(alert_id)
    finally:
        await h.close()
    assert (rec.status, rec.attempts) == ("delivered", 1)
    assert (attempt.result, attempt.http_status) == ("delivered", status)
    assert len(http.at(PATHS[channel])) == 1


CHECK_CONFIG = """\
defaults: {{validations: 1, retries: 0, timeout: 2s}}
channels:
  hook: {{type: webhook, url: "{hook}"}}
agents:
  - id: support-bot
    url: {agent}
    alerts: {{channels: [hook]}}
"""


async def test_cron_check_records_a_webhook_that_drips_its_answer_and_pages_once(
    http: HttpReceiver, tmp_path: Path
) -> None:
    http.default("/hook", Reply(200, "y" * 600, drip=1.0))
    async with AgentServer() as server:
        url = server.route("/bot", AgentReply(status=503, body={"error": "overloaded"}))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CHECK_CONFIG.format(hook=http.url("/hook"), agent=url))
        argv = ["check", "--config", str(cfg), "--data-dir", str(tmp_path / "data"),
                "--alert-deadline", "4"]
        codes = [await asyncio.to_thread(main, argv) for _ in range(2)]
    assert codes == [2, 2]
    assert len(http.at("/hook")) == 1  # the second cron run knows it was delivered
    with Store(tmp_path / "data" / "agentstatus.db") as store:
        row = store.conn.execute("SELECT status, attempts FROM alert_outbox").fetchone()
    assert tuple(row) == ("delivered", 1)


async def test_a_huge_error_answer_is_read_only_a_few_kb(
    http: HttpReceiver, tmp_path: Path
) -> None:
    huge = 200 * 1024 * 1024
    http.script(HOOK_PATH, Reply(500, "upstream exploded ", filler=huge))
    h = Harness(config((agent(("hook",)),), channels(http.url(), free_port())),
                tmp_path / "agentstatus.db")
    try:
        (alert_id,) = h.down()
        await h.center.deliver_pending(time.time() + 20.0)
        first, second = h.center.attempts(alert_id)
        await wait_for(lambda: http.answers_ended == 1)
    finally:
        await h.close()
    assert (first.result, first.http_status) == ("retry", 500)
    assert (first.error or "").startswith("HTTP 500: upstream exploded xxx")
    assert second.result == "delivered"
    # The client hung up after a few kB: what was sent is what the socket buffers took.
    assert http.body_bytes_sent < 32 * 1024 * 1024
    assert ANSWER_BYTES <= 16 * 1024


async def test_smtp_greeting_dripping_cannot_hold_a_check_past_its_deadline(
    tmp_path: Path
) -> None:
    async with DripSmtpServer(every=0.5) as smtp:
        h = Harness(config((agent(("oncall-email",)),), channels("http://127.0.0.1:9", smtp.port)),
                    tmp_path / "agentstatus.db")
        try:
            (alert_id,) = h.down()
            await h.center.deliver_pending(time.time() + 2.0)
            attempts = h.center.attempts(alert_id)
        finally:
            await h.close()
    assert [a.result for a in attempts] == ["retry"]
    assert "no answer within" in (attempts[0].error or "")


async def test_shutdown_does_not_wait_for_a_hung_smtp_send(tmp_path: Path) -> None:
    """The dashboard's lanes have no deadline: quitting must still end the process's
    loop promptly, with no worker thread left reading the greeting."""
    async with DripSmtpServer(every=0.5) as smtp:
        cfg = config((agent(("oncall-email",)),), channels("http://127.0.0.1:9", smtp.port))

        async def dashboard_session() -> None:
            h = Harness(cfg, tmp_path / "agentstatus.db")
            h.down()
            h.center.kick()  # background delivery, as the dashboard does
            while smtp.connections == 0:
                await asyncio.sleep(0.02)
            await h.close()

        # A whole event loop, as `agentstatus` runs one: asyncio.run also waits for
        # worker threads, so a send blocked in a thread would hang it here.
        session = asyncio.to_thread(asyncio.run, dashboard_session())
        await asyncio.wait_for(session, timeout=30)


async def test_alert_mail_has_date_and_message_id(tmp_path: Path) -> None:
    with SmtpReceiver(username="agentstatus", password="smtp-pa55word-secret") as smtp:
        h = Harness(config((agent(("oncall-email",)),), channels("http://127.0.0.1:9", smtp.port)),
                    tmp_path / "agentstatus.db")
        try:
            h.down()
            await h.center.deliver_pending(time.time() + 10.0)
        finally:
            await h.close()
    (msg,) = smtp.messages
    assert msg["Date"] and msg["Date"].datetime.tzinfo is not None
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@example.com>")
    assert smtp.logins == ["agentstatus"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
async def test_mail_over_tls_verifies_the_servers_certificate(tmp_path: Path, mode: str) -> None:
    """STARTTLS and implicit TLS are really used, and an untrusted certificate is a
    configuration error (not retried), as before the move to aiosmtplib."""
    ctx = self_signed_context(str(tmp_path))
    port = free_port()
    kwargs = ({"tls_context": ctx, "require_starttls": True} if mode == "starttls"
              else {"ssl_context": ctx})
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        mail = EmailChannel("mail", to=("oncall@example.com",), from_addr="a@example.com",
                            host="127.0.0.1", port=port, starttls=mode == "starttls",
                            ssl=mode == "ssl", timeout=5.0)
        async with make_client() as client:
            result = await send(mail, FACTS, client=client, timeout=5.0)
    finally:
        controller.stop()
    assert not result.ok and not result.retriable, result
    assert "certificate" in (result.error or "").lower(), result


class Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


FACTS = AlertFacts(event="trigger", agent_id="support-bot", agent_name="Support Bot",
                   at=time.time(), verdict="DOWN", previous="UP")
