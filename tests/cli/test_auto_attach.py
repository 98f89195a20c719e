"""Bare `agentstatus` attaches when a daemon keeping its data dir answers on a default
socket (serve's default for the data dir, then the system daemon's), and polls from here
otherwise (`--local`, no daemon, a dead daemon's socket file, a daemon for another data
dir)."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_server import AgentServer, Reply
from screen_text import screen_text, shown
from serve_process import ServeProcess, agents_config
from test_dashboard_signals import drain

from agentstatus_tui.cli import build_parser, daemon_sockets
from agentstatus_tui.cli.daemon_client import default_socket
from agentstatus_tui.cli.dashboard import choose_engine, dashboard_app
from agentstatus_tui.client.target import Target
from agentstatus_tui.engine.model import Config
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.serve.listen import default_socket as default_socket_of_serve
from agentstatus_tui.ui.textual_private import notifications

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


async def test_the_dashboard_says_why_it_polls_from_here_in_a_toast(tmp_path: Path,
                                                                     monkeypatch, capsys):
    """The reason on stderr is seen only after `q`: the dashboard shows it too, at start."""
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    sock = runtime / "agentstatus" / "api.sock"
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h", tokens=False)
        d = DefaultSocketDaemon(tmp_path, text, tcp=False, env={"XDG_RUNTIME_DIR": str(runtime)})
        d.socket = sock
        await d.start()
        try:
            other = tmp_path / "other-data"
            args = build_parser().parse_args(["--config", str(d.config),
                                              "--data-dir", str(other)])
            capsys.readouterr()
            said: list[str] = []
            config = choose_engine(args, said)
            assert isinstance(config, Config)
            err = capsys.readouterr().err
            assert said == [f"the daemon on {sock} keeps its history in {d.data_dir}, not "
                            f"{other}: polling from here (--attach {sock} shows it instead)"]
            assert err == f"agentstatus: {said[0]}\n"  # stderr keeps its line
            monitor = Monitor.open(config, data_dir=str(other))
            app = dashboard_app(monitor, args, said)
            try:
                async with app.run_test(size=(80, 24), notifications=True) as pilot:
                    await shown(pilot, app, "NOT ATTACHED")
                    toasts = [n for n in notifications(app) if n.title == "NOT ATTACHED"]
                    assert [n.message for n in toasts] == said
                    assert toasts[0].severity == "warning"
                    assert "polling from" in screen_text(app)
                    assert app.header.text("where") == "local"
            finally:
                await monitor.stop()
            # A dashboard that attached, or found no other daemon, says nothing of it.
            said.clear()
            assert engine_said("--config", str(d.config), "--data-dir", str(d.data_dir)) == []
        finally:
            await d.stop()


def engine_said(*argv: str) -> list[str]:
    said: list[str] = []
    choose_engine(build_parser().parse_args(list(argv)), said)
    return said


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
async def test_a_bare_agentstatus_in_a_terminal_shows_the_reason_on_screen(tmp_path: Path):
    """The real command in a pty: the line before the dashboard draws, and the toast on it."""
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h", tokens=False)
        d = DefaultSocketDaemon(tmp_path, text, tcp=False, env={"XDG_RUNTIME_DIR": str(runtime)})
        d.socket = runtime / "agentstatus" / "api.sock"
        await d.start()
        try:
            env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "TERM": "xterm-256color",
                   "COLUMNS": "100", "LINES": "30"}
            shown_bytes = await asyncio.to_thread(
                run_in_pty, [sys.executable, "-m", "agentstatus_tui", "--config",
                             str(d.config), "--data-dir", str(tmp_path / "other")], env,
                b"NOT ATTACHED")
            before_drawing = shown_bytes.split(b"\x1b[?1049h", 1)[0]  # the alternate screen
            assert b"polling from here" in before_drawing
            assert b"NOT ATTACHED" in plain(shown_bytes.split(b"\x1b[?1049h", 1)[1])
        finally:
            await d.stop()


def plain(shown: bytes) -> bytes:
    """What a terminal shows, without its control sequences (colours, cursor moves)."""
    return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", shown)


def run_in_pty(argv: list[str], env: dict[str, str], wanted: bytes) -> bytes:
    """Run `argv` in a pty until it shows `wanted` (its colours and cursor moves left
    out), then quit it with `q`."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(argv, stdin=secondary, stdout=secondary, stderr=secondary, env=env,
                            start_new_session=True)
    os.close(secondary)
    try:
        out = b""
        end = time.monotonic() + 40
        while wanted not in plain(out) and time.monotonic() < end:
            out += drain(primary, 0.3)
        assert wanted in plain(out), plain(out)[-2000:]
        os.write(primary, b"q")
        end = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < end:
            drain(primary, 0.2)
        assert proc.wait(timeout=5) == 0
        return out
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
