"""Every command runs on uvloop where it is installed, and on asyncio's own loop when the
environment asks for it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentstatus_tui.engine import event_loop
from agentstatus_tui.engine.probe.thread import ProbeThread

uvloop = pytest.importorskip("uvloop")  # installed wherever pip can (not on Windows)


async def _running_loop() -> type:
    return type(asyncio.get_running_loop())


def test_commands_run_on_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(event_loop.ENV, raising=False)
    assert event_loop.loop_name() == "uvloop"
    assert issubclass(event_loop.run(_running_loop()), uvloop.Loop)


@pytest.mark.parametrize("spelling", ["asyncio", " AsyncIO "])
def test_the_environment_chooses_asyncio(monkeypatch: pytest.MonkeyPatch, spelling: str) -> None:
    monkeypatch.setenv(event_loop.ENV, spelling)
    assert event_loop.loop_name() == "asyncio"
    kind = event_loop.run(_running_loop())
    assert not issubclass(kind, uvloop.Loop)
    assert issubclass(kind, asyncio.BaseEventLoop)


def test_the_probe_thread_runs_the_same_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(event_loop.ENV, raising=False)
    thread = ProbeThread(name="probe-loop-test")
    try:
        assert isinstance(thread.loop, uvloop.Loop)
    finally:
        thread.stop()


@pytest.mark.parametrize("loop", event_loop.CHOICES)
def test_check_json_answers_on_either_loop(tmp_path: Path, loop: str) -> None:
    """The whole CLI on each loop: a demo `check --json` gives the same verdicts."""
    env = {**os.environ, event_loop.ENV: loop, "NO_COLOR": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "agentstatus_tui", "check", "--demo", "--json",
         "--data-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=50,
    )
    assert "Traceback" not in out.stderr
    agents = {a["id"]: a for a in json.loads(out.stdout)["agents"]}
    verdicts = {name: a["verdict"] for name, a in agents.items()}
    # the demo agents that always answer the same way
    assert verdicts["support-bot"] == "UP"
    assert verdicts["quiz-master"] == "DEGRADED"  # wrong answers to its gold prompts
    assert verdicts["crm-sync"] == "DOWN"  # refuses its credentials
    assert verdicts["legacy-gateway"] == "DOWN"
    assert "HTTP_503" in agents["legacy-gateway"]["errors"]
    assert "HTTP_401" in agents["crm-sync"]["errors"]
    assert out.returncode == 2  # CRITICAL: something is DOWN
