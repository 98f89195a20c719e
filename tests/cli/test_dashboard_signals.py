"""A dashboard closed by a signal (SSH dropped, `kill`) stops as cleanly as after `q`."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Verdict


def drain(fd: int, seconds: float) -> bytes:
    """Read what the app writes to its terminal for `seconds` (it must not block on a
    full pty buffer)."""
    out = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_closes_the_dashboard_and_records_unknown(tmp_path: Path, sig: signal.Signals):
    primary, secondary = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentstatus_tui", "--demo", "--data-dir", str(tmp_path)],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, start_new_session=True,
    )
    os.close(secondary)
    try:
        db = tmp_path / "demo" / "agentstatus.db"
        shown = b""
        end = time.monotonic() + 30
        while time.monotonic() < end:  # until the first runs are stored
            shown += drain(primary, 0.5)
            if db.exists():
                with Store(db) as store:
                    if store.last_verdicts().get("support-bot"):
                        break
        proc.send_signal(sig)
        drain(primary, 0.5)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
    with Store(db) as store:
        verdicts = store.last_verdicts()
    assert verdicts["support-bot"][None][0] is Verdict.UNKNOWN
