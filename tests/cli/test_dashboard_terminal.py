"""The dashboard in a real terminal (a pty): ctrl+z suspends it to the shell and `fg`
(SIGCONT) brings it back, ctrl+c quits like q, and every DOWN rings the terminal bell."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_dashboard_signals import drain


def state(pid: int) -> str:
    """The process state letter from /proc (T: stopped)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_ctrl_z_suspends_ctrl_c_quits_and_down_rings_the_bell(tmp_path: Path) -> None:
    primary, secondary = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentstatus_tui", "--demo", "--data-dir", str(tmp_path)],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, start_new_session=True,
    )
    os.close(secondary)
    try:
        shown = b""
        end = time.monotonic() + 40
        while b"\x07" not in shown and time.monotonic() < end:  # the demo has DOWN agents
            shown += drain(primary, 0.5)
        assert b"\x07" in shown, "no bell for the demo's DOWN agents"
        os.write(primary, b"\x1a")  # ctrl+z
        end = time.monotonic() + 20
        while state(proc.pid) != "T" and time.monotonic() < end:
            drain(primary, 0.2)
        assert state(proc.pid) == "T", "ctrl+z did not suspend the dashboard"
        proc.send_signal(signal.SIGCONT)  # what the shell's fg does
        drain(primary, 1.0)
        os.write(primary, b"\x03")  # ctrl+c
        end = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < end:
            drain(primary, 0.2)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
