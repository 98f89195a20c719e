"""What each run costs the Monitor beyond probing: a run that changes no verdict (nearly
every run) must not write to the store from the loop thread; runs finishing together
share their writes; the store writer does no needless transaction per run."""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path

from agent_server import AgentServer, Reply, Sequence
from incident_fixtures import make_run
from test_monitor import agent, config_for

from agentstatus_tui.engine.coalesce import Coalesce
from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.monitor import YOUNG_GC_THRESHOLD, Monitor


async def test_a_run_without_a_verdict_change_skips_the_alert_rules_write(tmp_path: Path) -> None:
    async with AgentServer() as server:
        url = server.route("/a", Sequence(Reply("hi"), Reply("hi"), Reply(status=500)))
        mon = Monitor.open(config_for(agent(url, interval=3600)), data_dir=str(tmp_path))
        statements: list[str] = []
        mon.alerts.conn.set_trace_callback(statements.append)
        try:
            [first] = await mon.run_round(deliver_deadline=None)
            assert first.verdict is Verdict.REACHABLE
            assert any("alert_cursor" in s for s in statements)  # UNKNOWN → REACHABLE

            statements.clear()
            [same] = await mon.run_round(deliver_deadline=None)
            assert same.verdict is Verdict.REACHABLE
            writes = [s for s in statements if s.split()[0].upper() in {"BEGIN", "INSERT", "UPDATE"}]
            assert not writes, writes

            statements.clear()
            [down] = await mon.run_round(deliver_deadline=None)
            assert down.verdict is Verdict.DOWN
            # A verdict change still reaches the alert rules at once.
            assert any("alert_cursor" in s for s in statements)
        finally:
            await mon.stop()


async def test_runs_finishing_together_share_one_write_for_alerts_and_incidents(
    tmp_path: Path,
) -> None:
    """Thirty agents going DOWN at once: their alert rules and incidents are written in a
    few transactions on the loop, not several per run (each would wait for the store
    writer's lock, stalling every probe in flight). Nothing is lost on the way."""
    agents = [agent(f"http://127.0.0.1:9/a{i}", f"a{i}") for i in range(30)]
    mon = Monitor.open(config_for(*agents), data_dir=str(tmp_path))
    statements: list[str] = []
    mon.store.conn.set_trace_callback(statements.append)
    try:
        now = time.time()
        await asyncio.gather(*(mon.accept(make_run(a.id, now, {"us": ["HTTP_503"]}))
                               for a in agents))
        begins = [s for s in statements if s.startswith("BEGIN")]
        assert len(begins) < len(agents), len(begins)
        assert {mon.states[a.id].verdict for a in agents} == {Verdict.DOWN}
        opened = mon.incidents.incidents.incidents(open_only=True)
        assert sorted(i.agent_id for i in opened) == sorted(a.id for a in agents)
        for incident in opened:
            kinds = [e.kind for e in mon.incidents.incidents.timeline(incident.id)]
            assert "detected" in kinds and "first_failure" in kinds, kinds
    finally:
        await mon.stop()


async def test_after_runs_coalesce_within_a_turn_and_within_the_gap() -> None:
    passes: list[list[int]] = []
    batch = Coalesce[int](lambda items, changed: passes.append(items), min_gap=0.05)
    await asyncio.gather(*(batch.add(i, False) for i in range(5)))
    assert passes == [[0, 1, 2, 3, 4]]  # one turn of the loop: one pass
    # Right after a pass, the next waits out the gap and takes everything meanwhile.
    first = asyncio.ensure_future(batch.add(5, False))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(batch.add(6, True))
    await asyncio.gather(first, second)
    assert passes == [[0, 1, 2, 3, 4], [5, 6]]


async def test_the_store_writer_reads_the_prune_clock_once_a_minute_not_per_run(
    tmp_path: Path,
) -> None:
    [a] = [agent("http://127.0.0.1:9/a")]
    mon = Monitor.open(config_for(a), data_dir=str(tmp_path))
    statements: list[str] = []
    mon.writer.store.conn.set_trace_callback(statements.append)  # the writer's thread
    try:
        now = time.time()
        for k in range(5):
            await mon.accept(make_run(a.id, now + k, {"us": [None]}))
        await mon.writer.flush()
        looks = [s for s in statements if s.startswith("SELECT value FROM store_meta")]
        assert len(looks) == 1, statements
    finally:
        await mon.stop()


async def test_start_up_objects_are_kept_out_of_the_collectors_way(tmp_path: Path) -> None:
    async with AgentServer() as server:
        url = server.route("/a", Reply("hi"))
        mon = Monitor.open(config_for(agent(url, interval=3600)), data_dir=str(tmp_path))
        try:
            await mon.start()
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold()[0] >= YOUNG_GC_THRESHOLD
        finally:
            await mon.stop()


async def test_polled_runs_go_to_the_store_writer_together_and_a_manual_run_at_once(
    tmp_path: Path,
) -> None:
    """Runs of the schedule wait a moment for others to be committed with them (one
    wake-up of the writer thread and one transaction for several runs); a manual run
    does not wait, and takes the waiting ones along in order."""
    agents = [agent(f"http://127.0.0.1:9/a{i}", f"a{i}") for i in range(3)]
    mon = Monitor.open(config_for(*agents), data_dir=str(tmp_path))
    mon.writer.gather = 3600.0  # only a hand-over by a manual run commits the polled ones
    statements: list[str] = []
    mon.writer.store.conn.set_trace_callback(statements.append)
    try:
        now = time.time()
        polled = [asyncio.ensure_future(mon.accept(make_run(a.id, now, {"us": [None]}),
                                                   polled=True)) for a in agents[:2]]
        while len(mon.writer._gathered) < 2:
            await asyncio.sleep(0.01)
        assert not [s for s in statements if s.startswith("BEGIN")]
        assert not any(p.done() for p in polled)
        await mon.accept(make_run(agents[2].id, now, {"us": [None]}, manual=True))
        await asyncio.gather(*polled)
        # One transaction took the three runs (the pruning after it is another matter).
        first = statements[statements.index("BEGIN IMMEDIATE"):statements.index("COMMIT")]
        inserted = [s.split("VALUES ('")[1].split("'")[0]
                    for s in statements if s.startswith("INSERT INTO runs")]
        assert inserted == ["a0", "a0", "a1", "a1", "a2", "a2"]  # overall + region, in order
        assert sum(s.startswith("INSERT INTO runs") for s in first) == 6, "\n".join(statements)
        assert {mon.states[a.id].verdict for a in agents} == {Verdict.REACHABLE}
        # With the product's moment, a polled run alone is committed by itself.
        mon.writer.gather = 0.05
        await asyncio.wait_for(mon.accept(make_run(agents[0].id, now + 60, {"us": [None]}),
                                          polled=True), 30)
        assert mon.states[agents[0].id].last is not None
        assert mon.states[agents[0].id].last.started_at == now + 60
    finally:
        await mon.stop()
