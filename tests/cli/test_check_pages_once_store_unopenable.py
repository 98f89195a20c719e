"""A broken disk never silences the cron `check`: when the store cannot even be opened (a
read-only data dir, something that is not a database where the store should be, a disk
already full when the check starts, a data dir that is a file), every agent is still
probed and its verdict printed, a DOWN pages once across checks (the page ledger outside
the data dir is the only memory), the recovery resolves the same page, and once the store
opens again history shows the outage. Real processes, real files and a real tmpfs, a real
agent and a real webhook receiver."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from cron_checks import CONFIG, DOWN, check, overall_changes, pages
from disk_faults import damage, fill, remount_read_only, tmpfs
from receivers import HttpReceiver

from agentstatus_tui.engine.config.load import load_config
from agentstatus_tui.engine.monitor import Monitor


# Each way a store cannot be opened: break(disk, data) -> the cause SQLite or the system
# gives (and the file or dir the failure names), and how it is mended.
def _aside(path: Path) -> Path:
    return path.with_name(path.name + ".aside")


def data_dir_is_a_file(disk: Path, data: Path) -> tuple[str, Path]:
    data.rename(_aside(data))
    data.write_text("a file where the data dir should be")
    return "is a file, not a directory", data


def mend_data_dir(disk: Path, data: Path) -> None:
    data.unlink()
    _aside(data).rename(data)


def not_a_database(disk: Path, data: Path) -> tuple[str, Path]:
    db = data / "agentstatus.db"
    db.rename(_aside(db))
    shutil.copyfile(_aside(db), db)
    damage(db, 0, 100)  # its header overwritten
    return "file is not a database", db


def mend_database(disk: Path, data: Path) -> None:
    db = data / "agentstatus.db"
    _aside(db).replace(db)


def disk_full(disk: Path, data: Path) -> tuple[str, Path]:
    fill(disk)
    return "full", data / "agentstatus.db"


def mend_disk_full(disk: Path, data: Path) -> None:
    (disk / "filler").unlink()


def read_only(disk: Path, data: Path) -> tuple[str, Path]:
    remount_read_only(disk)
    return "Read-only file system", data / "agentstatus.db"


def mend_read_only(disk: Path, data: Path) -> None:
    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)


BREAKS: dict[str, tuple[Callable[[Path, Path], tuple[str, Path]],
                        Callable[[Path, Path], None]]] = {
    "data dir is a file": (data_dir_is_a_file, mend_data_dir),
    "not a database": (not_a_database, mend_database),
    "disk full at the start": (disk_full, mend_disk_full),
    "read-only data dir": (read_only, mend_read_only),
}


@pytest.fixture
async def http() -> AsyncIterator[HttpReceiver]:
    async with HttpReceiver() as rx:
        yield rx


def assert_says_why(out: subprocess.CompletedProcess[str], named: Path, cause: str) -> None:
    """One line on stderr names the file (or data dir) and the cause, and says what the
    check does without the store."""
    assert "Traceback" not in out.stderr, out.stderr
    said = [line for line in out.stderr.splitlines() if "store failed" in line]
    assert len(said) == 1, out.stderr
    assert said[0].startswith(f"agentstatus: store failed: {named}: cannot be opened: ")
    assert cause in said[0]
    assert "pauses and silences cannot be read" in said[0]


@pytest.mark.parametrize("case", sorted(BREAKS))
async def test_unopenable_store_pages_once_resolves_once_and_history_shows_it_later(
    tmp_path: Path, http: HttpReceiver, case: str
) -> None:
    breaks, mend = BREAKS[case]
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {"XDG_RUNTIME_DIR": str(runtime)}
    with tmpfs(tmp_path / "disk", size="2m") as disk:
        data = disk / "data"
        async with AgentServer() as server:
            bot = server.route("/bot", Reply("4"))
            cfg = tmp_path / "agents.yaml"
            cfg.write_text(CONFIG.format(hook=http.url("/hook"), bot=bot))
            first = await check(cfg, data, env)
            assert first.returncode == 0, first.stderr

            cause, named = breaks(disk, data)
            server.routes[("/bot", None)] = DOWN
            for _ in range(3):
                out = await check(cfg, data, env)
                assert out.returncode == 2, out.stdout + out.stderr
                first_line, agent_line = out.stdout.splitlines()
                assert first_line.startswith(
                    "AGENTSTATUS CRITICAL - STORE FAILING (cannot be opened: "), first_line
                assert cause in first_line and "): 1 DOWN |" in first_line
                assert agent_line.startswith("pager-bot: DOWN")
                assert_says_why(out, named, cause)
            assert len(server.received("/bot")) == 4  # every check probed it
            (page,) = pages(http)  # three checks, one page
            assert (page["event"], page["agent"]["id"]) == ("trigger", "pager-bot")
            assert page["details"]["persisted"] is False
            assert page["details"]["store"].startswith(
                "STORE FAILING (cannot be opened: ")
            assert cause in page["details"]["store"]

            server.routes[("/bot", None)] = Reply("4")
            for _ in range(2):  # back up, the store still unopenable: one recovery
                out = await check(cfg, data, env)
                assert out.returncode == 3, out.stdout  # UP, but nothing saved
                assert out.stdout.startswith("AGENTSTATUS UNKNOWN - STORE FAILING (cannot")
                assert "pager-bot: REACHABLE" in out.stdout
            trigger, recovery = pages(http)
            assert recovery["event"] == "resolve"
            assert recovery["incident"] == trigger["incident"]

            mend(disk, data)  # the store opens again
            last = await check(cfg, data, env)
            assert last.returncode == 0, last.stdout + last.stderr
            assert "STORE FAILING" not in last.stdout and "store failed" not in last.stderr
            assert len(pages(http)) == 2  # nothing more: the outage is over
            assert [(p, c) for p, c, _ in overall_changes(data)] == [
                ("UNKNOWN", "REACHABLE"), ("REACHABLE", "DOWN"), ("DOWN", "REACHABLE")]
            assert not list((runtime / "agentstatus").iterdir())  # folded back, deleted


async def test_without_a_ledger_an_up_pages_nothing_and_a_down_after_it_pages_once(
    tmp_path: Path, http: HttpReceiver
) -> None:
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run")}
    data = tmp_path / "data"
    data.mkdir()
    (data / "agentstatus.db").write_text("not a database, and never was one\n" * 200)
    async with AgentServer() as server:
        bot = server.route("/bot", Reply("4"))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(hook=http.url("/hook"), bot=bot))
        up = await check(cfg, data, env)
        assert up.returncode == 3, up.stdout + up.stderr
        assert up.stdout.startswith("AGENTSTATUS UNKNOWN - STORE FAILING (cannot be opened: "
                                    "file is not a database): 1 UP |"), up.stdout
        assert pages(http) == []  # a first UP: nothing to page

        server.routes[("/bot", None)] = DOWN
        for _ in range(3):
            assert (await check(cfg, data, env)).returncode == 2
        (page,) = pages(http)
        assert page["event"] == "trigger"


async def test_a_first_down_with_no_ledger_pages(tmp_path: Path, http: HttpReceiver) -> None:
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run")}
    data = tmp_path / "data"
    data.write_text("a file where the data dir should be")
    async with AgentServer() as server:
        bot = server.route("/bot", DOWN)
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(hook=http.url("/hook"), bot=bot))
        out = await check(cfg, data, env)
        assert out.returncode == 2, out.stdout + out.stderr
        assert_says_why(out, data, "is a file, not a directory")
        (page,) = pages(http)
        assert (page["event"], page["details"]["persisted"]) == ("trigger", False)


async def test_json_says_the_store_failed_and_still_has_every_verdict(
    tmp_path: Path, http: HttpReceiver
) -> None:
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run")}
    data = tmp_path / "data"
    data.mkdir()
    (data / "agentstatus.db").write_text("not a database\n" * 200)
    async with AgentServer() as server:
        bot = server.route("/bot", DOWN)
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(hook=http.url("/hook"), bot=bot))
        out = await check(cfg, data, env, "--json")
        assert out.returncode == 2, out.stderr
        doc = json.loads(out.stdout)
        assert doc["store"] == {"ok": False, "error": f"store failed: {data / 'agentstatus.db'}"
                                ": cannot be opened: file is not a database"}
        (agent,) = doc["agents"]
        assert (agent["id"], agent["verdict"], agent["paused"]) == ("pager-bot", "DOWN", False)
        assert doc["alerts"]["channels"] == 1
        assert_says_why(out, data / "agentstatus.db", "file is not a database")
        assert len(pages(http)) == 1


async def test_an_agent_paused_in_the_store_is_probed_when_the_store_cannot_be_opened(
    tmp_path: Path, http: HttpReceiver
) -> None:
    """Pauses live in the store: with none to read, every agent is probed (checking a
    paused agent is the safe side of not checking one that is not), and stderr says so."""
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run")}
    data = tmp_path / "data"
    async with AgentServer() as server:
        bot = server.route("/bot", DOWN)
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(hook=http.url("/hook"), bot=bot))
        # Paused as the dashboard and the API pause it (the Monitor's own command).
        async with Monitor.open(load_config(cfg), data_dir=str(data)) as mon:
            await mon.set_paused("pager-bot", True)
        paused = await check(cfg, data, env)
        assert paused.returncode == 0 and server.received("/bot") == [], paused.stdout

        db = data / "agentstatus.db"
        damage(db, 0, 100)
        out = await check(cfg, data, env)
        assert out.returncode == 2, out.stdout + out.stderr
        assert len(server.received("/bot")) == 1
        assert_says_why(out, db, "file is not a database")
        assert len(pages(http)) == 1
