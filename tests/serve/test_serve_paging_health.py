"""The daemon shows paging health where it belongs: /readyz is not ready while a channel
fails, /api/v1/alerts lists the failing channel (announced on the other channels once it
failed long enough) and the heartbeat, whose URL never appears."""

from __future__ import annotations

import pytest
from agent_server import AgentServer, Reply
from receivers import HttpReceiver
from receivers import Reply as RxReply
from serve_process import PD_PATH, ROUTING_KEY, ServeProcess, until

pytestmark = pytest.mark.timeout(90)

PING_TOKEN = "5c1e9d2a-ping-4b7f-8e3a-secret42d9"
SLACK_PATH = "/services/T1/B1/slack-token-secret-77aa"


async def test_a_failing_channel_is_not_ready_listed_and_announced_and_the_heartbeat_shown(
    tmp_path,
) -> None:
    rx = HttpReceiver()
    rx.default(PD_PATH, RxReply(202, '{"status": "success"}'))
    rx.default(SLACK_PATH, RxReply(500, "internal error"))
    await rx.start()
    try:
        async with AgentServer() as agents:
            ok = agents.route("/ok", Reply("4"))
            config = f"""\
regions: {{us: {{}}}}
alerting: {{group_wait: 0, channel_failing_after: 10s}}
heartbeat: {{url: "${{HEARTBEAT_URL}}", every: 10s}}
channels:
  pd: {{type: pagerduty, routing_key: "${{PD_KEY}}", url: {rx.url(PD_PATH)}}}
  chat: {{type: slack, url: "${{SLACK_URL}}"}}
defaults: {{interval: 2s, timeout: 2s, validations: 1, retries: 0,
            alerts: {{channels: [pd, chat]}}}}
agents:
  - {{id: steady, url: "{ok}"}}
  - {{id: broken, url: "http://127.0.0.1:9/v1/chat/completions"}}
"""
            d = ServeProcess(tmp_path, config, env={
                "HEARTBEAT_URL": rx.url(f"/ping/{PING_TOKEN}"),
                "SLACK_URL": rx.url(SLACK_PATH)})
            await d.start(ready=False)
            async with d:
                async def not_ready_for_chat():
                    async with d.session(None) as s, s.get("/readyz") as r:
                        doc = await r.json()
                    checks = doc["checks"]
                    return (r.status == 503 and checks["first_round"]["ok"]
                            and checks["channels"] == {"ok": False, "failing": ["chat"]})

                await until(not_ready_for_chat, what="/readyz naming the failing channel")
                await until(lambda: _async(rx.at(f"/ping/{PING_TOKEN}")), what="a ping")

                async def announced():
                    doc = await d.get_json("/api/v1/alerts")
                    return doc if doc["failing"] and doc["failing"][0]["announced_at"] else None

                doc = await until(announced, what="the failing channel announced")
                (failing,) = doc["failing"]
                assert failing["channel"] == "chat"
                assert failing["last_error"].startswith("HTTP 500")
                assert doc["heartbeat"]["last_ok_at"] and not doc["heartbeat"]["failing"]
                notices = [r.json for r in rx.at(PD_PATH)
                           if r.json["dedup_key"].startswith("agentstatus-channel-chat-")]
                assert [n["event_action"] for n in notices] == ["trigger"]
                assert notices[0]["payload"]["summary"].startswith(
                    "chat (slack) delivery failing since ")
                assert any(a["agent_id"] == "channel:chat" for a in doc["alerts"])
                text = str(doc) + d.log
        for secret in (PING_TOKEN, SLACK_PATH, ROUTING_KEY):
            assert secret not in text
    finally:
        await rx.stop()


async def _async(value: object) -> object:
    return value
