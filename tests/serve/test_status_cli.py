"""`agentstatus status` and `GET /api/v1/status`: a running daemon's health, and the exit
codes for ready (0), answering but not ready (1), a refused token (2) and no daemon (3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply, closed_port
from daemon_cli import cli
from serve_process import READ_TOKEN, ServeProcess, agents_config, until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def agents():
    async with AgentServer() as server:
        server.route("/ok", Reply("4"))
        server.route("/down", Reply(status=503))
        yield server


async def test_status_of_a_ready_daemon(tmp_path: Path, agents: AgentServer):
    text = agents_config({"steady": agents.url("/ok"), "broken": agents.url("/down")},
                         interval="5m")
    d = ServeProcess(tmp_path, text, socket=True)
    d.socket = d.data_dir / "api.sock"  # where `serve` puts it without a runtime dir
    async with d:
        # No --server: the socket of this data dir, as `serve` chose it.
        code, out, err = await cli("status", "--data-dir", str(d.data_dir))
        assert code == 0, (out, err)
        lines = out.splitlines()
        assert lines[0] == f"agentstatus serve 0.1.0 at unix:{d.socket}: ready"
        assert f"  listening unix:{d.socket}, {d.base}" in lines
        assert "  agents    2: 1 DOWN, 1 REACHABLE" in lines
        assert "  alerts    0 pending, 0 failed in the last day" in lines
        assert "  store     writable" in lines
        assert any(line.startswith("  runs      2 since start; first round done ")
                   for line in lines), out

        code, out, _ = await cli("status", "--server", d.base, "--json", token=READ_TOKEN)
        assert code == 0
        doc = json.loads(out)
        assert doc["ready"] is True and doc["version"] == "0.1.0"
        assert doc["agents"] == {"total": 2, "paused": 0, "running": 0, "by_verdict": {
            "DOWN": 1, "DEGRADED": 0, "UNKNOWN": 0, "UP": 0, "REACHABLE": 1}}
        assert doc["runs"]["since_start"] == 2 and doc["runs"]["first_round_done_at"]
        assert doc["runs"]["last_finished_at"] >= doc["runs"]["oldest_finished_at"]
        assert doc["store"] == {"writable": True}
        assert doc["listening"] == [f"unix:{d.socket}", d.base]
        assert set(await d.get_json("/api/v1/status")) == set(doc)
        assert READ_TOKEN not in out

        code, out, err = await cli("status", "--server", d.base, token="wrong-0123456789")
        assert code == 2 and out == ""
        assert "refused the request (401: a valid bearer token is required)" in err
        assert "wrong-0123456789" not in err

    code, out, err = await cli("status", "--server", str(d.socket))  # killed: left behind
    assert code == 3, err
    assert err == (f"agentstatus: no daemon answers on unix:{d.socket} (the socket was left "
                   "by one that stopped)\n")
    d.socket.unlink()
    code, out, err = await cli("status", "--server", str(d.socket))
    assert code == 3 and "the socket does not exist" in err
    code, out, _ = await cli("status", "--server", d.base, "--json")
    assert code == 3 and json.loads(out)["ready"] is False


async def test_status_of_a_daemon_whose_paging_fails_is_not_ready(tmp_path: Path,
                                                                  agents: AgentServer):
    dead = f"http://127.0.0.1:{closed_port()}/v2/enqueue"
    text = agents_config({"broken": agents.url("/down")}, pd_url=dead, interval="5m")
    d = ServeProcess(tmp_path, text, socket=True)
    await d.start(ready=False)
    async with d:
        async def alerts_failing() -> bool:
            doc = await d.get_json("/api/v1/status")
            return not doc["checks"]["alerts"]["ok"]

        await until(alerts_failing, what="the page to fail")
        code, out, err = await cli("status", "--server", str(d.socket))
        assert code == 1, (out, err)
        assert ": NOT READY" in out.splitlines()[0]
        assert "  not ready: alerts" in out.splitlines()
        assert "; failing: pd" in out, out
