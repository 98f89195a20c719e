"""The README's "Run it for the team": the systemd unit `serve --systemd-unit` prints,
the daemon it starts answering the seed's step 7 curl exactly as the README writes it,
and `agentstatus status` / `check --server` finding that daemon with no --server."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from daemon_cli import cli
from serve_process import WRITE_TOKEN, ServeProcess, agents_config

from agentstatus_tui.serve.systemd import unit_text

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
SEED_CURL = ('curl -X POST http://127.0.0.1:8747/api/v1/agents/$AGENT_ID/run '
             '-H "Authorization: Bearer $AGENTSTATUS_API_KEY"')


def team_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Run it for the team\n", 1)[1].split("\n## ", 1)[0]


def exec_start(unit: str) -> list[str]:
    (line,) = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_the_unit_listens_where_the_readme_curl_goes_and_verifies(tmp_path: Path):
    unit = unit_text("/usr/local/bin/agentstatus")
    assert exec_start(unit) == [
        "/usr/local/bin/agentstatus", "serve", "--config", "/etc/agentstatus/agents.yaml",
        "--data-dir", "/var/lib/agentstatus", "--socket", "/run/agentstatus/api.sock",
        "--listen", "127.0.0.1:8747"]
    assert "Environment=XDG_RUNTIME_DIR=/run" in unit  # the socket: /run/agentstatus/
    assert "RuntimeDirectory=agentstatus" in unit and "Group=oncall" in unit
    assert "NOTE" not in unit
    assert "ProtectHome=yes hides" in unit_text("/home/alice/.local/bin/agentstatus")
    assert SEED_CURL in team_section().splitlines()
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the unit's syntax is not verified")
    exe = Path(sys.executable).parent / "agentstatus"  # one that exists here
    (tmp_path / "agentstatus.service").write_text(unit_text(str(exe)))
    out = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "agentstatus.service")],
                         capture_output=True, text=True, timeout=60)
    assert "agentstatus.service:" not in out.stderr, out.stderr  # no complaint about it


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class UnitDaemon(ServeProcess):
    """The daemon as the unit starts it: its ExecStart, the runtime dir /run stands for."""

    def __init__(self, tmp: Path, text: str) -> None:
        super().__init__(tmp, text, tcp=False)
        self.runtime = tmp / "run"
        self.runtime.mkdir(mode=0o755)
        self.env["XDG_RUNTIME_DIR"] = str(self.runtime)
        self.socket = self.runtime / "agentstatus" / "api.sock"

    def command(self) -> list[str]:
        argv = exec_start(unit_text("agentstatus"))
        here = {"/etc/agentstatus/agents.yaml": str(self.config),
                "/var/lib/agentstatus": str(self.data_dir),
                "/run/agentstatus/api.sock": str(self.socket)}
        argv = [here.get(a, a) for a in argv[1:]]
        return [*super().command()[:3], *argv]


async def test_the_seeds_curl_verbatim_against_the_units_daemon(tmp_path: Path):
    if not port_free(8747):
        pytest.skip("127.0.0.1:8747 (the unit's port) is taken on this machine")
    assert shutil.which("curl"), "curl is needed for the seed's step 7"
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"support-bot": agents.url("/ok")}, interval="5m")
        async with UnitDaemon(tmp_path, text) as d:
            assert "listening on unix:" in d.log and "http://127.0.0.1:8747" in d.log
            assert "(event loop: uvloop)" in d.log  # the always-on monitor runs on uvloop
            before = len(agents.received("/ok"))
            env = {**os.environ, "AGENT_ID": "support-bot", "AGENTSTATUS_API_KEY": WRITE_TOKEN}
            out = await asyncio.to_thread(
                subprocess.run, ["bash", "-c", SEED_CURL + ' -sS -w "\\n%{http_code}"'],
                capture_output=True, text=True, env=env, timeout=30)
            assert out.stdout.endswith("\n202"), out
            assert re.search(r'"agent_id": ?"support-bot"', out.stdout)
            # status and check find the daemon by its socket, as an engineer types them.
            home = {"XDG_RUNTIME_DIR": str(d.runtime)}
            code, shown, err = await cli("status", env=home)
            assert code == 0, (shown, err)
            assert shown.startswith(f"agentstatus serve 0.1.0 at unix:{d.socket}: ready")
            code, shown, err = await cli("check", "--server", env=home)
            assert code == 0 and shown.startswith("AGENTSTATUS OK - 1 UP"), (shown, err)
            for _ in range(300):
                if len(agents.received("/ok")) > before:
                    break
                await asyncio.sleep(0.1)
            assert len(agents.received("/ok")) > before  # the manual run reached the agent
