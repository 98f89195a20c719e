"""The store across real processes: a SIGKILL right after "stored" loses nothing, and a
dashboard and a cron `check` writing at the same time both succeed without doubling a
transition."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Verdict

# Builds runs from the shared model only: the child needs nothing from the tests.
PRELUDE = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from agentstatus_tui.engine.model import RunResult, Stats, Verdict
    from agentstatus_tui.engine.history.store import Store
    from agentstatus_tui.engine.history.writer import StoreWriter

    def run(agent, at, verdict):
        ok = 0 if verdict is Verdict.DOWN else 10
        s = Stats(verdict=verdict, validations=10, validations_ok=ok, ttfb_p50=0.1,
                  errors={} if ok else {"TIMEOUT": 10})
        return RunResult(agent, at - 0.5, at, s, {"us": s})
    """
)

KILLED = PRELUDE + textwrap.dedent(
    """
    async def main():
        writer = StoreWriter(Store.open(sys.argv[1]))
        i = 0
        while True:
            verdict = Verdict.DOWN if i % 3 == 0 else Verdict.UP
            await writer.record(run("victim", 1000.0 + i, verdict))
            print("stored", i, flush=True)
            i += 1

    asyncio.run(main())
    """
)

WRITER = PRELUDE + textwrap.dedent(
    """
    data_dir, name, phase, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    verdicts = [Verdict.UP, Verdict.DOWN, Verdict.DEGRADED]

    def at_go():
        print("ready", flush=True)
        while not os.path.exists(go):
            time.sleep(0.005)

    if name == "dashboard":
        async def main():
            writer = StoreWriter(Store.open(data_dir))
            at_go()
            for i in range(count):
                v = verdicts[(i // 3 + phase) % 3]
                await asyncio.gather(
                    writer.record(run("shared", time.time(), v)),
                    writer.record(run(name, time.time(), v)),
                )
                await asyncio.sleep(0.001)  # a poller, not a bulk load
            await writer.flush()
            writer.close()
        asyncio.run(main())
    else:
        store = Store.open(data_dir)
        at_go()
        for i in range(count):
            v = verdicts[(i // 2 + phase) % 3]
            store.record_run(run("shared", time.time(), v))
            store.record_run(run(name, time.time(), v))
            time.sleep(0.001)
        store.close()
    print("done", flush=True)
    """
)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_a_run_reported_stored_survives_sigkill(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    stored = []
    try:
        assert proc.stdout is not None
        while len(stored) < 25:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "child exited"
            stored.append(int(line.split()[1]))
        # Killed while it keeps writing: no chance to flush, close or checkpoint.
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with Store.open(tmp_path) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = {r.finished_at for r in store.recent_runs("victim", limit=100_000)}
        assert {1000.0 + i for i in stored} <= runs
        # Every transition of the stored runs is there too, as a consistent chain.
        chain = store.transitions("victim")
        assert chain[0].previous is Verdict.UNKNOWN
        assert all(a.current is b.previous for a, b in itertools.pairwise(chain))
        in_stored = [t for t in chain if t.at <= 1000.0 + max(stored)]
        # Run i is DOWN when i % 3 == 0: UNKNOWN→DOWN, then a change at every 3rd boundary.
        expected = sum(1 for i in range(max(stored) + 1)
                       if i == 0 or (i % 3 == 0) != ((i - 1) % 3 == 0))
        assert len(in_stored) == expected


def test_dashboard_and_cron_writing_at_once_both_succeed(tmp_path):
    go = tmp_path / "go"
    data = tmp_path / "data"
    data.mkdir()
    Store.open(data).close()  # migrate first, as an existing install would be
    count = 200
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data), name, str(phase), str(count), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        for name, phase in (("dashboard", 0), ("cron", 1))
    ]
    for p in procs:  # both children are up and waiting at the start line
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == "done"

    with Store.open(data) as store:
        for name in ("dashboard", "cron", "shared"):
            expected = 2 * count if name == "shared" else count
            assert len(store.recent_runs(name, limit=10_000)) == expected
        # Transitions of the shared agent must replay exactly the stored runs, in commit
        # order: no change doubled, none lost, each starting where the previous ended.
        verdicts = [
            Verdict(r[0])
            for r in store.conn.execute(
                "SELECT verdict FROM runs WHERE agent_id = 'shared' AND region IS NULL ORDER BY id"
            )
        ]
        expected_changes = [
            (a, b)
            for a, b in zip([Verdict.UNKNOWN, *verdicts], verdicts, strict=False)
            if a is not b
        ]
        chain = store.transitions("shared")
        assert [(t.previous, t.current) for t in sorted(chain, key=lambda t: t.id)] == (
            expected_changes
        )
        # The two really wrote at the same time: their stretches of runs overlap.
        spans = {
            name: [r.finished_at for r in store.recent_runs(name, limit=10_000)]
            for name in ("dashboard", "cron")
        }
        assert min(spans["cron"]) < max(spans["dashboard"])
        assert min(spans["dashboard"]) < max(spans["cron"])
