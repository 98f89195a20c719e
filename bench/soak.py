#!/usr/bin/env python3
"""Does probing many agents for a long time stay cheap and truthful?

500 agents x 3 regions, each run every INTERVAL seconds at its own offset (as the
Monitor spreads them), against a loopback agent in its own process that answers after
200 ms. Prints, per window: runs, requests, client CPU % of one core, resident memory,
and the TTFB p50/p95; then the drift of TTFB and memory from the first window to the
last, and each goal's figure beside its baseline, marked met or not. Goals (steady state,
60 s interval): the whole Monitor < 3 % of one core at 500 agents, <= 25 % at 2,000;
RSS < 200 MB; median agent p50 <= delay + 15 ms (TTFB truthful). The baselines are
measured in the same run, before and after the soak, on the same agent: bare aiohttp's
CPU per request (what the requests alone cost, at the soak's rate) and its median agent
p50 (what this machine lets any client see of a 200 ms agent). Each window also prints
the event loop's lag (how late a 50 ms timer fires): time the monitor's own loop was
busy, which a probe waiting on it would count as the agent's latency.

Usage: python bench/soak.py [--agents 500] [--interval 60] [--duration 180]
                            [--validations 10] [--window 30] [--delay 0.2] [--monitor]
                            [--profile FILE] [--bare] [--beside] [--loop uvloop|asyncio]
Figures depend on the machine and what else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing import Process
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import REQ_JSON, bare_aiohttp, free_port, serve

from agentstatus_tui.engine import event_loop
from agentstatus_tui.engine.events import RunFinished
from agentstatus_tui.engine.model import AgentConfig, Config, Region
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.engine.probe.prober import Prober

REGIONS = ("us", "eu", "ap")


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class Window:
    def __init__(self, start: float) -> None:
        self.start = start
        self.cpu0 = time.process_time()
        self.runs = 0
        self.ttfbs: list[float] = []
        self.failed = 0
        self.per_agent: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.p50: float | None = None
        self.p95: float | None = None
        self.lags: list[float] = []
        self.gc0 = GC_TIME[0]
        self.threads0 = thread_cpu()


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far of each of this process's threads, by thread name (the loop
    thread is "MainThread"; threads that ended are not counted)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for tid in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            with open(f"/proc/{os.getpid()}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(tid), "other")
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


GC_TIME = [0.0]  # seconds spent in the garbage collector so far
_gc_started = [0.0]


def _time_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        GC_TIME[0] += time.perf_counter() - _gc_started[0]


gc.callbacks.append(_time_gc)


def calibrate(port: int, loop: str, agents: int = 200, per: int = 10,
              conc: int = 64) -> tuple[float, float]:
    """Bare aiohttp on the same agent, now: (CPU seconds per request, median agent p50)."""
    c0 = time.process_time()
    ttfbs = event_loop.run(bare_aiohttp(port, agents, per, conc), loop=loop)
    cpu = (time.process_time() - c0) / (agents * per)
    return cpu, statistics.median(statistics.median(v) for v in ttfbs.values() if v)


async def soak(args: argparse.Namespace, port: int) -> dict[str, Any]:
    agents = tuple(
        AgentConfig(id=f"agent-{i}", name=f"Agent {i}",
                    url=f"http://127.0.0.1:{port}/agent-{i}/v1/chat/completions",
                    regions=REGIONS, validations=args.validations, retries=2, timeout=10.0,
                    interval=args.interval)
        for i in range(args.agents)
    )
    config = Config(agents=agents, regions={r: Region(r) for r in REGIONS})
    prober = Prober(config)
    loop = asyncio.get_running_loop()
    t_start = t0_loop = loop.time()
    end = t_start + args.duration
    windows: list[Window] = [Window(t_start)]
    rss_start = rss_mb()

    def current() -> Window:
        now = loop.time()
        if now - windows[-1].start >= args.window:
            w = windows[-1]
            report(w, now)
            windows.append(Window(now))
        return windows[-1]

    def report(w: Window, now: float, cpu_now: float | None = None) -> None:
        cpu_now = time.process_time() if cpu_now is None else cpu_now
        cpu = (cpu_now - w.cpu0) / max(now - w.start, 1e-9) * 100
        p50 = statistics.median(w.ttfbs) * 1000 if w.ttfbs else float("nan")
        p95 = (statistics.quantiles(w.ttfbs, n=20)[-1] * 1000) if len(w.ttfbs) > 20 else p50
        w.p50, w.p95 = p50, p95
        lags = sorted(w.lags) or [0.0]
        lag99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000
        print(f"{now - t_start:6.0f}s  runs {w.runs:5d}  requests {len(w.ttfbs) + w.failed:6d}"
              f"  failed {w.failed:3d}  CPU {cpu:5.1f}%  RSS {rss_mb():6.1f} MB"
              f"  TTFB p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
              f"  loop lag p99 {lag99:5.1f} ms max {lags[-1] * 1000:5.1f} ms"
              f"  GC {(GC_TIME[0] - w.gc0) / (now - w.start) * 100:4.2f}%", flush=True)
        if w.errors:
            top = sorted(w.errors.items(), key=lambda kv: -kv[1])[:3]
            print("        failures: " + "; ".join(f"{n} × {code}" for code, n in top), flush=True)

    async def poll(i: int, agent: AgentConfig) -> None:
        # Offsets spread the first runs over one interval, like the Monitor, except
        # that here the first round is spread too, to measure the steady state.
        next_at = t_start + args.interval * i / len(agents)
        while True:
            await asyncio.sleep(max(0.0, min(next_at, end) - loop.time()))
            if loop.time() >= end:
                return
            result = await prober.run(agent)
            w = current()
            w.runs += 1
            mine = w.per_agent.setdefault(agent.id, [])
            for r in result.requests:
                if r.ok and r.ttfb is not None:
                    w.ttfbs.append(r.ttfb)
                    mine.append(r.ttfb)
                else:
                    w.failed += 1
            next_at += args.interval
            while next_at < loop.time():  # a run that overran skips, never piles up
                next_at += args.interval

    async def bare_poll(i: int, agent: AgentConfig, sessions: dict[str, Any]) -> None:
        # The floor: bare aiohttp sending the same requests on the same schedule (one
        # session per region, the validations of a run at once), nothing else.
        next_at = t_start + args.interval * i / len(agents)
        body = json.dumps(REQ_JSON).encode()
        headers = {"Content-Type": "application/json"}

        async def one(region: str) -> float:
            t0 = time.perf_counter()
            async with sessions[region].post(agent.url, data=body, headers=headers) as r:
                first = await r.content.readany()
                ttfb = time.perf_counter() - t0
                json.loads(first + await r.read())
            return ttfb

        while True:
            await asyncio.sleep(max(0.0, min(next_at, end) - loop.time()))
            if loop.time() >= end:
                return
            ttfbs = await asyncio.gather(*(one(REGIONS[k % len(REGIONS)])
                                           for k in range(args.validations)))
            w = current()
            w.runs += 1
            w.ttfbs.extend(ttfbs)
            w.per_agent.setdefault(agent.id, []).extend(ttfbs)
            next_at += args.interval
            while next_at < loop.time():
                next_at += args.interval

    async def bare() -> None:
        import aiohttp

        await prober.aclose()
        sessions = {r: aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512))
                    for r in REGIONS}
        try:
            await asyncio.gather(*(bare_poll(i, a, sessions) for i, a in enumerate(agents)))
            polled()
        finally:
            for session in sessions.values():
                await session.close()

    async def whole_monitor() -> None:
        # The product's own path: scheduling, the store writer, uptime reads, alert
        # rules and incident tracking after every run, in a throwaway data dir.
        await prober.aclose()
        with tempfile.TemporaryDirectory(prefix="agentstatus-soak-") as tmp:
            mon = Monitor.open(config, data_dir=tmp)

            def on(event: object) -> None:
                if isinstance(event, RunFinished):
                    w = current()
                    w.runs += 1
                    mine = w.per_agent.setdefault(event.result.agent_id, [])
                    for r in event.result.requests:
                        if r.ok and r.ttfb is not None:
                            w.ttfbs.append(r.ttfb)
                            mine.append(r.ttfb)
                        else:
                            w.failed += 1
                            code = f"{r.error}: {r.detail or ''}"[:60]
                            w.errors[code] = w.errors.get(code, 0) + 1

            mon.subscribe(on)
            try:
                await mon.start()
                await asyncio.sleep(max(0.0, end - loop.time()))
            finally:
                polled()  # before the store writer's thread ends
                await mon.stop()

    mode = ("the whole Monitor (store, alerts, incidents)" if args.monitor
            else "bare aiohttp (the floor)" if args.bare else "the Prober")
    print(f"{args.agents} agents x {len(REGIONS)} regions, {args.validations} validations per run, "
          f"every {args.interval:g}s, for {args.duration:g}s, through {mode}; agent answers "
          f"after {args.delay * 1000:.0f} ms, on the {args.loop} event loop. "
          f"RSS at start {rss_start:.1f} MB", flush=True)
    cpu0, t0 = time.process_time(), time.perf_counter()
    rss_peak = rss_start
    sampling = True

    async def sample_rss() -> None:
        nonlocal rss_peak
        while sampling:
            rss_peak = max(rss_peak, rss_mb())
            await asyncio.sleep(1.0)

    async def sample_lag() -> None:
        while sampling:
            due = loop.time() + 0.05
            await asyncio.sleep(0.05)
            current().lags.append(max(0.0, loop.time() - due))

    profiler = cProfile.Profile() if args.profile else None
    at_end: dict[str, float] = {}  # each thread's CPU seconds when polling ended
    ended: list[float] = []  # (process CPU, loop time) when polling ended

    def polled() -> None:
        """Polling is over: what comes after (stopping the monitor, which records every
        agent UNKNOWN and closes the store) is not the steady state."""
        at_end.update(thread_cpu())
        ended[:] = [time.process_time(), loop.time()]

    async def profile_steady_state() -> None:
        # The loop thread only (the store writer's thread is not seen), after start-up.
        await asyncio.sleep(args.interval)
        if profiler is not None:
            profiler.enable()

    sampler = asyncio.create_task(sample_rss())
    steady_profile = asyncio.create_task(profile_steady_state())
    lag_sampler = asyncio.create_task(sample_lag())
    try:
        if args.monitor:
            await whole_monitor()
        elif args.bare:
            await bare()
        else:
            await asyncio.gather(*(poll(i, a) for i, a in enumerate(agents)))
            polled()
    finally:
        sampling = False
        sampler.cancel()
        lag_sampler.cancel()
        steady_profile.cancel()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
            stats = pstats.Stats(profiler, stream=sys.stdout)
            print("\nsteady-state profile of the loop thread, by own time:")
            stats.sort_stats("tottime").print_stats(20)
            print("by cumulative time:")
            stats.sort_stats("cumulative").print_stats(30)
        await prober.aclose()
    if ended:
        # The last window ends with polling; stopping (every agent recorded UNKNOWN,
        # the store closed) is said apart, not as a window of polling.
        if ended[1] > windows[-1].start:
            report(windows[-1], ended[1], ended[0])
        print(f"        stopping took {time.process_time() - ended[0]:.2f} s of CPU")
    else:
        report(windows[-1], loop.time())
    total_cpu = (time.process_time() - cpu0) / (time.perf_counter() - t0) * 100
    done = [w for w in windows if w.p50 is not None and w.p95 is not None and w.ttfbs]
    print()
    print(f"average CPU {total_cpu:.1f}% of one core; RSS start {rss_start:.1f} MB, "
          f"end {rss_mb():.1f} MB, peak {rss_peak:.1f} MB")
    steady = [w for w in windows if w.start - t0_loop >= args.interval] or windows
    cpu_end, t_end = ended or (time.process_time(), loop.time())
    span = t_end - steady[0].start
    cpu = (cpu_end - steady[0].cpu0) / span * 100 if span > 0 else total_cpu
    print(f"steady state (after the first interval): CPU {cpu:.1f}% of one core")
    if span > 0:
        now_threads = at_end or thread_cpu()
        shares = sorted(((name, (sec - steady[0].threads0.get(name, 0.0)) / span * 100)
                         for name, sec in now_threads.items()), key=lambda kv: -kv[1])
        print("  by thread: " + ", ".join(f"{name} {pct:.1f}%" for name, pct in shares))
    if len(done) >= 2:
        first, last = done[0], done[-1]
        assert first.p50 is not None and last.p50 is not None
        print(f"TTFB p50 drift first→last window: {first.p50:.1f} → {last.p50:.1f} ms "
              f"({last.p50 - first.p50:+.1f} ms); p95 {first.p95:.1f} → {last.p95:.1f} ms")
    per_agent: dict[str, list[float]] = {}
    for w in steady:
        for agent_id, values in w.per_agent.items():
            per_agent.setdefault(agent_id, []).extend(values)
    p50s = sorted(statistics.median(v) * 1000 for v in per_agent.values() if v)
    med_p50 = statistics.median(p50s) if p50s else float("nan")

    lags = sorted(lag for w in steady for lag in w.lags) or [0.0]
    print(f"event loop lag (steady): p99 {lags[int(len(lags) * 0.99) - 1] * 1000:.1f} ms,"
          f" max {lags[-1] * 1000:.1f} ms")
    return {"cpu": cpu, "rss_peak": rss_peak, "rss_start": rss_start, "med_p50": med_p50,
            "p50s": p50s, "mode": mode}


def print_goals(args: argparse.Namespace, fig: dict[str, Any],
                bare: list[tuple[float, float]], beside: float | None = None) -> None:
    """Each goal beside its baseline measured in this run, marked met or not."""
    rate = args.agents * args.validations / args.interval
    bare_cpu = statistics.mean(c for c, _ in bare)
    bare_p50 = statistics.mean(p for _, p in bare) * 1000
    scale = 60.0 / args.interval  # goals are stated for a 60 s interval
    cpu_goal = 3.0 if args.agents <= 500 else 3.0 + (25.0 - 3.0) * (args.agents - 500) / 1500
    delay_ms = args.delay * 1000
    cpu, med_p50, p50s = fig["cpu"] / scale, fig["med_p50"], fig["p50s"]
    print()
    print("bare aiohttp on the same agent (before, after): CPU/request "
          + ", ".join(f"{c * 1000:.2f} ms" for c, _ in bare) + "; median agent p50 "
          + ", ".join(f"{p * 1000:.1f} ms" for _, p in bare))
    if scale != 1:
        print(f"(CPU figures scaled from the {args.interval:g} s interval to 60 s: ÷{scale:g})")
    print(f"goal ({args.agents} agents, {fig['mode']})      figure       baseline (same run)")
    bare_pct = rate * bare_cpu * 100 / scale
    goals = [
        (f"CPU < {cpu_goal:.0f}% of one core at 60 s (steady)", f"{cpu:.1f}%",
         f"{bare_pct:.1f}% bare aiohttp ({cpu / bare_pct:.1f}x)", cpu < cpu_goal),
    ]
    if beside is not None:
        goals.append(("  the same, bare aiohttp's soak beside it", "",
                      f"{beside / scale:.1f}% same window ({cpu / (beside / scale):.1f}x)",
                      cpu < cpu_goal))
    goals += [
        ("RSS < 200 MB (peak)", f"{fig['rss_peak']:.0f} MB",
         f"{fig['rss_start']:.0f} MB at start", fig["rss_peak"] < 200),
        (f"median agent p50 <= {delay_ms + 15:.0f} ms", f"{med_p50:.1f} ms",
         f"{bare_p50:.1f} ms bare aiohttp", med_p50 <= delay_ms + 15),
    ]
    for label, value, base, met in goals:
        print(f"  {label:38s} {value:>9s}   {base:28s} [{'met' if met else 'NOT MET'}]")
    if p50s:
        print(f"  (agent p50s: {len(p50s)} agents, worst {p50s[-1]:.1f} ms,"
              f" 95th percentile {p50s[int(len(p50s) * 0.95) - 1]:.1f} ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--interval", type=float, default=60.0)
    ap.add_argument("--duration", type=float, default=180.0)
    ap.add_argument("--validations", type=int, default=10)
    ap.add_argument("--window", type=float, default=30.0)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--profile", metavar="FILE",
                    help="cProfile the loop thread after the first interval; stats to FILE")
    ap.add_argument("--monitor", action="store_true",
                    help="poll through the whole Monitor (store, alerts, incidents), "
                         "not the bare Prober")
    ap.add_argument("--bare", action="store_true",
                    help="poll with bare aiohttp on the same schedule (the floor any "
                         "client pays at this rate), not the Prober")
    ap.add_argument("--loop", choices=event_loop.CHOICES, default=event_loop.loop_name(),
                    help="the event loop to run on (default: the one `agentstatus` uses "
                         "here); the baselines run on it too")
    ap.add_argument("--beside", action="store_true",
                    help="also run bare aiohttp's soak (--bare) in a process of its own over "
                         "the same window, and print its steady CPU beside this one's (on a "
                         "shared machine, runs minutes apart differ more than the two do)")
    args = ap.parse_args()
    port = free_port()
    server = Process(target=serve, args=(port, args.delay), daemon=True)
    server.start()
    time.sleep(0.5)
    floor = None
    if args.beside and not args.bare:
        floor = subprocess.Popen(
            [sys.executable, __file__, "--bare", "--agents", str(args.agents),
             "--interval", str(args.interval), "--duration", str(args.duration),
             "--validations", str(args.validations), "--window", str(args.window),
             "--delay", str(args.delay), "--loop", args.loop],
            stdout=subprocess.PIPE, text=True)
    try:
        bare = [calibrate(port, args.loop)]
        fig = event_loop.run(soak(args, port), loop=args.loop)
        bare.append(calibrate(port, args.loop))
    finally:
        server.terminate()
    beside = None
    if floor is not None:
        out, _ = floor.communicate()
        steady = re.search(r"steady state \(after the first interval\): CPU ([0-9.]+)%", out)
        beside = float(steady.group(1)) if steady else None
        print(f"\nbare aiohttp's soak beside it: steady CPU "
              f"{'?' if beside is None else f'{beside:.1f}%'} of one core")
    print_goals(args, fig, bare, beside)


if __name__ == "__main__":
    main()
