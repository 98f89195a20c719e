"""What a quiet run reads: the paging status shown beside each agent and the uptime
figures come from reads the Monitor keeps (page rows and silences for READ_FRESH
seconds, verdict changes until the agent's verdict changes), not from the store after
every run. What another process changes still shows, that much later at most; what
this process changes shows at once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from incident_fixtures import make_run
from test_monitor import agent, config_for

from agentstatus_tui.engine.alerts.center import READ_FRESH
from agentstatus_tui.engine.alerts.silences import add_silence
from agentstatus_tui.engine.history.db import DB_FILENAME
from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.monitor import UPTIME_REREAD, Monitor, Wake

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _reads(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and table in s]


async def test_quiet_runs_read_page_rows_silences_and_changes_once_not_per_run(
        tmp_path: Path) -> None:
    a = agent("http://127.0.0.1:9/a")
    clock = Clock()
    mon = Monitor.open(config_for(a), data_dir=str(tmp_path), clock=clock)
    try:
        await mon.accept(make_run(a.id, clock.now, {"us": [None]}))  # UNKNOWN → UP
        statements: list[str] = []
        mon.store.conn.set_trace_callback(statements.append)
        for k in range(1, 11):
            clock.now = T0 + k
            await mon.accept(make_run(a.id, clock.now, {"us": [None]}))
        assert mon.states[a.id].verdict is Verdict.REACHABLE  # no gold prompts
        assert len(_reads(statements, "alert_pages")) <= 1, statements
        assert len(_reads(statements, "FROM silences")) <= 1, statements
        assert len(_reads(statements, "FROM transitions")) <= 1, statements
        assert mon.states[a.id].uptime["24h"] == 1.0
    finally:
        await mon.stop()


async def test_a_silence_from_another_process_shows_within_read_fresh(tmp_path: Path) -> None:
    a = agent("http://127.0.0.1:9/a")
    clock = Clock()
    mon = Monitor.open(config_for(a), data_dir=str(tmp_path), clock=clock)
    other = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
    try:
        await mon.accept(make_run(a.id, clock.now, {"us": [None]}))
        assert mon.states[a.id].paging.silenced is None
        # `agentstatus silence add` in another process.
        add_silence(other, matcher_kind="agent", matcher_value=a.id, ends_at=T0 + 3600,
                    reason="db migration", author="bob", now=clock.now)
        clock.now = T0 + READ_FRESH + 1
        await mon.accept(make_run(a.id, clock.now, {"us": [None]}))
        silenced = mon.states[a.id].paging.silenced
        assert silenced is not None and "db migration" in silenced.reason
        # Expired here: shown at once, no wait.
        [s] = await mon.silences()
        await mon.expire_silence(s.id)
        assert mon.states[a.id].paging.silenced is None
        # A front end asking for the status gets it read now.
        add_silence(other, matcher_kind="agent", matcher_value=a.id, ends_at=T0 + 3600,
                    reason="again", author="bob", now=clock.now)
        assert (await mon.paging(a.id)).silenced is not None
    finally:
        other.close()
        await mon.stop()


async def test_uptime_follows_this_monitors_changes_at_once_and_others_within_reread(
        tmp_path: Path) -> None:
    a = agent("http://127.0.0.1:9/a")
    clock = Clock()
    mon = Monitor.open(config_for(a), data_dir=str(tmp_path), clock=clock)
    try:
        await mon.accept(make_run(a.id, clock.now, {"us": [None]}))
        clock.now = T0 + 100
        await mon.accept(make_run(a.id, clock.now, {"us": [None]}))
        assert mon.states[a.id].uptime["24h"] == 1.0
        # DOWN from T0+200 (this monitor's run): the figure moves with the clock.
        clock.now = T0 + 200
        await mon.accept(make_run(a.id, clock.now, {"us": ["HTTP_503"]}))
        clock.now = T0 + 400
        await mon.accept(make_run(a.id, clock.now, {"us": ["HTTP_503"]}))
        up = mon.states[a.id].uptime["24h"]
        assert up is not None and abs(up - 201 / 400) < 0.01, up
        # Another process on the same store records the agent UP again at T0+500.
        from agentstatus_tui.engine.history.store import Store

        elsewhere = Store(tmp_path / DB_FILENAME)
        with elsewhere.transaction():
            elsewhere._record(make_run(a.id, T0 + 499, {"us": [None]}))
        elsewhere.close()
        clock.now = T0 + 200 + UPTIME_REREAD + 1
        mon.states[a.id].uptime = {}
        await mon.accept(make_run(a.id, clock.now, {"us": [None]}))
        up = mon.states[a.id].uptime["24h"]
        assert up is not None and up > 0.5, up  # the UP from T0+500 on is counted
    finally:
        await mon.stop()


async def test_a_sleeping_poll_loop_wakes_on_set_or_after_its_timeout() -> None:
    wake = Wake()
    sleeper = asyncio.ensure_future(wake.wait(3600))
    await asyncio.sleep(0)
    assert not sleeper.done()
    wake.set()
    await asyncio.wait_for(sleeper, 10)
    assert wake.is_set()
    await wake.wait(3600)  # already set: returns at once
    wake.clear()
    await asyncio.wait_for(wake.wait(0.01), 10)  # the timeout ends it
    assert not wake.is_set()
    cancelled = asyncio.ensure_future(wake.wait(3600))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    wake.set()  # nobody waits any more: nothing to wake, no error
