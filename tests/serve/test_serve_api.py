"""`agentstatus serve` as a real process on loopback TCP: every endpoint, the errors, the
tokens, the seed's curl, and a flip to DOWN paging PagerDuty with no dashboard open."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from receivers import PAGERDUTY_OK, HttpReceiver
from serve_process import (
    PD_PATH,
    READ_TOKEN,
    ROUTING_KEY,
    WRITE_TOKEN,
    ServeProcess,
    agents_config,
    until,
)

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def agents():
    async with AgentServer() as server:
        server.route("/ok", Reply("4"))
        server.route("/down", Reply(status=503))
        yield server


@pytest.fixture
async def pagerduty():
    rx = HttpReceiver()
    rx.default(PD_PATH, PAGERDUTY_OK)
    await rx.start()
    yield rx
    await rx.stop()


@pytest.fixture
async def daemon(tmp_path: Path, agents: AgentServer, pagerduty: HttpReceiver):
    text = agents_config({"steady": agents.url("/ok"), "broken": agents.url("/down")},
                         pd_url=pagerduty.url(PD_PATH), interval="30s")
    async with ServeProcess(tmp_path, text) as d:
        yield d


async def check_json(tmp_path: Path, config: Path) -> dict:
    """`agentstatus check --json` on the same config, its own data dir (in a thread: the
    loopback agents answer from this test's loop)."""
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "agentstatus_tui", "check", "--json", "--config", str(config),
         "--data-dir", str(tmp_path / "check-data"), "--alert-deadline", "0"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "AGENTSTATUS_API_KEY": WRITE_TOKEN, "READ_TOKEN": READ_TOKEN,
             "PD_KEY": ROUTING_KEY})
    return json.loads(out.stdout)


async def test_agents_are_check_json_agent_objects_with_the_full_verdict(daemon, tmp_path):
    doc = await daemon.get_json("/api/v1/agents")
    by_id = {a["id"]: a for a in doc["agents"]}
    assert by_id["steady"]["verdict"] == "REACHABLE"  # answers, but no gold prompts
    assert by_id["broken"]["verdict"] == "DOWN"
    assert by_id["broken"]["errors"] == {"HTTP_503": 2}
    assert set(by_id["steady"]["regions"]) == {"us", "eu"}
    for agent in by_id.values():
        assert agent["paused"] is False
        assert agent["last_run_at"] is not None
        assert set(agent["uptime"]) == {"24h", "7d", "30d"}
    # One contract: every field of check --json's agent objects, under the same names.
    checked = {a["id"]: a for a in (await check_json(tmp_path, daemon.config))["agents"]}
    for agent_id, agent in checked.items():
        assert set(agent) <= set(by_id[agent_id]), set(agent) - set(by_id[agent_id])
        assert agent["verdict"] == by_id[agent_id]["verdict"]
        assert set(agent["regions"]["us"]) <= set(by_id[agent_id]["regions"]["us"])
    one = await daemon.get_json("/api/v1/agents/broken")
    assert one["id"] == "broken" and one["verdict"] == "DOWN"


async def test_history_endpoints(daemon):
    runs = await daemon.get_json("/api/v1/agents/broken/runs", params={"limit": "1"})
    assert len(runs["runs"]) == 1 and runs["runs"][0]["verdict"] == "DOWN"
    regional = await daemon.get_json("/api/v1/agents/broken/runs", params={"region": "eu"})
    assert {r["region"] for r in regional["runs"]} == {"eu"}
    changes = await daemon.get_json("/api/v1/agents/broken/transitions",
                                    params={"since": "1h"})
    overall = [t for t in changes["transitions"] if t["region"] is None]
    assert overall[-1]["current"] == "DOWN" and overall[-1]["reason"] == "HTTP_503"
    assert {t["region"] for t in changes["transitions"]} >= {"us", "eu"}
    outages = await daemon.get_json("/api/v1/agents/broken/outages",
                                    params={"since": "2020-01-01T00:00:00Z"})
    assert outages["outages"][-1]["ongoing"] is True
    none = await daemon.get_json("/api/v1/agents/steady/outages", params={"since": "0"})
    assert none["outages"] == []


async def error_of(daemon, method: str, path: str, token: str | None = WRITE_TOKEN,
                   **kw) -> tuple[int, dict, dict]:
    async with daemon.session(token) as s, s.request(method, path, **kw) as r:
        body = json.loads(await r.text())
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
        return r.status, body["error"], dict(r.headers)


async def test_errors_are_json_with_the_right_status(daemon):
    assert (await error_of(daemon, "GET", "/api/v1/agents/nope"))[:2] == (
        404, {"code": "not_found", "message": "no agent 'nope'"})
    assert (await error_of(daemon, "GET", "/api/v1/nothing-here"))[0] == 404
    assert (await error_of(daemon, "GET", "/api/v1/incidents/999"))[0] == 404
    assert (await error_of(daemon, "GET", "/api/v1/incidents/abc"))[0] == 404
    for bad in ({"limit": "0"}, {"limit": "x"}, {"limit": "100000"}):
        status, err, _ = await error_of(daemon, "GET", "/api/v1/agents/steady/runs", params=bad)
        assert (status, err["code"]) == (400, "bad_request")
    status, _, _ = await error_of(daemon, "GET", "/api/v1/agents/steady/outages",
                                  params={"since": "yesterday-ish"})
    assert status == 400
    status, err, headers = await error_of(daemon, "DELETE", "/api/v1/agents")
    assert (status, err["code"]) == (405, "method_not_allowed") and "GET" in headers["Allow"]
    status, err, _ = await error_of(daemon, "POST", "/api/v1/incidents/1/note",
                                    data=b"x" * 200_000,
                                    headers={"Content-Type": "application/json"})
    assert (status, err["code"]) == (413, "too_large")
    status, _, _ = await error_of(daemon, "POST", "/api/v1/agents/steady/run",
                                  params={"wait": "maybe"})
    assert status == 400
    assert "Traceback" not in daemon.log


async def test_tokens_scopes_and_what_401_and_403_do_not_say(daemon):
    missing = await error_of(daemon, "GET", "/api/v1/agents", token=None)
    wrong = await error_of(daemon, "GET", "/api/v1/agents", token=WRITE_TOKEN[:-1] + "X")
    assert missing[0] == wrong[0] == 401
    assert missing[1] == wrong[1]  # nothing tells a near miss from no token at all
    assert wrong[2]["WWW-Authenticate"].startswith("Bearer")
    async with daemon.session(None) as s, s.get(
            "/api/v1/agents", headers={"Authorization": f"Basic {WRITE_TOKEN}"}) as r:
        assert r.status == 401
    assert await daemon.get_json("/api/v1/agents", token=READ_TOKEN)
    status, err, _ = await error_of(daemon, "POST", "/api/v1/agents/steady/pause",
                                    token=READ_TOKEN)
    assert (status, err["code"]) == (403, "forbidden")
    assert "grafana" not in err["message"] and READ_TOKEN not in err["message"]
    assert (await error_of(daemon, "GET", "/metrics", token=None))[0] == 401
    # Liveness, readiness and the API's description answer anyone who can connect.
    assert (await daemon.get_json("/healthz", token=None))["status"] == "alive"
    assert (await daemon.get_json("/api/v1/openapi.json", token=None))["openapi"]
    for secret in (WRITE_TOKEN, READ_TOKEN, ROUTING_KEY):
        assert secret not in daemon.log


async def test_the_seeds_curl_verbatim(daemon, agents):
    assert shutil.which("curl"), "curl is needed for the seed's step 7"
    before = len(agents.received("/ok"))
    env = {**os.environ, "AGENT_ID": "steady", "AGENTSTATUS_API_KEY": WRITE_TOKEN}
    base = daemon.base
    out = await asyncio.to_thread(
        subprocess.run,
        ["bash", "-c",
         f'curl -sS -w "\\n%{{http_code}}" -X POST {base}/api/v1/agents/$AGENT_ID/run '
         '-H "Authorization: Bearer $AGENTSTATUS_API_KEY"'],
        capture_output=True, text=True, env=env, timeout=30)
    body, code = out.stdout.rsplit("\n", 1)
    assert code == "202", out
    run = json.loads(body)
    assert run["agent_id"] == "steady" and run["status"] in ("running", "finished")

    async def finished():
        doc = await daemon.get_json(f"/api/v1/runs/{run['id']}")
        return doc if doc["status"] == "finished" else None

    doc = await until(finished, what="the manual run")
    assert doc["run"]["verdict"] == "REACHABLE" and doc["run"]["requests"]
    assert len(agents.received("/ok")) > before


async def test_manual_runs_wait_and_are_rate_limited(daemon):
    async with daemon.session() as s:
        async with s.post("/api/v1/agents/broken/run", params={"wait": "true"}) as r:
            assert r.status == 200
            doc = await r.json()
        assert doc["status"] == "finished" and doc["run"]["verdict"] == "DOWN"
        assert {q["error"] for q in doc["run"]["requests"]} == {"HTTP_503"}
        statuses = []
        for _ in range(4):
            async with s.post("/api/v1/agents/broken/run") as r:
                statuses.append(r.status)
                retry_after = r.headers.get("Retry-After")
                body = await r.json()
        assert statuses[-1] == 429, statuses
        assert int(retry_after) >= 1 and body["error"]["code"] == "rate_limited"
        # The limit is per agent: another agent may still run.
        async with s.post("/api/v1/agents/steady/run") as r:
            assert r.status == 202 and r.headers["Location"].startswith("/api/v1/runs/")


async def test_pause_and_resume(daemon):
    assert (await daemon.get_json("/api/v1/agents/steady"))["paused"] is False
    async with daemon.session() as s:
        async with s.post("/api/v1/agents/steady/pause") as r:
            doc = await r.json()
        assert doc["paused"] is True and doc["verdict"] == "UNKNOWN"
        # Every read shows it at once (an agent's cached JSON follows its events).
        listed = {a["id"]: a for a in (await daemon.get_json("/api/v1/agents"))["agents"]}
        assert listed["steady"]["paused"] is True and listed["steady"]["verdict"] == "UNKNOWN"
        async with s.post("/api/v1/agents/steady/resume") as r:
            assert (await r.json())["paused"] is False
    agent = await daemon.get_json("/api/v1/agents/steady")
    assert agent["paused"] is False
    assert "paused steady by oncall" in daemon.log


async def test_incidents_and_alerts(daemon, pagerduty):
    # The DOWN agent paged PagerDuty and opened an incident, with no dashboard open.
    await until(lambda: asyncio.sleep(0, [r for r in pagerduty.at(PD_PATH)
                                          if r.json["event_action"] == "trigger"]),
                what="the PagerDuty trigger")
    trigger = pagerduty.at(PD_PATH)[0].json
    assert trigger["routing_key"] == ROUTING_KEY and "broken" in json.dumps(trigger)
    listed = await daemon.get_json("/api/v1/incidents")
    incident = next(i for i in listed["incidents"] if i["agent_id"] == "broken")
    assert incident["status"] == "open"
    path = f"/api/v1/incidents/{incident['id']}"
    full = await daemon.get_json(path)
    assert full["timeline"] and full["markdown"].startswith("#")

    async def delivered():
        doc = await daemon.get_json("/api/v1/alerts")
        return [a for a in doc["alerts"] if a["status"] == "delivered"]

    alert = (await delivered_or_wait(delivered))[0]
    assert alert["channel"] == "pd" and alert["attempt_log"][0]["result"] == "delivered"
    assert alert["attempt_log"][0]["http_status"] == 202

    async with daemon.session() as s:
        async with s.post(path + "/acknowledge", json={"note": "looking"}) as r:
            assert r.status == 200
            acked = await r.json()
        assert acked["acknowledged_by"] == "oncall"
        # The agent's paging status follows at once (ACK in every attached dashboard, the
        # API's agent object), not at the next minute's re-read of every agent.
        async with s.get("/api/v1/agents/broken") as r:
            agent = await r.json()
        assert agent["acknowledged"] is True and agent["acknowledged_by"] == "oncall"
        async with s.post(path + "/note", json={"text": "restarted the pod", "step": 6}) as r:
            assert r.status == 200
            assert any(n["text"] == "restarted the pod" for n in (await r.json())["notes"])
        async with s.post(path + "/note", json={"step": 6}) as r:
            assert r.status == 400
        async with s.post(path + "/note", data=b"{not json") as r:
            assert r.status == 400
        async with s.post(path + "/resolve", json={"resolution": "rolled back"}) as r:
            assert r.status == 200
            resolved = await r.json()
        assert resolved["status"] == "resolved" and resolved["resolved_by"] == "oncall"
        async with s.post(path + "/resolve", json={"resolution": "again"}) as r:
            assert r.status == 409
    await until(lambda: asyncio.sleep(0, [r for r in pagerduty.at(PD_PATH)
                                          if r.json["event_action"] == "acknowledge"]),
                what="the PagerDuty acknowledge")


async def delivered_or_wait(check):
    return await until(check, what="a delivered alert")
