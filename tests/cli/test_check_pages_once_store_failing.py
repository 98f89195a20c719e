"""A 24/7 pager on cron pages exactly once while the store cannot be written: each cron
`check` remembers the pages it sent directly in a small ledger outside the data dir,
starts from it, and folds it back into the store once the store takes writes again, so
the recovery pages once and history shows the outage. When the ledger cannot be written
either, the next check pages again (the safe side) and says so. Real processes, a real
full tmpfs, a real agent and a real webhook receiver."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from agent_server import AgentServer, Received, Reply
from aiohttp import web
from cron_checks import CONFIG, DOWN, overall_changes, pages, run_check
from disk_faults import fill, tmpfs
from receivers import HttpReceiver
from receivers import Reply as HookReply


class FillsTheDisk:
    """The agent goes DOWN, and the data dir's disk fills up while `check` probes it (the
    store is open: a store closed cleanly on a full disk cannot even be opened, and
    `check` then says so and probes nothing)."""

    def __init__(self, server: AgentServer, data: Path) -> None:
        self.server, self.data = server, data

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        self.server.routes[("/bot", None)] = DOWN
        fill(self.data)
        return await DOWN(request, rec)


@pytest.fixture
async def http() -> AsyncIterator[HttpReceiver]:
    async with HttpReceiver() as rx:
        yield rx


async def test_cron_checks_on_a_full_disk_page_once_and_recovery_pages_once(
    tmp_path: Path, http: HttpReceiver
) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {"XDG_RUNTIME_DIR": str(runtime)}
    with tmpfs(tmp_path / "data", size="2m") as data:
        async with AgentServer() as server:
            bot = server.route("/bot", Reply("4"))
            cfg = tmp_path / "agents.yaml"
            cfg.write_text(CONFIG.format(hook=http.url("/hook"), bot=bot))
            first = await asyncio.to_thread(run_check, cfg, data, env)
            assert first.returncode == 0, first.stderr

            # DOWN, and the store cannot be written from the next probe on.
            server.routes[("/bot", None)] = FillsTheDisk(server, data)
            for _ in range(3):
                out = await asyncio.to_thread(run_check, cfg, data, env)
                assert out.returncode == 2, out.stderr
                assert out.stdout.startswith("AGENTSTATUS CRITICAL - STORE FAILING "
                                             "(database or disk is full): 1 DOWN"), out.stdout
                assert "Traceback" not in out.stderr
                assert "cannot be remembered" not in out.stderr
            assert len(server.received("/bot")) == 4  # every check probed it
            (page,) = pages(http)  # three checks, one page
            assert (page["event"], page["agent"]["id"]) == ("trigger", "pager-bot")
            assert page["details"]["persisted"] is False
            assert page["details"]["store"].startswith(
                "STORE FAILING (database or disk is full): runs are not being saved")
            (ledger,) = (runtime / "agentstatus").iterdir()
            assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
            assert overall_changes(data)[-1][1] == "REACHABLE"  # nothing stored meanwhile

            (data / "filler").unlink()  # the store takes writes again
            server.routes[("/bot", None)] = Reply("4")
            last = await asyncio.to_thread(run_check, cfg, data, env)
            assert last.returncode == 0, last.stdout + last.stderr
            assert "STORE FAILING" not in last.stdout

            trigger, recovery = pages(http)  # exactly one recovery, of the same page
            assert recovery["event"] == "resolve"
            assert recovery["incident"] == trigger["incident"]
            assert not list((runtime / "agentstatus").iterdir())  # folded back, deleted
            # History shows the outage: DOWN from the first check that saw it, then back.
            changes = overall_changes(data)
            assert [(p, c) for p, c, _ in changes] == [
                ("UNKNOWN", "REACHABLE"), ("REACHABLE", "DOWN"), ("DOWN", "REACHABLE")]
            assert changes[1][2] <= changes[2][2]

            # Later checks on a working store page nothing more.
            again = await asyncio.to_thread(run_check, cfg, data, env)
            assert again.returncode == 0 and len(pages(http)) == 2


async def test_when_the_ledger_cannot_be_written_either_the_next_check_pages_again(
    tmp_path: Path, http: HttpReceiver
) -> None:
    nowhere = tmp_path / "not-a-dir"
    nowhere.write_text("a file where the ledger's directories would be")
    env = {"XDG_RUNTIME_DIR": str(nowhere), "TMPDIR": str(nowhere)}
    with tmpfs(tmp_path / "data", size="2m") as data:
        async with AgentServer() as server:
            bot = server.route("/bot", Reply("4"))
            cfg = tmp_path / "agents.yaml"
            cfg.write_text(CONFIG.format(hook=http.url("/hook"), bot=bot))
            assert (await asyncio.to_thread(run_check, cfg, data, env)).returncode == 0
            server.routes[("/bot", None)] = FillsTheDisk(server, data)
            for n in (1, 2):
                out = await asyncio.to_thread(run_check, cfg, data, env)
                assert out.returncode == 2
                warning = [line for line in out.stderr.splitlines()
                           if "cannot be remembered" in line]
                assert len(warning) == 1, out.stderr
                assert "the next check pages them again" in warning[0]
                assert len(pages(http)) == n  # paged again: never lost


async def test_a_recovery_while_the_store_still_fails_pages_once_and_is_stored_later(
    tmp_path: Path, http: HttpReceiver
) -> None:
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run")}
    with tmpfs(tmp_path / "data", size="2m") as data:
        async with AgentServer() as server:
            bot = server.route("/bot", Reply("4"))
            cfg = tmp_path / "agents.yaml"
            cfg.write_text(CONFIG.format(hook=http.url("/hook"), bot=bot))
            assert (await asyncio.to_thread(run_check, cfg, data, env)).returncode == 0
            server.routes[("/bot", None)] = FillsTheDisk(server, data)
            assert (await asyncio.to_thread(run_check, cfg, data, env)).returncode == 2
            server.routes[("/bot", None)] = Reply("4")
            for _ in range(2):  # back up, the store still full: one recovery
                out = await asyncio.to_thread(run_check, cfg, data, env)
                assert out.returncode == 3, out.stdout  # UP, but nothing saved
            trigger, recovery = pages(http)
            assert (trigger["event"], recovery["event"]) == ("trigger", "resolve")
            assert recovery["incident"] == trigger["incident"]
            assert recovery["details"]["persisted"] is False

            (data / "filler").unlink()
            out = await asyncio.to_thread(run_check, cfg, data, env)
            assert out.returncode == 0, out.stdout + out.stderr
            assert len(pages(http)) == 2  # nothing more: the outage is over
            assert [(p, c) for p, c, _ in overall_changes(data)] == [
                ("UNKNOWN", "REACHABLE"), ("REACHABLE", "DOWN"), ("DOWN", "REACHABLE")]
            assert not list((tmp_path / "run" / "agentstatus").iterdir())


async def test_a_page_that_reached_no_channel_is_paged_again_by_the_next_check(
    tmp_path: Path, http: HttpReceiver
) -> None:
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run")}
    with tmpfs(tmp_path / "data", size="2m") as data:
        async with AgentServer() as server:
            bot = server.route("/bot", Reply("4"))
            cfg = tmp_path / "agents.yaml"
            cfg.write_text(CONFIG.format(hook=http.url("/hook"), bot=bot))
            assert (await asyncio.to_thread(run_check, cfg, data, env)).returncode == 0
            server.routes[("/bot", None)] = FillsTheDisk(server, data)
            http.script("/hook", HookReply(status=400, body="no"))  # the receiver refuses
            out = await asyncio.to_thread(run_check, cfg, data, env)
            assert out.returncode == 2 and "NOT delivered through hook" in out.stderr
            for _ in range(2):  # the receiver takes it now: paged by the next check, once
                assert (await asyncio.to_thread(run_check, cfg, data, env)).returncode == 2
            refused, page = pages(http)
            assert (refused["event"], page["event"]) == ("trigger", "trigger")

            (data / "filler").unlink()
            server.routes[("/bot", None)] = Reply("4")
            assert (await asyncio.to_thread(run_check, cfg, data, env)).returncode == 0
            recovery = pages(http)[-1]
            assert len(pages(http)) == 3
            assert (recovery["event"], recovery["incident"]) == ("resolve", page["incident"])
            assert [(p, c) for p, c, _ in overall_changes(data)] == [
                ("UNKNOWN", "REACHABLE"), ("REACHABLE", "DOWN"), ("DOWN", "REACHABLE")]
