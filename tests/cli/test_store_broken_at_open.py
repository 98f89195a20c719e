"""A store that cannot be opened is one line naming the file and the cause, never a
traceback: exit 3 (Nagios UNKNOWN) for the dashboard and every other command; `check`
still probes every agent (a broken disk must not silence the pager: its Nagios first line
says STORE FAILING with the cause, and the exit code is the agents'). Real files, a real
tmpfs, real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from disk_faults import damage, fill, remount_read_only, tmpfs

from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import RunResult, Stats, Verdict

CONFIG = """\
agents:
  - id: a
    url: http://127.0.0.1:9/v1/chat/completions
"""


def run_cli(*argv: str, runtime: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`runtime`: the runtime dir, where `check` keeps the pages it sends while the
    store fails."""
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)} if runtime is not None else None
    return subprocess.run([sys.executable, "-m", "agentstatus_tui", *argv], env=env,
                          capture_output=True, text=True, timeout=50, stdin=subprocess.DEVNULL)


def run_check(tmp_path: Path, cfg: Path, data: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("check", "--config", str(cfg), "--data-dir", str(data),
                   runtime=tmp_path / "run")


def assert_checked_anyway(out: subprocess.CompletedProcess[str], cause: str) -> None:
    """The agent (nothing listens on its port) was probed: DOWN, exit 2, and the first
    line says the store fails and why."""
    assert out.returncode == 2, out.stdout + out.stderr
    first, agent = out.stdout.splitlines()
    assert first.startswith("AGENTSTATUS CRITICAL - STORE FAILING (cannot be opened: "), first
    assert cause in first and "): 1 DOWN |" in first
    assert agent.startswith("a: DOWN ")


def make_store(data: Path) -> Path:
    """A real store with some history, closed cleanly (no WAL left beside it)."""
    data.mkdir(parents=True, exist_ok=True)
    path = data / "agentstatus.db"
    with Store(path) as store:
        now = time.time()
        for i in range(50):
            s = Stats(verdict=Verdict.UP, validations=3, validations_ok=3)
            store.record_run(RunResult("a", now - 60 * (50 - i), now - 60 * (50 - i) + 1, s, {}))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def truncated(data: Path) -> str:
    path = make_store(data)
    with open(path, "r+b") as f:
        f.truncate(5000)
    return "database disk image is malformed"


def garbage_header(data: Path) -> str:
    damage(make_store(data), 0, 100)
    return "file is not a database"


def garbage_page(data: Path) -> str:
    damage(make_store(data), 4096, 4096)
    return "database disk image is malformed"


def db_is_a_directory(data: Path) -> str:
    (data / "agentstatus.db").mkdir(parents=True)
    return "is a directory"


BROKEN: dict[str, Callable[[Path], str]] = {
    "truncated": truncated, "garbage header": garbage_header, "garbage page": garbage_page,
    "db is a directory": db_is_a_directory,
}


def assert_one_line_failure(out: subprocess.CompletedProcess[str], file: Path,
                            cause: str) -> None:
    assert "Traceback" not in out.stderr, out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith(f"agentstatus: store failed: {file}: "), line
    assert cause in line


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_on_a_broken_store_still_probes_naming_file_and_cause(tmp_path: Path,
                                                                    case: str) -> None:
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(CONFIG)
    data = tmp_path / "data"
    cause = BROKEN[case](data)
    out = run_check(tmp_path, cfg, data)
    assert_checked_anyway(out, cause)
    assert_one_line_failure(out, data / "agentstatus.db", cause)


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(CONFIG)
    data = tmp_path / "data"
    data.write_text("not a directory")
    out = run_check(tmp_path, cfg, data)
    assert_checked_anyway(out, "is a file, not a directory")
    assert_one_line_failure(out, data, "not a directory")


def test_dashboard_and_other_commands_say_the_same_line(tmp_path: Path) -> None:
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(CONFIG)
    data = tmp_path / "data"
    cause = garbage_header(data)
    for argv in ([], ["history", "a"], ["incidents"], ["report"], ["run", "a"]):
        out = run_cli(*argv, "--config", str(cfg), "--data-dir", str(data))
        assert out.returncode == 3, (argv, out.stderr)
        assert_one_line_failure(out, data / "agentstatus.db", cause)


def test_read_only_data_dir(tmp_path: Path) -> None:
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(CONFIG)
    with tmpfs(tmp_path / "ro", read_only=True) as data:
        out = run_check(tmp_path, cfg, data)
        dash = run_cli("--config", str(cfg), "--data-dir", str(data))
    assert_checked_anyway(out, "Read-only file system")
    assert_one_line_failure(out, data / "agentstatus.db", "Read-only file system")
    assert dash.returncode == 3
    assert "Traceback" not in dash.stderr and "Read-only file system" in dash.stderr


def test_read_only_data_dir_with_an_existing_store(tmp_path: Path) -> None:
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(CONFIG)
    with tmpfs(tmp_path / "ro") as data:
        make_store(data)
        remount_read_only(data)
        out = run_check(tmp_path, cfg, data)
    assert_checked_anyway(out, "Read-only file system")
    assert_one_line_failure(out, data / "agentstatus.db", "Read-only file system")


def test_disk_full_at_open(tmp_path: Path) -> None:
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(CONFIG)
    with tmpfs(tmp_path / "full", size="64k") as data:
        fill(data)
        out = run_check(tmp_path, cfg, data)
    assert_checked_anyway(out, "full")
    assert_one_line_failure(out, data / "agentstatus.db", "full")
