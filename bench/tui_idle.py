"""What the dashboard costs over SSH: time to the first frame, bytes written to the
terminal per second while idle and during polls, and the time from a keypress (`?`) to
the help screen.

Runs `agentstatus --demo` (or, with --agents N, N loopback agents) in a pseudo-terminal
(100x30 by default) and reads everything it writes. Goals: first frame < 1 s;
idle < 1 kB/s averaged over a minute at a 60 s interval; keypress → screen < 100 ms.
Prints each figure beside its goal, marked met or not; asserts nothing.

    .venv/bin/python bench/tui_idle.py [--seconds 60] [--size 100x30] [--agents 500]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from multiprocessing import Process
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/engine.py's agent

HELP_MARKER = b"WHAT IT DOES"  # the help screen's table header


class Terminal:
    """A child process on a pty, and every byte it wrote with the time it arrived."""

    def __init__(self, argv: list[str], cols: int, rows: int) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
        env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.chunks: list[tuple[float, bytes]] = []

    def pump(self, seconds: float, until: bytes | None = None, since: int = 0) -> float | None:
        """Read for `seconds`, or until `until` shows up in output after chunk `since`;
        returns when it showed up."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return None
            now = time.monotonic()
            self.chunks.append((now, data))
            if until is not None and until in b"".join(c for _, c in self.chunks[since:]):
                return now
        return None

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> int | None:
        self.send(b"q")
        self.pump(3.0)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(5)
        finally:
            os.close(self.master)


def per_second(chunks: list[tuple[float, bytes]], start: float, seconds: int) -> list[int]:
    buckets = [0] * seconds
    for at, data in chunks:
        i = int(at - start)
        if 0 <= i < seconds:
            buckets[i] += len(data)
    return buckets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the idle window")
    parser.add_argument("--size", default="100x30", help="terminal COLSxROWS")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before measuring")
    parser.add_argument(
        "--agents", type=int, default=0,
        help="instead of the demo: N loopback agents (answering in 200 ms, 3 regions) "
             "polled every --interval seconds, e.g. --agents 10 for the idle goal with real polls")
    parser.add_argument("--interval", type=float, default=60.0)
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))

    exe = shutil.which("agentstatus") or str(Path(sys.executable).with_name("agentstatus"))
    argv, what = [exe, "--demo"], "agentstatus --demo"
    server = None
    tmp = tempfile.TemporaryDirectory(prefix="agentstatus-tui-idle-")
    if args.agents:
        from engine import free_port, serve

        port = free_port()
        server = Process(target=serve, args=(port, 0.2), daemon=True)
        server.start()
        lines = [f"defaults: {{interval: {args.interval:g}s, validations: 6}}",
                 "regions: {us: {}, eu: {}, ap: {}}", "agents:"]
        lines += [f"  - {{id: agent-{i}, name: Agent {i}, "
                  f"url: 'http://127.0.0.1:{port}/a{i}/v1/chat/completions'}}"
                  for i in range(args.agents)]
        cfg = Path(tmp.name) / "agents.yaml"
        cfg.write_text("\n".join(lines) + "\n")
        argv = [exe, "--config", str(cfg), "--data-dir", tmp.name]
        what = f"{args.agents} agents every {args.interval:g} s"
    launched = time.monotonic()
    term = Terminal(argv, cols, rows)
    try:
        # The first frame: the agents table's first row is on the screen.
        frame_marker = b"Agent 0" if args.agents else b"UP"
        first_frame = term.pump(10.0, until=frame_marker)
        term.pump(max(0.0, args.warmup - (time.monotonic() - launched)))  # first paint and the first run of every agent
        start_bytes = sum(len(c) for _, c in term.chunks)
        start = time.monotonic()
        term.pump(args.seconds)
        seconds = per_second(term.chunks, start, args.seconds)

        since = len(term.chunks)
        pressed = time.monotonic()
        term.send(b"?")
        shown = term.pump(5.0, until=HELP_MARKER, since=since)
        first = next((at for at, _ in term.chunks[since:]), None)
        term.send(b"\x1b")
        term.pump(1.0)
    finally:
        code = term.close()
        if server is not None:
            server.terminate()
        tmp.cleanup()

    def mark(met: bool) -> str:
        return "[met]" if met else "[NOT MET]"

    total = sum(seconds)
    quiet = [b for b in seconds if b == 0]
    busy = [b for b in seconds if b > 0]
    print(f"terminal {cols}x{rows}, {what}, start-up {start_bytes:,} bytes")
    if first_frame is not None:
        took = first_frame - launched
        print(f"first frame (first row drawn): {took * 1000:.0f} ms (goal < 1,000 ms) "
              f"{mark(took < 1.0)}")
    else:
        print("first frame: not seen within 10 s [NOT MET]")
    avg = total / args.seconds
    print(f"window {args.seconds} s: {total:,} bytes, average {avg:,.0f} B/s "
          f"(goal < 1,000 B/s) {mark(avg < 1000)}")
    print(f"  seconds with no output: {len(quiet)} of {args.seconds}")
    if busy:
        print(f"  seconds with output (polls finishing, ages stepping): {len(busy)}, "
              f"median {statistics.median(busy):,.0f} B, max {max(busy):,} B")
    if shown is not None:
        print(f"keypress '?' → help screen drawn: {(shown - pressed) * 1000:.0f} ms "
              f"(first byte {((first or shown) - pressed) * 1000:.0f} ms; goal < 100 ms) "
              f"{mark(shown - pressed < 0.1)}")
    else:
        print("keypress '?' → help screen: not seen within 5 s [NOT MET]")
    print(f"exit code after q: {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
