"""End to end: `${VAR}` values never reach the screen, the output, the store, the log, alert
payloads (beyond the field the protocol needs) or the incident document — even when the
agent echoes them back in its error body."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from agent_server import AgentServer, Received
from aiohttp import web
from receivers import PAGERDUTY_OK, HttpReceiver

from agentstatus_tui.cli import main
from agentstatus_tui.engine.config.load import load_config
from agentstatus_tui.engine.logs import LOG_FILENAME, setup_logging, teardown_logging
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp

SECRETS = {
    "AGENT_KEY": "qk-0123456789-urlkey",
    "AGENT_TOKEN": "tok-abcdef-0123456789",
    "PD_KEY": "pdkey0123456789abcdef0123456789ab",
    "SLACK_TOKEN_PART": "xoxb-SLACKSECRET-987654",
}

CONFIG = """\
defaults: {{validations: 2, retries: 0, timeout: 2s, interval: 1h}}
regions: {{us: {{}}, eu: {{}}}}
channels:
  pagerduty: {{type: pagerduty, routing_key: "${{PD_KEY}}", url: "{rx}/v2/enqueue"}}
  slack: {{type: slack, url: "{rx}/services/${{SLACK_TOKEN_PART}}"}}
agents:
  - id: leaky
    name: Leaky Agent
    url: "{agent}?key=${{AGENT_KEY}}"
    headers: {{Authorization: "Bearer ${{AGENT_TOKEN}}"}}
    alerts: {{channels: [pagerduty, slack]}}
    runbook: {{rollback: "kubectl rollout undo deploy/leaky"}}
"""


async def leaky(request: web.Request, rec: Received) -> web.StreamResponse:
    # The worst agent: its error body quotes the credentials it was sent.
    body = {"error": f"denied: {request.headers.get('Authorization')} for {request.rel_url}"}
    return web.json_response(body, status=401)


def screen_text(app: AgentStatusApp) -> str:
    """What is on the screen, as the SVG export holds it (spaces as &#160;)."""
    return app.export_screenshot().replace("&#160;", " ")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_no_secret_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    rx = HttpReceiver()
    rx.default("/v2/enqueue", PAGERDUTY_OK)
    await rx.start()
    data = tmp_path / "data"
    seen: list[str] = []
    try:
        async with AgentServer() as server:
            server.route("/leaky", leaky)
            cfg = tmp_path / "agents.yaml"
            cfg.write_text(CONFIG.format(rx=rx.url(), agent=server.url("/leaky")))
            base = ["--config", str(cfg), "--data-dir", str(data)]

            # The command line: check (Nagios text and JSON), run, history, report.
            for argv in (["check"], ["check", "--json"], ["run", "leaky"],
                         ["run", "leaky", "--json"], ["history", "leaky"], ["report"],
                         ["incidents"]):
                await asyncio.to_thread(main, [*argv, *base])
                out = capsys.readouterr()
                seen += [out.out, out.err]

            # The dashboard, its detail pane, the incident panel (curl, a probe sent
            # now, acknowledge, resolve), history and the alert log.
            config = load_config(cfg)
            handlers = setup_logging(config.secrets, log_file=data / LOG_FILENAME)
            try:
                monitor = Monitor.open(config, data_dir=str(data))
                monitor.load_history()
                app = AgentStatusApp(monitor)
                async with app.run_test(size=(120, 40)) as pilot:
                    await monitor.run_now("leaky")
                    await pilot.pause(0.2)
                    seen.append(screen_text(app))
                    await pilot.press("i")
                    await pilot.pause(0.2)
                    seen.append(screen_text(app))
                    await pilot.press("a")  # acknowledge
                    await pilot.press("4")
                    await pilot.press("s")  # send the request now
                    for _ in range(40):
                        await pilot.pause(0.05)
                        if "HTTP 401" in screen_text(app):
                            break
                    seen.append(screen_text(app))
                    await pilot.press("8", "r", "y")  # resolve while DOWN: yes
                    await pilot.press(*"rotated the token", "enter")
                    await pilot.pause(0.3)
                    seen.append(screen_text(app))
                    await pilot.press("escape", "h")
                    await pilot.pause(0.2)
                    seen.append(screen_text(app))
                    await pilot.press("escape", "a")
                    await pilot.pause(0.2)
                    seen.append(screen_text(app))
                    await pilot.press("escape", "q")  # the app stops the Monitor
            finally:
                teardown_logging(handlers)
    finally:
        await rx.stop()

    assert any("HTTP 401" in s for s in seen), "the probe's answer was on screen"
    assert any("$AGENT_TOKEN" in s for s in seen), "the curl shows the variable"
    for text in seen:
        for name, value in SECRETS.items():
            assert value not in text, f"{name} shown"
    files = [f for f in data.rglob("*") if f.is_file()]
    assert any(f.suffix == ".md" for f in files), "an incident document was written"
    assert any(f.name == LOG_FILENAME for f in files)
    for f in files:
        raw = f.read_bytes()
        for name, value in SECRETS.items():
            assert value.encode() not in raw, f"{name} in {f.name}"
    # Alert payloads carry the routing key only where PagerDuty needs it.
    pd = rx.at("/v2/enqueue")
    assert pd and all(r.json["routing_key"] == SECRETS["PD_KEY"] for r in pd)
    for r in pd:
        body = r.json
        body.pop("routing_key")
        assert all(v not in str(body) for v in SECRETS.values())
    slack = [r for r in rx.requests if r.path.startswith("/services/")]
    assert slack, "Slack got the alert"
    for r in slack:
        assert all(v.encode() not in r.body for v in SECRETS.values())
