"""Partial screen updates are cropped to what changed, and still draw the right screen."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte

APP = Path(__file__).with_name("wire_app.py")
COLS, ROWS = 100, 30


class Term:
    def __init__(self) -> None:
        primary, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLS),
               "LINES": str(ROWS), "TZ": "UTC"}
        env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen([sys.executable, str(APP)], stdin=secondary,
                                     stdout=secondary, stderr=secondary, env=env,
                                     start_new_session=True)
        os.close(secondary)
        self.fd = primary
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.chunks: list[bytes] = []

    def read(self, seconds: float) -> bytes:
        got = b""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:  # the app exited and closed its side
                    break
                got += data
                self.stream.feed(data)
        return got

    def press(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def close(self) -> None:
        self.press(b"q")
        self.read(1.0)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(5)
        os.close(self.fd)


def test_a_ticking_age_costs_its_cells_and_the_screen_stays_right():
    term = Term()
    try:
        term.read(4.0)  # first paint, a few ticks
        ticks = [term.read(0.5) for _ in range(4)]
        # Three LAST cells step every tick; each costs its own few dozen bytes, not its
        # row (Textual alone writes ~1,250 bytes for this).
        assert any(ticks)
        assert max(len(t) for t in ticks) < 400, [len(t) for t in ticks]
        # Move around, open and close screens while the ages keep stepping.
        for keys in (b"j", b"j", b"k", b"?", b"\x1b", b"j", b"h", b"\x1b", b"k"):
            term.press(keys)
            term.read(0.3)
        term.read(1.2)
        seen = term.lines()
        term.press(b"\x1b[24~")  # F12: a full repaint draws the screen from scratch
        term.read(0.5)
        assert term.lines()[2:] == seen[2:] or _only_ages_moved(seen, term.lines())
        assert any("Support Bot" in line for line in seen)
    finally:
        term.close()


def _only_ages_moved(before: list[str], after: list[str]) -> bool:
    """Between the two reads the clock may have stepped once more: allow only the LAST
    column (the end of grid rows) and the header's clock to differ."""
    return all(a == b or a[:88] == b[:88] for a, b in zip(before, after, strict=True))
