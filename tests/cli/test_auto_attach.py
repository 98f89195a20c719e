"""Bare `agentstatus` attaches when a daemon answers on the default socket for this data
dir, and polls from here otherwise (`--local`, no daemon, a dead daemon's socket file)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from agent_server import AgentServer, Reply
from serve_process import ServeProcess, agents_config

from agentstatus_tui.cli import build_parser
from agentstatus_tui.cli.dashboard import choose_engine
from agentstatus_tui.client.target import Target
from agentstatus_tui.engine.model import Config

pytestmark = pytest.mark.timeout(90)


class DefaultSocketDaemon(ServeProcess):
    """`agentstatus serve` given no --socket nor --listen: its default socket."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "agentstatus_tui", "serve", "--config", str(self.config),
                "--data-dir", str(self.data_dir)]


def engine(*argv: str) -> Target | Config | None:
    return choose_engine(build_parser().parse_args(list(argv)))


async def test_bare_agentstatus_attaches_only_when_a_daemon_answers(tmp_path: Path,
                                                                     monkeypatch):
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    sock = runtime / "agentstatus" / "api.sock"
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h", tokens=False)
        d = DefaultSocketDaemon(tmp_path, text, tcp=False, env={"XDG_RUNTIME_DIR": str(runtime)})
        args = ("--config", str(d.config), "--data-dir", str(d.data_dir))
        assert isinstance(engine(*args), Config)  # nothing runs yet: poll from here
        d.socket = sock  # for the readiness checks only
        await d.start()
        try:
            assert engine(*args) == Target(socket=sock)
            assert isinstance(engine(*args, "--local"), Config)
            assert engine("--attach", "http://127.0.0.1:8747") == Target(
                url="http://127.0.0.1:8747")
            assert engine("--attach", str(sock)) == Target(socket=sock)
            await d.stop(signal.SIGKILL)
            assert sock.exists()  # the killed daemon's file stays, and nobody answers
            assert isinstance(engine(*args), Config)
        finally:
            if d.proc is not None and d.proc.returncode is None:
                await d.stop()
