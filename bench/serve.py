#!/usr/bin/env python3
"""What `agentstatus serve` costs with many agents: API latency, a /metrics scrape, event
fan-out to many SSE clients, and the daemon's CPU and memory while it polls.

N loopback agents (default 500) x 3 regions polled every 60 s, against one fast agent
process (answers after 50 ms). Measures, while polling goes on:
  - GET /api/v1/agents latency (p50, p99) over sequential requests;
  - GET /metrics scrape time (p50, p99);
  - 50 SSE clients: from a POST /run to its run_started event at every client (p50, p99);
  - daemon CPU (% of one core) and RSS at the start and end of an idle window, then the
    same config polled by the Monitor alone (no API) over the same window.
Goals: /agents p99 < 20 ms, a scrape < 50 ms, events p99 < 50 ms, daemon CPU no more than
the Monitor alone + 1 point, RSS flat (run --idle 600 for the 10-minute soak).

Usage: python bench/serve.py [--agents 500] [--regions 3] [--clients 50] [--idle 60]
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


async def bench(args: argparse.Namespace) -> None:
    agent_port, api_port = free_port(), free_port()
    agent = Process(target=fast_agent, args=(agent_port, 0.05), daemon=True)
    agent.start()
    tmp = Path(tempfile.mkdtemp(prefix="agentstatus-bench-"))
    (tmp / "agents.yaml").write_text(config_text(agent_port, args.agents, args.regions))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agentstatus_tui", "serve", "--config", str(tmp / "agents.yaml"),
        "--data-dir", str(tmp / "data"), "--listen", f"127.0.0.1:{api_port}",
        env={**os.environ, "BENCH_TOKEN": TOKEN}, stderr=asyncio.subprocess.DEVNULL)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    conn = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{api_port}", headers=headers,
                                         connector=conn) as s:
            ready = await wait_ready(s)
            print(f"{args.agents} agents x {args.regions} regions: first round done in "
                  f"{ready:.1f} s")
            lat: list[float] = []
            for _ in range(args.requests):
                t = time.perf_counter()
                async with s.get("/api/v1/agents") as r:
                    body = await r.read()
                lat.append(time.perf_counter() - t)
            print(f"GET /api/v1/agents ({len(body) / 1024:.0f} KiB): {ms(lat)}")
            scrape: list[float] = []
            for _ in range(args.scrapes):
                t = time.perf_counter()
                async with s.get("/metrics") as r:
                    text = await r.read()
                scrape.append(time.perf_counter() - t)
            lines = text.count(b"\n")
            print(f"GET /metrics ({len(text) / 1024:.0f} KiB, {lines} lines): {ms(scrape)}")

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
            print(f"POST /run -> run_started at {args.clients} SSE clients: {ms(delays)}, "
                  f"{missing} missing")
            for c in clients:
                c.cancel()

            pid = proc.pid
            cpu0, rss0, t0 = cpu_seconds(pid), rss_mb(pid), time.monotonic()
            await asyncio.sleep(args.idle)
            cpu1, rss1, t1 = cpu_seconds(pid), rss_mb(pid), time.monotonic()
            print(f"daemon while polling ({args.idle:.0f} s): CPU "
                  f"{(cpu1 - cpu0) / (t1 - t0) * 100:.1f} % of a core, RSS {rss0:.0f} -> "
                  f"{rss1:.0f} MB")
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
    try:
        alone = await asyncio.create_subprocess_exec(
            sys.executable, "-c", MONITOR_ALONE, str(tmp / "agents.yaml"), str(tmp / "alone"),
            env={**os.environ, "BENCH_TOKEN": TOKEN}, stderr=asyncio.subprocess.DEVNULL)
        await asyncio.sleep(max(15.0, ready * 2))  # its first round
        cpu0, t0 = cpu_seconds(alone.pid), time.monotonic()
        await asyncio.sleep(args.idle)
        cpu1, t1 = cpu_seconds(alone.pid), time.monotonic()
        print(f"the Monitor alone, same agents ({args.idle:.0f} s): CPU "
              f"{(cpu1 - cpu0) / (t1 - t0) * 100:.1f} % of a core, RSS "
              f"{rss_mb(alone.pid):.0f} MB")
        alone.send_signal(signal.SIGTERM)
        await alone.wait()
    finally:
        agent.terminate()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=500)
    p.add_argument("--regions", type=int, default=3)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--scrapes", type=int, default=50)
    p.add_argument("--events", type=int, default=40)
    p.add_argument("--idle", type=float, default=60.0)
    asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    main()
