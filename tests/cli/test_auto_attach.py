"""Bare `agentstatus` attaches when a daemon keeping its data dir answers on a default
socket (serve's default for the data dir, then the system daemon's), and polls from here
otherwise (`--local`, no daemon, a dead daemon's socket file, a daemon for another data
dir)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from agent_server import AgentServer, Reply
from serve_process import ServeProcess, agents_config

from agentstatus_tui.cli import build_parser, daemon_sockets
from agentstatus_tui.cli.daemon_client import default_socket
from agentstatus_tui.cli.dashboard import choose_engine
from agentstatus_tui.client.target import Target
from agentstatus_tui.engine.model import Config
from agentstatus_tui.serve.listen import default_socket as default_socket_of_serve

pytestmark = pytest.mark.timeout(90)


class DefaultSocketDaemon(ServeProcess):
    """`agentstatus serve` given no --socket nor --listen: its default socket."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "agentstatus_tui", "serve", "--config", str(self.config),
                "--data-dir", str(self.data_dir)]


def engine(*argv: str) -> Target | Config | None:
    return choose_engine(build_parser().parse_args(list(argv)))


async def test_bare_agentstatus_attaches_only_when_its_daemon_answers(tmp_path: Path,
                                                                       monkeypatch, capsys):
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
            # The socket is the runtime dir's, whatever the data dir: a dashboard for
            # another data dir polls from here, and says why in one line.
            other = tmp_path / "other-data"
            capsys.readouterr()
            assert isinstance(engine("--config", str(d.config), "--data-dir", str(other)),
                              Config)
            said = capsys.readouterr().err
            assert said.count("\n") == 1
            assert f"the daemon on {sock} keeps its history in {d.data_dir}, not {other}" in said
            assert "polling from here" in said
            assert engine("--attach", "http://127.0.0.1:8747") == Target(
                url="http://127.0.0.1:8747")
            assert engine("--attach", str(sock)) == Target(socket=sock)
            await d.stop(signal.SIGKILL)
            assert sock.exists()  # the killed daemon's file stays, and nobody answers
            assert isinstance(engine(*args), Config)
        finally:
            if d.proc is not None and d.proc.returncode is None:
                await d.stop()


async def test_bare_agentstatus_finds_the_system_daemon_of_its_data_dir(tmp_path: Path,
                                                                      monkeypatch, capsys):
    """The systemd unit's socket is looked at too (here at a test path), by the dashboard
    and by the commands that ask a daemon, from one list of default sockets."""
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))  # nothing of the user's own runs
    monkeypatch.delenv("AGENTSTATUS_DATA_DIR", raising=False)
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h", tokens=False)
        async with ServeProcess(tmp_path, text, tcp=False, socket=True) as d:
            assert d.socket is not None
            monkeypatch.setattr(daemon_sockets, "SYSTEM_SOCKET", d.socket)
            assert engine("--config", str(d.config), "--data-dir", str(d.data_dir)) == Target(
                socket=d.socket)
            # The data dir named in the config counts as --data-dir does.
            d.config.write_text(text + f"data_dir: {d.data_dir}\n")
            assert engine("--config", str(d.config)) == Target(socket=d.socket)
            capsys.readouterr()
            mine = tmp_path / "mine"
            assert isinstance(engine("--config", str(d.config), "--data-dir", str(mine)),
                              Config)
            assert f"the daemon on {d.socket} keeps its history in {d.data_dir}" in (
                capsys.readouterr().err)
            # `agentstatus status` and `check --server` ask the team's daemon when the
            # user runs none of their own, and when it keeps the data dir they name.
            parser = build_parser()
            assert default_socket(parser.parse_args(["status"])) == d.socket
            assert default_socket(parser.parse_args(
                ["status", "--data-dir", str(d.data_dir)])) == d.socket
            assert default_socket(parser.parse_args(
                ["status", "--data-dir", str(mine)])) == runtime / "agentstatus" / "api.sock"


@pytest.mark.parametrize("runtime", [True, False], ids=["runtime-dir", "no-runtime-dir"])
def test_the_dashboard_looks_where_serve_listens(tmp_path: Path, monkeypatch,
                                                 runtime: bool):
    if runtime:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    else:
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    data = tmp_path / "data"
    assert daemon_sockets.default_sockets(data)[0] == default_socket_of_serve(str(data))
