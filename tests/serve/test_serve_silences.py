"""`/api/v1/silences` on a real `agentstatus serve` process: add, list and expire; the
silence is the same row `agentstatus silence list` reads on that data dir; writes need
the write scope."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from agent_server import closed_port
from serve_process import READ_TOKEN, ServeProcess, agents_config

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def daemon(tmp_path):
    dead = f"http://127.0.0.1:{closed_port()}/v1/chat/completions"
    async with ServeProcess(tmp_path, agents_config({"steady": dead, "other": dead},
                                                    interval="30s")) as d:
        yield d


async def call(daemon, method: str, path: str, token=None, **kw) -> tuple[int, dict]:
    async with daemon.session(*([token] if token else [])) as s, \
            s.request(method, path, **kw) as r:
        return r.status, json.loads(await r.text())


def cli_list(daemon) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "agentstatus_tui", "silence", "list", "--all", "--json",
         "--data-dir", str(daemon.data_dir)], capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


async def test_add_list_expire_through_the_api(daemon):
    status, added = await call(daemon, "POST", "/api/v1/silences", json={
        "matcher": {"kind": "agent", "value": "steady"}, "duration": "2h",
        "reason": "db migration"})
    assert status == 201, added
    assert added["matcher"] == {"kind": "agent", "value": "steady"}
    assert (added["author"], added["state"], added["reason"]) == (
        "oncall", "active", "db migration")  # the write token's name

    status, listed = await call(daemon, "GET", "/api/v1/silences")
    assert status == 200 and [s["id"] for s in listed["silences"]] == [added["id"]]
    # The CLI on the same data dir reads the same silence.
    from_cli = await asyncio.to_thread(cli_list, daemon)
    assert [s["id"] for s in from_cli["silences"]] == [added["id"]]

    status, expired = await call(daemon, "DELETE", f"/api/v1/silences/{added['id']}")
    assert status == 200 and expired["state"] == "expired" and expired["expired_at"]
    status, listed = await call(daemon, "GET", "/api/v1/silences")
    assert listed["silences"] == []
    status, listed = await call(daemon, "GET", "/api/v1/silences", params={"all": "true"})
    assert [s["state"] for s in listed["silences"]] == ["expired"]
    status, body = await call(daemon, "DELETE", f"/api/v1/silences/{added['id']}")
    assert status == 409 and "already ended" in body["error"]["message"]
    status, body = await call(daemon, "DELETE", "/api/v1/silences/nope")
    assert status == 404


@pytest.mark.parametrize(("body", "message"), [
    ({"matcher": {"kind": "agent", "value": "stedy"}, "duration": "1h", "reason": "x"},
     "unknown agent 'stedy' (did you mean 'steady'?) (agents: steady, other)"),
    ({"matcher": {"kind": "tag", "value": "x"}, "duration": "1h", "reason": "x"},
     "unknown tag 'x' (tags: none in the config)"),
    ({"matcher": {"kind": "agent", "value": "steady"}, "duration": "1h"}, "'reason' is required"),
    ({"matcher": {"kind": "agent", "value": "steady"}, "reason": "x"},
     "a silence needs an end: give 'ends_at' or 'duration'"),
    ({"matcher": {"kind": "agent", "value": "steady"}, "reason": "x",
      "ends_at": "2001-01-01T00:00:00Z"}, "a silence needs an end in the future"),
    ({"matcher": {"kind": "channel", "value": "pd"}, "duration": "1h", "reason": "x"},
     "a silence matches an agent, a region or a tag, not 'channel'"),
])
async def test_bad_silences_are_400_with_the_reason(daemon, body, message):
    status, answer = await call(daemon, "POST", "/api/v1/silences", json=body)
    assert status == 400 and answer["error"]["message"] == message


async def test_a_read_token_cannot_silence(daemon):
    status, _ = await call(daemon, "POST", "/api/v1/silences", token=READ_TOKEN, json={
        "matcher": {"kind": "agent", "value": "steady"}, "duration": "1h", "reason": "x"})
    assert status == 403
    status, listed = await call(daemon, "GET", "/api/v1/silences", token=READ_TOKEN)
    assert status == 200 and listed["silences"] == []
