"""A pause taken through the API outlives the daemon: stopped with SIGTERM or killed
with -9, the restarted daemon keeps the agent paused (UNKNOWN, not polled, not waited for
by /readyz) until someone resumes it, and a resume is kept as well."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from serve_process import WRITE_TOKEN, ServeProcess, agents_config, until

pytestmark = pytest.mark.timeout(120)


async def post(d: ServeProcess, path: str) -> dict:
    async with d.session(None, unix=True) as s, s.post(path) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def agent(d: ServeProcess, agent_id: str) -> dict:
    async with d.session(None, unix=True) as s, s.get(f"/api/v1/agents/{agent_id}") as r:
        assert r.status == 200
        return await r.json()


async def test_a_pause_survives_sigterm_and_kill_9(tmp_path: Path):
    async with AgentServer() as agents:
        text = agents_config({"ok": agents.route("/ok", Reply("4")),
                              "held": agents.route("/held", Reply("4"))}, interval="5m")

        def daemon() -> ServeProcess:
            return ServeProcess(tmp_path, text, tcp=False, socket=True)

        async with daemon() as d:
            assert (await post(d, "/api/v1/agents/held/pause"))["paused"] is True
            assert await d.stop(signal.SIGTERM) == 0
        asked = len(agents.received("/held"))
        ok_asked = len(agents.received("/ok"))

        async with daemon() as d:  # ready: the paused agent is not waited for
            held = await agent(d, "held")
            assert held["paused"] is True and held["verdict"] == "UNKNOWN"
            assert len(agents.received("/ok")) > ok_asked  # the other one was polled
            assert len(agents.received("/held")) == asked
            assert "held stays paused" in d.log
            assert await d.stop(signal.SIGKILL) == -signal.SIGKILL

        async with daemon() as d:
            assert (await agent(d, "held"))["paused"] is True
            assert len(agents.received("/held")) == asked
            assert (await post(d, "/api/v1/agents/held/resume"))["paused"] is False
            await until(lambda: _asked(agents, asked), what="the resumed agent's run")
            assert await d.stop(signal.SIGKILL) == -signal.SIGKILL

        asked = len(agents.received("/held"))
        async with daemon() as d:
            assert (await agent(d, "held"))["paused"] is False
            assert len(agents.received("/held")) > asked  # polled in the first round
        assert WRITE_TOKEN not in d.log


async def _asked(agents: AgentServer, before: int) -> bool:
    return len(agents.received("/held")) > before
