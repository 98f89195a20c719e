"""What the dashboard costs over SSH: time to the first frame, bytes written to the
terminal per second while idle and during polls, and the time from a keypress to the
screen that answers it (`?` the help screen; with --agents, also `j` the next agent's
detail pane and a filter typed into `/`).

Runs `agentstatus --demo` (or, with --agents N, N loopback agents) in a pseudo-terminal
(100x30 by default) and reads everything it writes, --runs times. In the same run, as a
baseline, a bare Textual app showing a DataTable of the same rows (bench/bare_table.py):
the machine is shared and busy, so the ratios are the figures to compare. Goals: first
frame < 1 s; idle < 1 kB/s averaged over a minute at a 60 s interval; keypress → screen
< 100 ms. Prints min and median of each figure beside its baseline and its goal, the
goal marked met or not (by the median); asserts nothing.

    .venv/bin/python bench/tui_idle.py [--seconds 60] [--size 100x30] [--agents 500] [--runs 3]
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
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import Process
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/engine.py's agent

HELP_MARKER = b"WHAT IT DOES"  # the help screen's table header (the baseline's too)
BARE = Path(__file__).with_name("bare_table.py")


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

    def cpu(self) -> float | None:
        """CPU seconds the process has used so far (all its threads; Linux only): on a
        busy machine a steadier figure than wall time."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


@dataclass
class Figures:
    """One run's figures; None where the screen never showed what was waited for."""

    first_frame: float | None = None
    first_frame_cpu: float | None = None  # CPU seconds used until then
    start_bytes: int = 0
    idle: float | None = None  # bytes/s over the window
    quiet: int = 0  # seconds of the window with no output
    busy: list[int] = field(default_factory=list)  # bytes of each second with output
    keys: dict[str, float | None] = field(default_factory=dict)
    exit_code: int | None = None


Key = tuple[str, list[bytes], bytes]  # (what, keys to send one by one, marker to wait for)


def measure(argv: list[str], cols: int, rows: int, frame_marker: bytes, warmup: float,
            seconds: int, keys: list[Key]) -> Figures:
    fig = Figures()
    launched = time.monotonic()
    term = Terminal(argv, cols, rows)
    try:
        shown = term.pump(10.0, until=frame_marker)
        if shown is not None:
            fig.first_frame, fig.first_frame_cpu = shown - launched, term.cpu()
        # first paint and the first run of every agent
        term.pump(max(0.0, warmup - (time.monotonic() - launched)))
        fig.start_bytes = sum(len(c) for _, c in term.chunks)
        if seconds:
            start = time.monotonic()
            term.pump(seconds)
            per = per_second(term.chunks, start, seconds)
            fig.idle = sum(per) / seconds
            fig.quiet = sum(1 for b in per if b == 0)
            fig.busy = [b for b in per if b > 0]
        for what, presses, marker in keys:
            for key in presses[:-1]:
                term.send(key)
                term.pump(0.3)
            since = len(term.chunks)
            pressed = time.monotonic()
            term.send(presses[-1])
            drawn = term.pump(5.0, until=marker, since=since)
            fig.keys[what] = None if drawn is None else drawn - pressed
            term.pump(0.5)
    finally:
        fig.exit_code = term.close()
    return fig


def spread(values: list[float | None], scale: float = 1.0, unit: str = "") -> str:
    seen = [v * scale for v in values if v is not None]
    if not seen:
        return "not seen"
    missed = len(values) - len(seen)
    text = f"{min(seen):,.0f} / {statistics.median(seen):,.0f}{unit}"
    return text + (f" ({missed} not seen)" if missed else "")


def median(values: list[float | None]) -> float | None:
    seen = [v for v in values if v is not None]
    return statistics.median(seen) if seen else None


def report(label: str, ours: list[float | None], base: list[float | None] | None,
           goal: float | None, scale: float, unit: str, goal_text: str = "") -> None:
    mine = median(ours)
    line = f"{label:<34} {spread(ours, scale, unit):>20}"
    if base is not None:
        line += f"   baseline {spread(base, scale, unit):>18}"
        theirs = median(base)
        if mine is not None and theirs:
            line += f"  ({mine / theirs:.1f}×)"
    if goal is None:
        print(line)
        return
    met = mine is not None and mine < goal
    print(f"{line}   goal {goal_text} {'[met]' if met else '[NOT MET]'}")


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
    parser.add_argument("--runs", type=int, default=3, help="runs of each app (min / median)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare DataTable")
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))

    exe = shutil.which("agentstatus") or str(Path(sys.executable).with_name("agentstatus"))
    server = None
    tmp = tempfile.TemporaryDirectory(prefix="agentstatus-tui-idle-")
    keys: list[Key] = [("'?' → help screen", [b"?"], HELP_MARKER)]
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
        what = f"{args.agents} agents every {args.interval:g} s"
        last = args.agents - 1
        keys += [
            ("'j' → next agent's detail", [b"\x1b", b"j"], "Agent 1 \u00b7".encode()),
            # typed one key at a time; timed from the last key to that agent's detail
            (f"filter '/{last}' → its detail", [b"/", *(bytes([c]) for c in str(last).encode())],
             f"Agent {last} \u00b7".encode()),
        ]
    else:
        what = "agentstatus --demo"
    frame_marker = b"Agent 0" if args.agents else b"UP"

    def dashboard_argv(run: int) -> list[str]:
        if not args.agents:
            return [exe, "--demo"]
        data = Path(tmp.name) / f"data-{run}"  # a fresh store each run, as the first start
        return [exe, "--config", str(Path(tmp.name) / "agents.yaml"), "--data-dir", str(data)]

    ours: list[Figures] = []
    base: list[Figures] = []
    runs: list[Callable[[], None]] = []
    for run in range(args.runs):
        runs.append(lambda run=run: ours.append(measure(
            dashboard_argv(run), cols, rows, frame_marker, args.warmup, args.seconds, keys)))
        if not args.no_baseline:
            # Start-up and keys only: the bare table changes nothing, so it writes nothing.
            runs.append(lambda: base.append(measure(
                [sys.executable, str(BARE), str(args.agents or 10)], cols, rows, b"Agent 0",
                2.0, 0, keys[:1])))
    load = os.getloadavg()[0]
    try:
        for go in runs:
            go()
    finally:
        if server is not None:
            server.terminate()
        tmp.cleanup()

    print(f"terminal {cols}x{rows}, {what}, {args.runs} runs; figures min / median; "
          f"load average {load:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if base:
        print(f"baseline: a bare Textual DataTable app of the same rows "
              f"({args.agents or 10} rows, nothing updating)")
    b = base or None
    report("first frame (first row drawn)", [f.first_frame for f in ours],
           [f.first_frame for f in b] if b else None, 1.0, 1000, " ms", "< 1,000 ms")
    report("  CPU used until then", [f.first_frame_cpu for f in ours],
           [f.first_frame_cpu for f in b] if b else None, None, 1000, " ms")
    report(f"idle output, {args.seconds} s window", [f.idle for f in ours], None,
           1000, 1, " B/s", "< 1,000 B/s")
    for f in ours:
        if f.busy:
            print(f"  run: start-up {f.start_bytes:,} B; {f.quiet} of {args.seconds} s "
                  f"silent; seconds with output: median {statistics.median(f.busy):,.0f} B, "
                  f"max {max(f.busy):,} B")
    for what, _presses, _marker in keys:
        report(f"keypress {what}", [f.keys.get(what) for f in ours],
               [f.keys.get(what) for f in b] if b and what in b[0].keys else None,
               0.1, 1000, " ms", "< 100 ms")
    print(f"exit codes after q: {sorted({f.exit_code for f in ours})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
