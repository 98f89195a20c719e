"""No heartbeat while the store is failing: runs are not saved and pages go out without
retries, so the dead man's switch must notice. Real processes, a real full tmpfs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from disk_faults import fill, tmpfs
from receivers import HttpReceiver
from test_store_failing_mid_check import BreakTheStore, run_check

PING = "/ping/7d2f0c1e-store-4a8b-secret9c3e"
CONFIG = """\
defaults: {{validations: 1, retries: 0, timeout: 2s}}
heartbeat: {{url: "{ping}"}}
agents:
  - {{id: breaker, url: "{breaker}"}}
  - {{id: steady, url: "{ok}"}}
"""


@pytest.fixture
async def http() -> AsyncIterator[HttpReceiver]:
    async with HttpReceiver() as rx:
        yield rx


async def test_check_does_not_ping_when_its_runs_could_not_be_stored(
    tmp_path: Path, http: HttpReceiver
) -> None:
    with tmpfs(tmp_path / "data", size="2m") as data:
        async with AgentServer() as server:
            ok = server.route("/ok", Reply("4"))
            agent = BreakTheStore(lambda: fill(data), Reply("4"))
            breaker = server.route("/breaker", agent)
            cfg = tmp_path / "agents.yaml"
            cfg.write_text(CONFIG.format(ping=http.url(PING), breaker=breaker, ok=ok))
            first = await asyncio.to_thread(run_check, cfg, data)
            assert first.returncode == 0, first.stderr
            assert len(http.at(PING)) == 1
            agent.armed = True  # the disk fills up while this check probes
            second = await asyncio.to_thread(run_check, cfg, data)
    assert second.returncode == 3 and "STORE FAILING" in second.stdout
    assert len(http.at(PING)) == 1
    assert "heartbeat not pinged: 0 of 2 agents had a completed run" in second.stderr
    assert "Traceback" not in second.stderr and PING not in second.stderr
