#!/usr/bin/env python3
"""What `agentstatus serve` costs with many agents: API latency, a /metrics scrape, event
fan-out to many SSE clients, a stalled client, and the daemon's CPU and memory.

N loopback agents (default 500) x 3 regions polled every 60 s, against one fast agent
process (answers after 50 ms). Measures, while polling goes on:
  - GET /api/v1/agents latency (p50, p99) over sequential requests;
  - GET /metrics: the first scrape after the first round, then p50/p99;
  - 50 SSE clients plus one that never reads (a real TCP socket with a tiny receive
    buffer): from a POST /run to its run_started event at every reading client (p50,
    p99), and whether the stalled one is dropped (told to resync) with memory bounded;
  - daemon CPU with the 50 clients attached and without them;
  - a soak (--idle seconds): daemon CPU and RSS sampled throughout; then the same config
    polled by the Monitor alone (no API) for as long, or with --beside in its own process
    from the start, measured over the same window as the daemon (the machine's other load
    then weighs on both alike);
  - 50 clients attached to an idle daemon (nothing due): their CPU cost.
Each goal is printed met or NOT met as it is measured, and again at the end:
/agents p99 < 20 ms, a scrape < 50 ms (the first one too), events p99 < 50 ms with a
stalled client beside them, the stalled client dropped, daemon CPU no more than the
Monitor alone + 1 point, RSS flat over the soak, 50 idle clients < 1 % of a core.

Usage: python bench/serve.py [--agents 500] [--regions 3] [--clients 50] [--idle 60]
       (--idle 600 for the 10-minute soak; --cpu-window 30 for each CPU comparison;
       --quick for a short try of the bench itself)
Figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
from multiprocessing import Process
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from engine import serve as fast_agent  # noqa: E402  (bench/engine.py's agent)

TOKEN = "bench-token-0123456789abcdef"
MONITOR_ALONE = """
import asyncio, sys
from agentstatus_tui.engine.config.load import load_config
from agentstatus_tui.engine.monitor import Monitor

async def main():
    async with Monitor.open(load_config(sys.argv[1]), data_dir=sys.argv[2]) as mon:
        mon.load_history()
        await mon.start()
        await asyncio.Event().wait()

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config_text(agent_port: int, agents: int, regions: int) -> str:
    names = [f"r{i}" for i in range(regions)]
    lines = ["regions:"] + [f"  {n}: {{}}" for n in names]
    lines += ["defaults:", "  interval: 60s", "  timeout: 5s", f"  validations: {regions}",
              "  retries: 0", "max_in_flight: 64", "agents:"]
    url = f"http://127.0.0.1:{agent_port}/v1/chat/completions"
    lines += [f"  - {{id: agent-{i:04d}, url: '{url}'}}" for i in range(agents)]
    lines += ["api:", "  tokens:", '    - {name: bench, token: "${BENCH_TOKEN}", scope: write}']
    return "\n".join(lines) + "\n"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def ms(xs: list[float]) -> str:
    return f"p50 {pct(xs, 50) * 1000:.1f} ms, p99 {pct(xs, 99) * 1000:.1f} ms (n={len(xs)})"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def wait_ready(s: aiohttp.ClientSession, timeout: float = 600) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            async with s.get("/readyz") as r:
                if r.status == 200:
                    return time.monotonic() - start
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit("the daemon never got ready")


async def sse_client(s: aiohttp.ClientSession, arrivals: dict[str, list[float]],
                     connected: asyncio.Event, count: list[int], total: int) -> None:
    async with s.get("/api/v1/events", timeout=aiohttp.ClientTimeout(total=None)) as r:
        count[0] += 1
        if count[0] == total:
            connected.set()
        event = agent = None
        async for raw in r.content:
            line = raw.decode()
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: ") and event == "run_started":
                agent = line.split('"agent_id":"', 1)[1].split('"', 1)[0]
                arrivals.setdefault(agent, []).append(time.perf_counter())
                event = None


def stalled_client(port: int) -> socket.socket:
    """An event client that never reads: a real TCP socket with a tiny receive buffer."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Authorization: Bearer {TOKEN}\r\n\r\n".encode())
    return sock


async def status(s: aiohttp.ClientSession) -> dict:
    async with s.get("/api/v1/status") as r:
        return await r.json()


class Goals:
    """Each goal of the serve issue, met or not, printed as it is measured and at the end."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def check(self, what: str, met: bool, figure: str) -> None:
        line = f"GOAL {'met    ' if met else 'NOT met'}  {what}: {figure}"
        self.lines.append(line)
        print(line, flush=True)

    def summary(self) -> None:
        print("\nGoals:")
        for line in self.lines:
            print("  " + line)


async def cpu_over(pid: int, seconds: float) -> float:
    """% of one core used by `pid` over the next `seconds`."""
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0) * 100


async def soak(pid: int, seconds: float, beside: int | None = None
               ) -> tuple[float, list[float], float | None]:
    """CPU % over the soak and RSS samples (MB) every few seconds; and the CPU % of the
    process `beside` over the same window."""
    samples = [rss_mb(pid)]
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    other0 = cpu_seconds(beside) if beside is not None else 0.0
    step = max(1.0, seconds / 30)
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(step)
        samples.append(rss_mb(pid))
    wall = time.monotonic() - t0
    other = (cpu_seconds(beside) - other0) / wall * 100 if beside is not None else None
    return (cpu_seconds(pid) - cpu0) / wall * 100, samples, other


def rss_growth(samples: list[float]) -> float:
    """MB from the first third's mean to the last third's: a leak keeps climbing."""
    third = max(1, len(samples) // 3)
    return sum(samples[-third:]) / third - sum(samples[:third]) / third


async def start_daemon(tmp: Path, name: str, text: str, port: int) -> asyncio.subprocess.Process:
    (tmp / f"{name}.yaml").write_text(text)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agentstatus_tui", "serve", "--config", str(tmp / f"{name}.yaml"),
        "--data-dir", str(tmp / name), "--listen", f"127.0.0.1:{port}",
        env={**os.environ, "BENCH_TOKEN": TOKEN}, stderr=asyncio.subprocess.DEVNULL)


async def bench(args: argparse.Namespace) -> None:
    goals = Goals()
    agent_port, api_port = free_port(), free_port()
    agent = Process(target=fast_agent, args=(agent_port, 0.05), daemon=True)
    agent.start()
    tmp = Path(tempfile.mkdtemp(prefix="agentstatus-bench-"))
    text = config_text(agent_port, args.agents, args.regions)
    (tmp / "agents.yaml").write_text(text)
    proc = await start_daemon(tmp, "daemon", text, api_port)
    beside = await start_alone(tmp) if args.beside else None
    alone_cpu: float | None = None
    headers = {"Authorization": f"Bearer {TOKEN}"}
    conn = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{api_port}", headers=headers,
                                         connector=conn) as s:
            ready = await wait_ready(s)
            print(f"{args.agents} agents x {args.regions} regions: first round done in "
                  f"{ready:.1f} s")
            t = time.perf_counter()
            async with s.get("/metrics") as r:
                text_body = await r.read()
            first_scrape = time.perf_counter() - t
            lat: list[float] = []
            for _ in range(args.requests):
                t = time.perf_counter()
                async with s.get("/api/v1/agents") as r:
                    body = await r.read()
                lat.append(time.perf_counter() - t)
            print(f"GET /api/v1/agents ({len(body) / 1024:.0f} KiB): {ms(lat)}")
            goals.check("GET /api/v1/agents p99 < 20 ms", pct(lat, 99) < 0.020,
                        f"{pct(lat, 99) * 1000:.1f} ms")
            scrape: list[float] = []
            for _ in range(args.scrapes):
                t = time.perf_counter()
                async with s.get("/metrics") as r:
                    text_body = await r.read()
                scrape.append(time.perf_counter() - t)
            lines = text_body.count(b"\n")
            print(f"GET /metrics ({len(text_body) / 1024:.0f} KiB, {lines} lines): first "
                  f"{first_scrape * 1000:.1f} ms, then {ms(scrape)}")
            worst = max(first_scrape, pct(scrape, 99))
            goals.check("a /metrics scrape < 50 ms while polling (the first one and p99)",
                        worst < 0.050, f"first {first_scrape * 1000:.1f} ms, p99 "
                        f"{pct(scrape, 99) * 1000:.1f} ms")

            stalled = stalled_client(api_port)
            arrivals: dict[str, list[float]] = {}
            connected = asyncio.Event()
            count = [0]
            clients = [asyncio.create_task(sse_client(s, arrivals, connected, count,
                                                      args.clients))
                       for _ in range(args.clients)]
            await asyncio.wait_for(connected.wait(), 60)
            sent: dict[str, float] = {}
            for i in range(args.events):
                agent_id = f"agent-{i % args.agents:04d}"
                sent[agent_id] = time.perf_counter()
                async with s.post(f"/api/v1/agents/{agent_id}/run") as r:
                    assert r.status in (202, 429), r.status
                await asyncio.sleep(0.2)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and any(
                    len(arrivals.get(a, [])) < args.clients for a in sent):
                await asyncio.sleep(0.1)
            delays = [t - sent[a] for a in sent for t in arrivals.get(a, [])[:args.clients]]
            missing = sum(max(0, args.clients - len(arrivals.get(a, []))) for a in sent)
            print(f"POST /run -> run_started at {args.clients} SSE clients (one more client "
                  f"stalled, never reading): {ms(delays)}, {missing} missing")
            goals.check(f"an event reaches all {args.clients} clients within 50 ms (p99), "
                        "one stalled client beside them", pct(delays, 99) < 0.050 and
                        not missing, f"p99 {pct(delays, 99) * 1000:.1f} ms, {missing} missing")
            rss_before = rss_mb(proc.pid)
            st = await status(s)
            attached = st["events"]["clients"] > args.clients
            t0 = time.monotonic()
            while (attached and time.monotonic() - t0 < args.stall_wait
                   and st["events"]["clients"] > args.clients):
                await asyncio.sleep(0.5)
                st = await status(s)
            waited = time.monotonic() - t0
            gone = attached and st["events"]["clients"] <= args.clients
            how = ("its queue was full: told to resync" if st["events"]["dropped"]
                   else "a write to it timed out: its stream was ended")
            goals.check("the stalled client is dropped without slowing the others; memory "
                        "bounded", gone and rss_mb(proc.pid) - rss_before < 50,
                        (f"dropped {waited:.0f} s after the others' events ({how})" if gone
                         else "it never attached" if not attached
                         else f"NOT dropped within {args.stall_wait:.0f} s")
                        + f", RSS {rss_before:.0f} -> {rss_mb(proc.pid):.0f} MB")
            stalled.close()
            with_clients = await cpu_over(proc.pid, args.cpu_window)
            for c in clients:
                c.cancel()
            await asyncio.gather(*clients, return_exceptions=True)
            without = await cpu_over(proc.pid, args.cpu_window)
            print(f"daemon CPU while polling: {with_clients:.1f} % of a core with "
                  f"{args.clients} event clients, {without:.1f} % without (fan-out of every "
                  f"poll's events: {with_clients - without:+.1f} points)")

            cpu, samples, alone_cpu = await soak(proc.pid, args.idle,
                                                  beside.pid if beside is not None else None)
            growth = rss_growth(samples)
            print(f"daemon while polling ({args.idle:.0f} s): CPU {cpu:.1f} % of a core, RSS "
                  f"{samples[0]:.0f} -> {samples[-1]:.0f} MB (min {min(samples):.0f}, max "
                  f"{max(samples):.0f})")
            goals.check(f"RSS flat over a {args.idle:.0f} s soak (last third vs first third "
                        "< 5 MB)", growth < 5.0, f"{growth:+.1f} MB")
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
        if beside is not None:
            beside.send_signal(signal.SIGTERM)
            await beside.wait()
    try:
        if alone_cpu is None:
            alone = await start_alone(tmp)
            await asyncio.sleep(max(15.0, ready * 2))  # its first round
            alone_cpu = await cpu_over(alone.pid, args.idle)
            alone_rss = rss_mb(alone.pid)
            alone.send_signal(signal.SIGTERM)
            await alone.wait()
        else:
            alone_rss = 0.0
        print(f"the Monitor alone, same agents ({args.idle:.0f} s"
              f"{', over the same window' if args.beside else ''}): CPU {alone_cpu:.1f} % of a "
              f"core" + (f", RSS {alone_rss:.0f} MB" if alone_rss else ""))
        goals.check("daemon CPU <= the Monitor alone + 1 point", cpu <= alone_cpu + 1.0,
                    f"{cpu:.1f} % vs {alone_cpu:.1f} %")
        await idle_clients(tmp, agent_port, args, goals)
    finally:
        agent.terminate()
    goals.summary()


async def start_alone(tmp: Path) -> asyncio.subprocess.Process:
    """The Monitor alone (no API) polling the daemon's agents, with its own store."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", MONITOR_ALONE, str(tmp / "agents.yaml"), str(tmp / "alone"),
        env={**os.environ, "BENCH_TOKEN": TOKEN}, stderr=asyncio.subprocess.DEVNULL)


async def idle_clients(tmp: Path, agent_port: int, args: argparse.Namespace,
                       goals: Goals) -> None:
    """What attached event clients cost when nothing happens: a daemon whose agents are
    not due (interval 1 h), its CPU without clients and with them (heartbeats only)."""
    port = free_port()
    text = config_text(agent_port, 5, args.regions).replace("interval: 60s", "interval: 1h")
    proc = await start_daemon(tmp, "idle", text, port)
    try:
        async with aiohttp.ClientSession(
                f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"},
                connector=aiohttp.TCPConnector(limit=0)) as s:
            await wait_ready(s)
            await asyncio.sleep(2)
            bare = await cpu_over(proc.pid, args.cpu_window)
            connected = asyncio.Event()
            count = [0]
            clients = [asyncio.create_task(sse_client(s, {}, connected, count, args.clients))
                       for _ in range(args.clients)]
            await asyncio.wait_for(connected.wait(), 60)
            attached = await cpu_over(proc.pid, args.cpu_window)
            for c in clients:
                c.cancel()
            await asyncio.gather(*clients, return_exceptions=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
    goals.check(f"{args.clients} attached event clients idle cost < 1 % of a core",
                attached - bare < 1.0, f"{attached:.2f} % with them vs {bare:.2f} % without "
                f"({attached - bare:+.2f} points over {args.cpu_window:.0f} s)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=500)
    p.add_argument("--regions", type=int, default=3)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--scrapes", type=int, default=50)
    p.add_argument("--events", type=int, default=40)
    p.add_argument("--idle", type=float, default=60.0,
                   help="the soak: seconds of polling watched for CPU and RSS (600: 10 min)")
    p.add_argument("--cpu-window", type=float, default=30.0,
                   help="seconds of each CPU comparison (event clients on / off)")
    p.add_argument("--stall-wait", type=float, default=60.0,
                   help="seconds to wait for the stalled client to be dropped")
    p.add_argument("--beside", action="store_true",
                   help="run the Monitor alone beside the daemon from the start and compare "
                   "their CPU over the same soak window (fairer on a shared machine)")
    p.add_argument("--quick", action="store_true",
                   help="a short run to try the bench itself: 50 agents, 10 s soak, 5 s "
                   "CPU windows (figures are not the goals' conditions)")
    args = p.parse_args()
    if args.quick:
        args.agents, args.requests, args.scrapes, args.events = 50, 50, 10, 10
        args.idle, args.cpu_window, args.stall_wait = 10.0, 5.0, 40.0
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
