"""A paused agent (paused in the dashboard or through the API: kept in the store) is not
probed by the cron `check` either: no request reaches it, no page goes out, its history
does not move, it shows as paused in the text and `--json` output, and it never makes
the exit code fail. Named on the command line, it is still not checked, and the line
says how to resume it. A real agent server counting requests, a real webhook receiver,
a real store."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from receivers import HttpReceiver

from agentstatus_tui.cli import main
from agentstatus_tui.engine.config.load import load_config
from agentstatus_tui.engine.monitor import Monitor

CONFIG = """\
defaults: {{validations: 1, retries: 0, timeout: 2s}}
channels:
  hook: {{type: webhook, url: "{hook}"}}
heartbeat:
  url: "{ping}"
agents:
  - id: sleepy
    name: Sleepy Bot
    url: {sleepy}
    alerts: {{channels: [hook]}}
  - id: awake
    name: Awake Bot
    url: {awake}
    alerts: {{channels: [hook]}}
"""


@pytest.fixture
async def http() -> AsyncIterator[HttpReceiver]:
    async with HttpReceiver() as rx:
        yield rx


async def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, ["check", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


async def set_paused(cfg: Path, data: Path, agent_id: str, paused: bool) -> None:
    """Pause as the dashboard and the API do (the Monitor's own command), or resume
    (what that command stores; a monitor that is not polling knows no pause to end)."""
    async with Monitor.open(load_config(cfg), data_dir=str(data)) as mon:
        if paused:
            await mon.set_paused(agent_id, paused)
        else:
            await mon.writer.set_paused(agent_id, paused, time.time())
        await mon.writer.flush()  # the pause, and the UNKNOWN it stores, are committed
        assert (agent_id in mon.store.paused_agents()) == paused


def history(data: Path, agent_id: str) -> tuple[int, list[tuple[str, str]]]:
    """The agent's stored runs (a count) and overall verdict changes."""
    with sqlite3.connect(data / "agentstatus.db") as conn:
        runs = conn.execute("SELECT COUNT(*) FROM runs WHERE agent_id = ?",
                            (agent_id,)).fetchone()[0]
        changes = conn.execute(
            "SELECT previous, current FROM transitions WHERE agent_id = ? AND region IS NULL"
            " ORDER BY id", (agent_id,)).fetchall()
    return int(runs), [(str(p), str(c)) for p, c in changes]


async def test_cron_check_leaves_a_paused_agent_alone(
    tmp_path: Path, http: HttpReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    async with AgentServer() as server:
        sleepy = server.route("/sleepy", Reply("4"))
        awake = server.route("/awake", Reply("4"))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(hook=http.url("/hook"), ping=http.url("/ping"),
                                     sleepy=sleepy, awake=awake))
        base = ["--config", str(cfg), "--data-dir", str(data), "--alert-deadline", "10"]
        code, out, _ = await check(capsys, *base)
        assert code == 0, out
        assert len(server.received("/sleepy")) == 1
        await set_paused(cfg, data, "sleepy", True)
        kept = history(data, "sleepy")
        assert kept[1][-1][1] == "UNKNOWN"  # as the pause stored it
        # Paused, then broken: a check that probed it would see DOWN and page.
        server.routes[("/sleepy", None)] = Reply(status=503, body={"error": "down"})
        pings = len(http.at("/ping"))

        code, out, err = await check(capsys, *base)
        assert code == 0, out + err
        lines = out.splitlines()
        assert lines[0] == ("AGENTSTATUS OK - 1 UP, 1 paused | up=1;;; degraded=0;;; "
                            "down=0;;; unknown=0;;; paused=1;;;")
        assert lines[1] == "Sleepy Bot: UNKNOWN (paused)"
        assert lines[2].startswith("Awake Bot: REACHABLE ")  # no gold prompt: REACHABLE
        assert err == ""

        code, out, err = await check(capsys, *base, "--json")
        assert code == 0, err
        doc = {a["id"]: a for a in json.loads(out)["agents"]}
        assert doc["sleepy"]["paused"] is True and doc["sleepy"]["verdict"] == "UNKNOWN"
        assert "checked_at" not in doc["sleepy"]
        assert doc["awake"]["paused"] is False and doc["awake"]["verdict"] == "REACHABLE"

        assert len(server.received("/sleepy")) == 1  # no request since the pause
        assert len(server.received("/awake")) == 3
        assert history(data, "sleepy") == kept  # no run stored, no verdict change
        assert http.at("/hook") == []  # nothing paged
        # The round of the agents not paused completed: the dead man's switch hears of it.
        assert len(http.at("/ping")) == pings + 2

        # Resumed, the same check probes it again and pages its outage.
        await set_paused(cfg, data, "sleepy", False)
        code, out, _ = await check(capsys, *base)
        assert code == 2, out
        assert len(server.received("/sleepy")) == 2
        (page,) = [r.json for r in http.at("/hook")]
        assert (page["event"], page["agent"]["id"]) == ("trigger", "sleepy")


async def test_check_named_agents_and_a_named_paused_one(
    tmp_path: Path, http: HttpReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    async with AgentServer() as server:
        sleepy = server.route("/sleepy", Reply(status=503, body={"error": "down"}))
        awake = server.route("/awake", Reply("4"))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(hook=http.url("/hook"), ping=http.url("/ping"),
                                     sleepy=sleepy, awake=awake))
        base = ["--config", str(cfg), "--data-dir", str(data), "--alert-deadline", "10"]
        await set_paused(cfg, data, "sleepy", True)

        # Named, the paused agent is still not checked: the line says so and how to resume.
        code, out, err = await check(capsys, "sleepy", *base)
        assert code == 0, out + err
        first, line = out.splitlines()
        assert first.startswith("AGENTSTATUS OK - 1 paused | ")
        assert line.startswith("Sleepy Bot: UNKNOWN (paused since ")
        assert "not checked" in line and "POST /api/v1/agents/sleepy/resume" in line
        assert server.received("/sleepy") == [] and http.at("/hook") == []
        assert http.at("/ping") == []  # a check of named agents is not a whole round

        code, out, _ = await check(capsys, "sleepy", *base, "--json")
        assert code == 0
        (agent,) = json.loads(out)["agents"]
        assert (agent["id"], agent["paused"], agent["verdict"]) == ("sleepy", True, "UNKNOWN")

        # Another agent named (by id or by name): only it is checked and shown.
        code, out, _ = await check(capsys, "Awake Bot", *base)
        assert code == 0, out
        assert out.startswith("AGENTSTATUS OK - 1 UP | ")
        assert [line.split(":")[0] for line in out.splitlines()[1:]] == ["Awake Bot"]
        assert len(server.received("/awake")) == 1

        # A name that is no agent: UNKNOWN, nothing probed.
        code, out, err = await check(capsys, "nobody", *base)
        assert code == 3
        assert out.startswith("AGENTSTATUS UNKNOWN - no agent 'nobody' (agents: sleepy, awake)")
        assert "no agent 'nobody'" in err
        assert len(server.received("/awake")) == 1 and server.received("/sleepy") == []
