"""The daemon as a process: the unix socket, SIGTERM, kill -9, reloads, TLS and the rule
that a public TCP port needs tokens."""

from __future__ import annotations

import asyncio
import os
import pwd
import signal
import ssl
import stat
import subprocess
import sys

import aiohttp
import pytest
from agent_server import AgentServer, Reply, self_signed_context
from receivers import PAGERDUTY_OK, HttpReceiver, free_port
from receivers import Reply as RxReply
from serve_process import PD_PATH, WRITE_TOKEN, ServeProcess, agents_config, until

from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Verdict

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def agents():
    async with AgentServer() as server:
        server.route("/ok", Reply("4"))
        server.route("/down", Reply(status=503))
        yield server


async def test_unix_socket_is_group_shared_and_needs_no_token(tmp_path, agents):
    text = agents_config({"steady": agents.url("/ok")}, interval="30s")
    async with ServeProcess(tmp_path, text, tcp=False, socket=True) as d:
        mode = d.socket.stat().st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o660
        async with d.session(None, unix=True) as s:
            async with s.get("/api/v1/agents") as r:
                assert r.status == 200
                assert (await r.json())["agents"][0]["id"] == "steady"
            async with s.post("/api/v1/agents/steady/pause") as r:
                assert r.status == 200
        me = pwd.getpwuid(os.getuid()).pw_name
        assert f"paused steady by {me}" in d.log
        assert await d.stop() == 0
        assert not d.socket.exists()


async def test_a_second_daemon_on_the_same_socket_is_refused(tmp_path, agents):
    text = agents_config({"steady": agents.url("/ok")}, interval="30s")
    async with ServeProcess(tmp_path, text, tcp=False, socket=True) as first:
        (tmp_path / "second").mkdir()
        second = ServeProcess(tmp_path / "second", text, tcp=False,
                              args=("--socket", str(first.socket)))
        proc = await asyncio.create_subprocess_exec(
            *second.command(), env=second.env, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 2
        assert b"another daemon is already listening" in err
        async with first.session(None, unix=True) as s, s.get("/healthz") as r:
            assert r.status == 200


async def test_sigterm_stops_cleanly_and_records_unknown(tmp_path, agents):
    text = agents_config({"steady": agents.url("/ok"), "broken": agents.url("/down")},
                         interval="30s")
    d = ServeProcess(tmp_path, text, socket=True)
    async with d:
        assert await d.stop(signal.SIGTERM) == 0
    assert "stopped" in d.log and "Traceback" not in d.log
    with Store(d.data_dir / "agentstatus.db") as store:
        verdicts = store.last_verdicts()
    assert verdicts["steady"][None][0] is Verdict.UNKNOWN
    assert verdicts["broken"][None][0] is Verdict.UNKNOWN
    assert not d.socket.exists()


async def test_kill_9_loses_no_stored_run_or_undelivered_alert(tmp_path, agents):
    rx = HttpReceiver()
    rx.default(PD_PATH, RxReply(500, "down for maintenance"))
    await rx.start()
    try:
        text = agents_config({"broken": agents.url("/down")}, pd_url=rx.url(PD_PATH),
                             interval="30s")
        d = ServeProcess(tmp_path, text)
        await d.start(ready=False)

        async def queued():
            doc = await d.get_json("/api/v1/alerts")
            return [a for a in doc["alerts"] if a["status"] == "pending" and a["attempts"]]

        pending = await until(queued, what="a pending alert")
        runs = (await d.get_json("/api/v1/agents/broken/runs"))["runs"]
        assert runs
        await d.stop(signal.SIGKILL)
        with Store(d.data_dir / "agentstatus.db") as store:
            stored = store.recent_runs("broken", 100)
            assert len(stored) >= len(runs)
            row = store.conn.execute("SELECT status FROM alert_outbox WHERE id = ?",
                                     (pending[0]["id"],)).fetchone()
            assert row["status"] == "pending"
        # Restarted with the receiver back: the alert queued before the kill goes out.
        rx.default(PD_PATH, PAGERDUTY_OK)
        again = ServeProcess(tmp_path, text)
        again.port = free_port()
        async with again:
            async def delivered():
                doc = await again.get_json("/api/v1/alerts")
                return [a for a in doc["alerts"]
                        if a["id"] == pending[0]["id"] and a["status"] == "delivered"]

            await until(delivered, what="the alert queued before the kill")
    finally:
        await rx.stop()


async def test_reload_keeps_state_and_a_bad_config_keeps_the_old_one(tmp_path, agents):
    text = agents_config({"steady": agents.url("/ok"), "quiet": agents.url("/ok")},
                         interval="30s")
    async with ServeProcess(tmp_path, text) as d:
        before = await d.get_json("/api/v1/agents/steady/runs")
        # A broken file: SIGHUP and POST /reload both keep the running config and say why.
        d.config.write_text(text.replace("interval: 30s", "interval: often") +
                            "bogus_key: 1\n")
        await d.send(signal.SIGHUP)
        await until(lambda: asyncio.sleep(0, "still running the previous one" in d.log),
                    what="the reload's errors in the log")
        assert "interval: expected a duration" in d.log and "unknown key 'bogus_key'" in d.log
        async with d.session() as s, s.post("/api/v1/reload") as r:
            assert r.status == 422
            err = (await r.json())["error"]
        assert err["code"] == "invalid_config" and len(err["details"]) == 2
        assert [a["id"] for a in (await d.get_json("/api/v1/agents"))["agents"]] == [
            "steady", "quiet"]
        async with d.session() as s, s.post("/api/v1/agents/quiet/pause") as r:
            assert r.status == 200
        # A good one: the new agent is polled, the kept one keeps its history and verdict.
        d.config.write_text(agents_config({"steady": agents.url("/ok"), "quiet": agents.url("/ok"),
                                           "newcomer": agents.url("/down")}, interval="30s"))
        async with d.session() as s, s.post("/api/v1/reload") as r:
            assert r.status == 200, await r.text()
        await d.wait_ready()
        agents_now = {a["id"]: a for a in (await d.get_json("/api/v1/agents"))["agents"]}
        assert agents_now["newcomer"]["verdict"] == "DOWN"
        assert agents_now["steady"]["verdict"] == "REACHABLE"
        assert agents_now["quiet"]["paused"] is True  # a pause survives the reload
        after = await d.get_json("/api/v1/agents/steady/runs")
        assert after["runs"][-len(before["runs"]):] == before["runs"][-len(before["runs"]):]
        changes = await d.get_json("/api/v1/agents/steady/transitions")
        assert [t["current"] for t in changes["transitions"] if t["region"] is None] == [
            "REACHABLE"]  # handed over, not recorded UNKNOWN in between


async def test_tcp_without_tokens_only_on_loopback(tmp_path, agents):
    text = agents_config({"steady": agents.url("/ok")}, interval="30s", tokens=False)
    config = tmp_path / "agents.yaml"
    config.write_text(text)
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "agentstatus_tui", "serve", "--config", str(config),
         "--data-dir", str(tmp_path / "data"), "--listen", f"0.0.0.0:{free_port()}"],
        capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "needs at least one bearer token" in out.stderr
    (tmp_path / "loopback").mkdir()
    async with ServeProcess(tmp_path / "loopback", text) as d:
        assert (await d.get_json("/api/v1/agents", token=None))["agents"]
        assert "no api tokens configured" in d.log


async def test_tls(tmp_path, agents):
    self_signed_context(str(tmp_path))  # writes cert.pem and key.pem
    text = agents_config({"steady": agents.url("/ok")}, interval="30s")
    d = ServeProcess(tmp_path, text, args=("--tls-cert", str(tmp_path / "cert.pem"),
                                           "--tls-key", str(tmp_path / "key.pem")))
    d.proc = await asyncio.create_subprocess_exec(*d.command(), env=d.env,
                                                  stderr=asyncio.subprocess.PIPE)
    try:
        ctx = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        ctx.check_hostname = False

        async def agents_over_tls():
            async with aiohttp.ClientSession(
                    headers={"Authorization": f"Bearer {WRITE_TOKEN}"}) as s, s.get(
                    f"https://127.0.0.1:{d.port}/api/v1/agents", ssl=ctx) as r:
                return r.status == 200

        await until(agents_over_tls, what="the API over TLS")
        async with aiohttp.ClientSession() as s:
            with pytest.raises(aiohttp.ClientError):
                async with s.get(f"http://127.0.0.1:{d.port}/healthz") as r:
                    await r.read()
                    assert r.status != 200
    finally:
        d.proc.terminate()
        await d.proc.wait()


def test_systemd_unit_is_printed():
    out = subprocess.run([sys.executable, "-m", "agentstatus_tui", "serve", "--systemd-unit"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert "ExecReload=/bin/kill -HUP $MAINPID" in out.stdout
    assert "RuntimeDirectory=agentstatus" in out.stdout and " serve " in out.stdout


async def test_the_default_socket_is_in_the_runtime_dir(tmp_path, agents):
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    text = agents_config({"steady": agents.url("/ok")}, interval="30s")
    d = ServeProcess(tmp_path, text, tcp=False, env={"XDG_RUNTIME_DIR": str(runtime)})
    d.socket = runtime / "agentstatus" / "api.sock"
    async with d:
        assert stat.S_IMODE(d.socket.parent.stat().st_mode) == 0o750
        assert stat.S_IMODE(d.socket.stat().st_mode) == 0o660
        async with d.session(None, unix=True) as s, s.get("/api/v1/agents") as r:
            assert r.status == 200


async def test_a_flip_to_down_pages_pagerduty_with_no_dashboard_open(tmp_path, agents):
    rx = HttpReceiver()
    rx.default(PD_PATH, PAGERDUTY_OK)
    await rx.start()
    try:
        agents.route("/flip", Reply("4"))
        text = agents_config({"flip": agents.url("/flip")}, pd_url=rx.url(PD_PATH),
                             interval="1s")
        async with ServeProcess(tmp_path, text) as d:
            assert (await d.get_json("/api/v1/agents/flip"))["verdict"] == "REACHABLE"
            assert rx.at(PD_PATH) == []
            agents.route("/flip", Reply(status=503))  # the agent breaks; nobody is watching

            async def paged():
                return [r.json for r in rx.at(PD_PATH) if r.json["event_action"] == "trigger"]

            (trigger,) = await until(paged, what="the PagerDuty trigger")
            assert "flip" in trigger["payload"]["summary"]
            assert (await d.get_json("/api/v1/agents/flip"))["verdict"] == "DOWN"
    finally:
        await rx.stop()


async def test_a_store_that_cannot_be_opened_is_one_line_and_exit_3(tmp_path, agents):
    text = agents_config({"steady": agents.url("/ok")}, interval="30s")
    d = ServeProcess(tmp_path, text, socket=True)
    d.data_dir.write_text("not a directory")
    proc = await asyncio.create_subprocess_exec(*d.command(), env=d.env,
                                                stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 3
    assert b"store failed" in err and b"Traceback" not in err
    assert not d.socket.exists()
