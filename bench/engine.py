#!/usr/bin/env python3
"""What one probing round costs: the Prober beside bare aiohttp (its baseline) and bare
httpx.

100 loopback agents x 10 validations against an agent (in its own process) that answers
after exactly 200 ms. Prints wall time, client CPU per request and the median and worst
per-agent TTFB p50, then each goal's figure beside its baseline, marked met or not:
CPU/request <= 0.4 ms and within 1.25x bare aiohttp's, wall <= 1.1x bare aiohttp's,
median agent p50 <= delay + 15 ms, worst <= delay + 50 ms. With --cli, also
`agentstatus check --json` over --cli-agents agents (default 500), --repeat times: its
median wall < 15 s.

Usage: python bench/engine.py [--agents 100] [--validations 10] [--delay 0.2]
                              [--in-flight 64] [--repeat 3] [--cli] [--cli-agents 500]
                              [--no-httpx] [--loop uvloop|asyncio]
Figures depend on the machine and on what else runs on it: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from multiprocessing import Process
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agentstatus_tui.engine import event_loop
from agentstatus_tui.engine.model import AgentConfig, Config, Region
from agentstatus_tui.engine.probe.prober import Prober

BODY = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "bench",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
}).encode()
RESP = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
REQ_JSON = {"messages": [{"role": "user", "content": "Hello"}], "max_tokens": 16}


def serve(port: int, delay: float) -> None:
    """A keep-alive HTTP/1.1 agent that answers every request after exactly `delay`."""

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await r.readuntil(b"\r\n\r\n")
                n = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        n = int(line.split(b":")[1])
                if n:
                    await r.readexactly(n)
                await asyncio.sleep(delay)
                w.write(RESP)
                await w.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            w.close()

    async def main() -> None:
        srv = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
        async with srv:
            await srv.serve_forever()

    asyncio.run(main())


Ttfbs = dict[int, list[float]]  # agent index -> TTFBs of its requests


async def bare_aiohttp(port: int, agents: int, per: int, conc: int) -> Ttfbs:
    import aiohttp

    sem = asyncio.Semaphore(conc)
    out: Ttfbs = {i: [] for i in range(agents)}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as s:
        async def one(i: int) -> None:
            async with sem:
                t0 = time.perf_counter()
                async with s.post(f"http://127.0.0.1:{port}/agent-{i}/v1/chat/completions",
                                  json=REQ_JSON) as r:
                    first = await r.content.readany()
                    out[i].append(time.perf_counter() - t0)
                    rest = await r.read()
                    json.loads(first + rest)
        await asyncio.gather(*[one(i) for i in range(agents) for _ in range(per)])
    return out


async def bare_httpx(port: int, agents: int, per: int, conc: int) -> Ttfbs:
    import httpx

    sem = asyncio.Semaphore(conc)
    out: Ttfbs = {i: [] for i in range(agents)}
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(limits=limits, timeout=30) as c:
        async def one(i: int) -> None:
            async with sem:
                t0 = time.perf_counter()
                async with c.stream("POST", f"http://127.0.0.1:{port}/agent-{i}/v1/chat/completions",
                                    json=REQ_JSON) as r:
                    buf = b""
                    async for chunk in r.aiter_bytes():
                        if not buf:
                            out[i].append(time.perf_counter() - t0)
                        buf += chunk
                    json.loads(buf)
        await asyncio.gather(*[one(i) for i in range(agents) for _ in range(per)])
    return out


def prober_variant() -> Callable[[int, int, int, int], Awaitable[Ttfbs]]:
    async def run(port: int, agents: int, per: int, conc: int) -> Ttfbs:
        cfg_agents = tuple(
            AgentConfig(id=f"agent-{i}", name=f"Agent {i}",
                        url=f"http://127.0.0.1:{port}/agent-{i}/v1/chat/completions",
                        regions=("local",), validations=per, retries=0, timeout=30.0)
            for i in range(agents)
        )
        config = Config(agents=cfg_agents, regions={"local": Region("local")}, max_in_flight=conc)
        prober = Prober(config)
        try:
            results = await asyncio.gather(*(prober.run(a) for a in cfg_agents))
        finally:
            await prober.aclose()
        bad = [r.error for res in results for r in res.requests if not r.ok]
        if bad:
            print(f"   !! {len(bad)} failed requests: {sorted(set(bad))}")
        return {i: [r.ttfb for r in res.requests if r.ttfb is not None]
                for i, res in enumerate(results)}
    return run


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def check_cli(port: int, agents: int, per: int, in_flight: int | None = None,
              delay: float = 0.2, loop: str = "uvloop") -> tuple[float, float | None, float | None]:
    """`agentstatus check --json` on N agents that answer in 200 ms: the whole product
    path (config, Monitor, store). Returns (wall seconds, median and worst agent p50 ms)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "agents.yaml"
        lines = ["defaults:", f"  validations: {per}", "  retries: 0"]
        if in_flight is not None:
            lines.append(f"max_in_flight: {in_flight}")
        lines.append("agents:")
        for i in range(agents):
            lines += [f"  - id: agent-{i}",
                      f"    url: http://127.0.0.1:{port}/agent-{i}/v1/chat/completions"]
        cfg.write_text("\n".join(lines) + "\n")
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "agentstatus_tui", "check", "--json", "--config", str(cfg),
             "--data-dir", tmp],
            capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, event_loop.ENV: loop},
        )
        wall = time.perf_counter() - t0
    if in_flight:
        print(f"  (max_in_flight {in_flight}: {agents * per:,} requests of {delay * 1000:.0f} ms"
              f" each take at least {agents * per / in_flight * delay:.1f} s)")
    else:
        print("  (max_in_flight not set: the limit scales with the load)")
    doc = json.loads(out.stdout)
    p50s = [a["ttfb_ms"]["p50"] for a in doc["agents"] if a["ttfb_ms"]["p50"] is not None]
    verdicts = sorted({a["verdict"] for a in doc["agents"]})
    print(f"agentstatus check --json, {agents} agents x {per}: {wall:.2f} s (process, incl. start-up),"
          f" exit {out.returncode}, verdicts {verdicts}")
    if p50s:
        print(f"  p50 over agents: min {min(p50s)} ms, median {statistics.median(p50s)} ms,"
              f" max {max(p50s)} ms ({len(p50s)} agents with a p50)")
        return wall, statistics.median(p50s), max(p50s)
    return wall, None, None


def mark(met: bool) -> str:
    return "met" if met else "NOT MET"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=100)
    ap.add_argument("--validations", type=int, default=10)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--in-flight", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli", action="store_true",
                    help="also run `agentstatus check --json` over --cli-agents agents")
    ap.add_argument("--cli-agents", type=int, default=500)
    ap.add_argument("--cli-in-flight", type=int, default=None,
                    help="a fixed max_in_flight for check (default: none, scaled)")
    ap.add_argument("--no-httpx", action="store_true", help="skip bare httpx (slow)")
    ap.add_argument("--loop", choices=event_loop.CHOICES, default=event_loop.loop_name(),
                    help="the event loop every variant runs on (default: the one "
                         "`agentstatus` uses here)")
    args = ap.parse_args()

    port = free_port()
    server = Process(target=serve, args=(port, args.delay), daemon=True)
    server.start()
    time.sleep(0.5)
    n = args.agents * args.validations
    variants: dict[str, Callable[[int, int, int, int], Awaitable[Ttfbs]]] = {
        "bare aiohttp": bare_aiohttp,
        "Prober": prober_variant(),
    }
    if not args.no_httpx:
        variants["bare httpx"] = bare_httpx
    rows: dict[str, dict[str, float]] = {}
    print(f"{args.agents} agents x {args.validations} validations = {n} requests, "
          f"{args.in_flight} in flight, agent answers after {args.delay * 1000:.0f} ms, "
          f"on the {args.loop} event loop; "
          f"median of {args.repeat} runs")
    cli: tuple[float, float | None, float | None] | None = None
    try:
        if args.cli:
            checks = [check_cli(port, args.cli_agents, args.validations, args.cli_in_flight,
                                args.delay, args.loop) for _ in range(args.repeat)]
            walls = sorted(c[0] for c in checks)
            print(f"  check wall over {len(walls)} runs: min {walls[0]:.1f} s,"
                  f" median {statistics.median(walls):.1f} s")
            cli = sorted(checks, key=lambda c: c[0])[len(checks) // 2]  # the median run
        for name, fn in variants.items():
            samples = []
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                ttfbs = event_loop.run(fn(port, args.agents, args.validations, args.in_flight),
                                       loop=args.loop)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                p50s = [statistics.median(v) for v in ttfbs.values() if v]
                samples.append({"wall": wall, "cpu_req": cpu / n,
                                "p50_median": statistics.median(p50s), "p50_worst": max(p50s)})
            rows[name] = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
            r = rows[name]
            print(f"{name:14s} wall {r['wall'] * 1000:6.0f} ms   CPU/request {r['cpu_req'] * 1000:5.2f} ms"
                  f"   agent TTFB p50: median {r['p50_median'] * 1000:5.1f} ms,"
                  f" worst {r['p50_worst'] * 1000:5.1f} ms")
    finally:
        server.terminate()

    p, a = rows["Prober"], rows["bare aiohttp"]
    delay_ms = args.delay * 1000
    print()
    print("goal                                   Prober       baseline (bare aiohttp)")
    goals = [
        ("CPU per request <= 0.4 ms", f"{p['cpu_req'] * 1000:.2f} ms", f"{a['cpu_req'] * 1000:.2f} ms",
         p["cpu_req"] <= 0.0004),
        ("CPU per request <= 1.25x bare aiohttp", f"{p['cpu_req'] / a['cpu_req']:.2f}x", "1.00x",
         p["cpu_req"] <= 1.25 * a["cpu_req"]),
        ("wall <= 1.1x bare aiohttp", f"{p['wall'] / a['wall']:.2f}x", "1.00x",
         p["wall"] <= 1.1 * a["wall"]),
        (f"median agent p50 <= {delay_ms + 15:.0f} ms", f"{p['p50_median'] * 1000:.1f} ms",
         f"{a['p50_median'] * 1000:.1f} ms", p["p50_median"] <= args.delay + 0.015),
        (f"worst agent p50 <= {delay_ms + 50:.0f} ms", f"{p['p50_worst'] * 1000:.1f} ms",
         f"{a['p50_worst'] * 1000:.1f} ms", p["p50_worst"] <= args.delay + 0.050),
    ]
    if cli is not None:
        wall, med, worst = cli
        goals.append((f"check --json, {args.cli_agents} agents < 15 s", f"{wall:.1f} s", "-",
                      wall < 15.0))
        if med is not None and worst is not None:
            goals.append((f"  its median agent p50 <= {delay_ms + 15:.0f} ms", f"{med:.0f} ms",
                          "-", med <= delay_ms + 15))
    for label, fig, base, met in goals:
        print(f"  {label:37s} {fig:>10s}   {base:>10s}   [{mark(met)}]")
    if "bare httpx" in rows:
        h = rows["bare httpx"]
        print(f"  (bare httpx, its own transport: CPU/request {h['cpu_req'] * 1000:.2f} ms,"
              f" wall {h['wall'] / a['wall']:.2f}x bare aiohttp)")


if __name__ == "__main__":
    main()
