"""Benchmark of the history store: bulk insert, database size, report and dashboard start-up.

Synthesises `--days` of runs for `--agents` agents every `--interval` seconds (default
30 days × 500 agents × 5 min ≈ 4.3 M runs, each with an overall row and `--regions`
region rows), about `--change` of runs changing the verdict, then times the reads the
product does: `report --since 30d` over every agent (goal < 200 ms) and the dashboard's
start-up history load for 100 agents (goal < 300 ms). Also times the real write path
(StoreWriter batches, durable commits). Prints figures; asserts nothing.

    python bench/store.py                   # the full run (a few minutes, ~1-2 GB temp)
    python bench/store.py --agents 50 --days 3   # a quick one
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentstatus_tui.engine.history import db
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.history.writer import StoreWriter
from agentstatus_tui.engine.model import RunResult, Stats, Verdict

VERDICTS = (Verdict.UP, Verdict.DEGRADED, Verdict.DOWN)


def synthesise(store: Store, agents: int, days: float, interval: float, regions: int,
               change: float, now: float, seed: int = 7) -> tuple[int, int, float]:
    """Insert runs, transitions and agent state the way record_run would leave them, with
    executemany in one transaction per agent. Returns (rows, transitions, seconds)."""
    rng = random.Random(seed)
    region_names = [f"r{i}" for i in range(regions)]
    start = now - days * 86400
    steps = int(days * 86400 // interval)
    rows = transitions = 0
    t0 = time.perf_counter()
    conn = store.conn
    for a in range(agents):
        agent_id = f"agent-{a:04d}"
        run_rows: list[tuple] = []
        trans_rows: list[tuple] = []
        keys: list[str | None] = [None, *region_names]
        current: dict[str | None, Verdict] = dict.fromkeys(keys, Verdict.UNKNOWN)
        verdict = Verdict.UP
        for i in range(steps):
            at = start + i * interval + (a % 60)
            if i == 0 or rng.random() < change:
                verdict = rng.choice(VERDICTS) if i else Verdict.UP
            ok = 0 if verdict is Verdict.DOWN else 10
            p50 = None if not ok else 0.2 + rng.random() * 0.1
            errors = None if ok else '{"HTTP_503": 10}'
            for key in keys:
                run_rows.append((agent_id, key, at - 1.0, at, verdict.value, 10, ok, 2,
                                 2 if ok else 0, ok / 10, 1.0 if ok else 0.0, p50,
                                 None if p50 is None else p50 * 1.4, errors, 0, 0, 0))
                if current[key] is not verdict:
                    trans_rows.append((agent_id, key, at, current[key].value, verdict.value,
                                       "" if ok else "HTTP_503"))
                    current[key] = verdict
        with store.transaction():
            conn.executemany(
                "INSERT INTO runs(agent_id, region, started_at, finished_at, verdict,"
                " validations, validations_ok, gold, gold_ok, reachability, eval_pass,"
                " ttfb_p50, ttfb_p95, errors, retried, manual, discarded)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                run_rows,
            )
            conn.executemany(
                "INSERT INTO transitions(agent_id, region, at, previous, current, reason)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                trans_rows,
            )
            last_id = conn.execute("SELECT MAX(id) FROM runs").fetchone()[0]
            for n, key in enumerate(reversed(keys)):
                since = max(t[2] for t in trans_rows if t[1] == key)
                conn.execute(
                    "INSERT INTO agent_state(agent_id, region, verdict, since, last_run_id)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (agent_id, key or "", current[key].value, since, last_id - n),
                )
        rows += len(run_rows)
        transitions += len(trans_rows)
        if a % 50 == 49:
            el = time.perf_counter() - t0
            print(f"  {a + 1}/{agents} agents, {rows:,} rows, {rows / el:,.0f} rows/s",
                  file=sys.stderr, flush=True)
    return rows, transitions, time.perf_counter() - t0


async def writer_path(store_path: Path, runs: int, now: float) -> float:
    """Runs per second through the product's write path (StoreWriter, durable commits),
    with 64 runs in flight as a busy dashboard would have."""
    writer = StoreWriter(Store(store_path))
    s = Stats(verdict=Verdict.UP, validations=10, validations_ok=10, ttfb_p50=0.2,
              ttfb_p95=0.3)
    t0 = time.perf_counter()
    sem = asyncio.Semaphore(64)

    async def one(i: int) -> None:
        async with sem:
            await writer.record(RunResult(f"live-{i % 100:03d}", now + i, now + i + 1, s,
                                          {"r0": s}))

    await asyncio.gather(*(one(i) for i in range(runs)))
    el = time.perf_counter() - t0
    writer.close()
    return runs / el


def timed(fn, repeat: int = 3) -> tuple[float, float]:
    """(first, best) wall time in ms."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times[0], min(times)


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--days", type=float, default=30)
    ap.add_argument("--interval", type=float, default=300, help="seconds between runs")
    ap.add_argument("--regions", type=int, default=1, help="region rows per run")
    ap.add_argument("--change", type=float, default=0.01, help="share of runs that change")
    ap.add_argument("--dashboard-agents", type=int, default=100)
    ap.add_argument("--writer-runs", type=int, default=2000)
    ap.add_argument("--dir", help="where to build the database (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = ap.parse_args()

    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="store-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    now = time.time()
    figures: dict[str, object] = {}
    try:
        store = Store(base / db.DB_FILENAME)
        print(f"synthesising {args.agents} agents × {args.days:g} days every "
              f"{args.interval:g}s, {args.regions} region(s)…", file=sys.stderr)
        rows, transitions, secs = synthesise(store, args.agents, args.days, args.interval,
                                            args.regions, args.change, now)
        runs = rows // (1 + args.regions)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.conn.execute("ANALYZE")
        figures.update({
            "runs": runs,
            "rows": rows,
            "transitions": transitions,
            "insert_rows_per_s": round(rows / secs),
            "insert_runs_per_s": round(runs / secs),
            "insert_s": round(secs, 1),
            "db_bytes": size_of(store.path),
            "db_mb": round(size_of(store.path) / 1e6, 1),
        })
        ids = [f"agent-{a:04d}" for a in range(args.agents)]
        first, best = timed(lambda: store.report(now - 30 * 86400, now, ids))
        figures["report_30d_all_ms"] = {"first": round(first, 1), "best": round(best, 1)}
        first, best = timed(lambda: store.report(now - 7 * 86400, now, ids))
        figures["report_7d_all_ms"] = {"first": round(first, 1), "best": round(best, 1)}
        dash = ids[: args.dashboard_agents]
        first, best = timed(lambda: store.dashboard_history(dash, now))
        figures[f"dashboard_history_{len(dash)}_ms"] = {"first": round(first, 1),
                                                        "best": round(best, 1)}
        first, best = timed(lambda: store.uptime(ids[0], now - 30 * 86400, now), repeat=20)
        figures["uptime_one_agent_30d_ms"] = {"first": round(first, 2), "best": round(best, 2)}
        # A fresh connection, as a restarted dashboard has (page cache stays warm).
        fresh = Store(store.path)
        first, _ = timed(lambda: fresh.dashboard_history(dash, now), repeat=1)
        figures[f"dashboard_history_{len(dash)}_new_connection_ms"] = round(first, 1)
        fresh.close()
        retention = (now - args.days * 86400) + 86400  # the oldest day
        t0 = time.perf_counter()
        deleted = store.prune(retention)
        figures["prune_oldest_day"] = {"rows": deleted,
                                       "s": round(time.perf_counter() - t0, 2)}
        store.close()
        figures["writer_runs_per_s"] = round(
            asyncio.run(writer_path(base / db.DB_FILENAME, args.writer_runs, now))
        )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(figures, indent=1))
    goal_report = figures["report_30d_all_ms"]["best"]  # type: ignore[index]
    n = min(args.dashboard_agents, args.agents)
    goal_dash = figures[f"dashboard_history_{n}_ms"]["best"]  # type: ignore[index]
    print(f"report --since 30d over {args.agents} agents: {goal_report} ms (goal < 200); "
          f"dashboard start-up for {n}: {goal_dash} ms (goal < 300)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
