"""A store that fails while `check` runs (the disk fills up, the file is damaged under
it) is said once, loudly, the exit code is not OK, and a DOWN agent still pages: the
alert goes out directly when the outbox cannot queue it. Real processes, a real tmpfs,
a real damaged file, a real webhook receiver."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from agent_server import AgentServer, Received, Reply
from aiohttp import web
from disk_faults import damage, fill, tmpfs
from receivers import HttpReceiver

CONFIG_HEAD = """\
defaults: {{validations: 1, retries: 0, timeout: 2s}}
channels:
  hook: {{type: webhook, url: "{hook}"}}
agents:
  - id: broken-bot
    url: {broken}
    alerts: {{channels: [hook]}}
"""
HEALTHY = """\
  - id: ok-{n}
    url: {ok}
"""


@pytest.fixture
async def http() -> AsyncIterator[HttpReceiver]:
    async with HttpReceiver() as rx:
        yield rx


class BreakTheStore:
    """An agent that breaks the store while it is being probed (after `check` opened
    the store), then answers as told."""

    def __init__(self, breaker: Callable[[], None], reply: Reply) -> None:
        self.breaker = breaker
        self.reply = reply
        self.armed = False

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        if self.armed:
            self.armed = False
            self.breaker()
        return await self.reply(request, rec)


def run_check(cfg: Path, data: Path) -> subprocess.CompletedProcess[str]:
    # The pages sent while the store fails are remembered beside the test's files.
    env = {**os.environ, "XDG_RUNTIME_DIR": str(cfg.parent / "run")}
    return subprocess.run(
        [sys.executable, "-m", "agentstatus_tui", "check", "--config", str(cfg),
         "--data-dir", str(data), "--alert-deadline", "10"],
        capture_output=True, text=True, timeout=55, stdin=subprocess.DEVNULL, env=env)


async def check_with_broken_store(tmp_path: Path, data: Path, breaker: Callable[[], None],
                                  http: HttpReceiver, *, healthy: int = 30
                                  ) -> tuple[subprocess.CompletedProcess[str], ...]:
    async with AgentServer() as server:
        ok = server.route("/ok", Reply("4"))
        agent = BreakTheStore(breaker, Reply("4"))
        broken = server.route("/broken", agent)
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG_HEAD.format(hook=http.url("/hook"), broken=broken)
                       + "".join(HEALTHY.format(n=i, ok=ok) for i in range(healthy)))
        first = await asyncio.to_thread(run_check, cfg, data)  # a healthy store, all UP
        agent.armed = True
        agent.reply = Reply(status=503, body={"error": "overloaded"})
        second = await asyncio.to_thread(run_check, cfg, data)
        agent.reply = Reply("4")
        third = await asyncio.to_thread(run_check, cfg, data)
    return first, second, third


def assert_said_once(out: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    failing = [line for line in lines if "STORE FAILING" in line]
    assert len(failing) == 1, out.stderr
    assert len(lines) <= 2, out.stderr  # the failure, and at most a failed direct page


async def test_disk_full_mid_check_is_said_once_and_down_still_pages(
    tmp_path: Path, http: HttpReceiver
) -> None:
    with tmpfs(tmp_path / "data", size="2m") as data:
        first, second, third = await check_with_broken_store(
            tmp_path, data, lambda: fill(data), http)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 2  # DOWN outranks the store's UNKNOWN
    assert second.stdout.startswith(
        "AGENTSTATUS CRITICAL - STORE FAILING (database or disk is full): 1 DOWN, 30 UP")
    assert_said_once(second)
    page, recovery = [r.json for r in http.at("/hook")]
    assert (page["event"], page["agent"]["id"]) == ("trigger", "broken-bot")
    assert page["details"] == {  # sent directly, not queued
        "persisted": False, "store": "STORE FAILING (database or disk is full): runs are "
        "not being saved; this page was sent directly, without the outbox's retries"}
    # All UP again, still nothing can be saved: not OK either. The recovery pages (this
    # check knows the DOWN the last one paged, though the store could not keep it).
    assert third.returncode == 3
    assert third.stdout.startswith("AGENTSTATUS UNKNOWN - STORE FAILING (")
    assert "Traceback" not in third.stderr
    assert (recovery["event"], recovery["incident"]) == ("resolve", page["incident"])


async def test_file_damaged_after_open_is_said_once_and_down_still_pages(
    tmp_path: Path, http: HttpReceiver
) -> None:
    data = tmp_path / "data"
    db = data / "agentstatus.db"

    def corrupt() -> None:
        damage(db, 4096, db.stat().st_size - 4096)  # every page after the schema

    first, second, third = await check_with_broken_store(tmp_path, data, corrupt, http,
                                                         healthy=5)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 2
    assert second.stdout.startswith("AGENTSTATUS CRITICAL - STORE FAILING (")
    assert_said_once(second)
    # The damaged file cannot even be opened by the next check: every agent is probed
    # all the same, and the recovery resolves the page the last check sent.
    assert third.returncode == 3, third.stdout + third.stderr
    assert third.stdout.startswith("AGENTSTATUS UNKNOWN - STORE FAILING (cannot be opened: ")
    assert "6 UP" in third.stdout.splitlines()[0]
    page, recovery = [r.json for r in http.at("/hook")]
    assert (page["event"], page["agent"]["id"]) == ("trigger", "broken-bot")
    assert (recovery["event"], recovery["incident"]) == ("resolve", page["incident"])
