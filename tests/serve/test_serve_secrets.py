"""No `${VAR}` value leaves the daemon: not in any API answer, event, metric or log line,
even when the agent echoes its credentials and the pager's error quotes its key."""

from __future__ import annotations

import asyncio
import json

import pytest
from agent_server import AgentServer, Echo
from receivers import HttpReceiver
from receivers import Reply as RxReply
from serve_process import PD_PATH, READ_TOKEN, ROUTING_KEY, WRITE_TOKEN, ServeProcess, until

pytestmark = pytest.mark.timeout(90)

AGENT_KEY = "agent-key-secret-0123456789"
SECRETS = (AGENT_KEY, ROUTING_KEY, WRITE_TOKEN, READ_TOKEN)


async def test_no_secret_in_any_answer_event_metric_or_log(tmp_path):
    rx = HttpReceiver()
    # The pager refuses, quoting the routing key back (as some receivers do).
    rx.default(PD_PATH, RxReply(400, f"invalid routing key {ROUTING_KEY}"))
    await rx.start()
    try:
        async with AgentServer() as agents:
            agents.route("/echo", Echo())
            agents.route("/down", Echo())
            config = f"""\
regions: {{us: {{}}}}
channels:
  pd: {{type: pagerduty, routing_key: "${{PD_KEY}}", url: {rx.url(PD_PATH)}}}
defaults:
  interval: 30s
  timeout: 2s
  validations: 1
  retries: 0
  headers: {{Authorization: "Bearer ${{AGENT_KEY}}"}}
  alerts: {{channels: [pd]}}
agents:
  - {{id: echo, url: "{agents.url('/echo')}?key=${{AGENT_KEY}}"}}
  - id: broken
    url: "http://127.0.0.1:9/v1/chat/completions?key=${{AGENT_KEY}}"
api:
  tokens:
    - {{name: oncall, token: "${{AGENTSTATUS_API_KEY}}", scope: write}}
    - {{name: grafana, token: "${{READ_TOKEN}}"}}
"""
            d = ServeProcess(tmp_path, config, env={"AGENT_KEY": AGENT_KEY})
            # Not ready ever: the refused page keeps /readyz at 503 (a channel failing).
            await d.start(ready=False)
            async with d, d.session() as s:
                seen: list[str] = []

                async def body(method: str, path: str, **kw) -> str:
                    async with s.request(method, path, **kw) as r:
                        text = await r.text()
                    seen.append(text)
                    return text

                async with s.get("/api/v1/events", timeout=None) as events:
                    run = json.loads(await body("POST", "/api/v1/agents/echo/run",
                                                params={"wait": "true"}))
                    assert run["status"] == "finished" and run["run"]["requests"]
                    finished = False
                    async for raw in events.content:  # read that run's whole event
                        seen.append(raw.decode())
                        if raw.startswith(b"event: "):
                            finished = raw.startswith(b"event: run_finished")
                        elif finished and raw.startswith(b'data: {"agent":{"id":"echo"'):
                            assert b"Authorization" in raw  # the echo, in the frame
                            break

                async def failed_alert():
                    doc = json.loads(await body("GET", "/api/v1/alerts"))
                    return [a for a in doc["alerts"] if a["status"] == "failed"]

                await until(failed_alert, what="the refused page")
                for path in ("/api/v1/agents", "/api/v1/agents/echo", "/api/v1/incidents",
                             "/api/v1/agents/broken/transitions", "/api/v1/agents/echo/runs",
                             "/metrics", "/readyz"):
                    await body("GET", path)
                incidents = json.loads(await body("GET", "/api/v1/incidents"))["incidents"]
                for inc in incidents:
                    await body("GET", f"/api/v1/incidents/{inc['id']}")
                assert incidents and any("Authorization" in t for t in seen)
            await asyncio.sleep(0)
        text = "\n".join(seen) + d.log
        for secret in SECRETS:
            assert secret not in text
    finally:
        await rx.stop()
