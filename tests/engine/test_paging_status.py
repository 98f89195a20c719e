"""An agent's paging status follows without a run: acknowledging from the incident
checklist publishes `PagingChanged` with the new status (the dashboard's ACK marker),
and `MonitorAPI.paging` reads it fresh."""

from __future__ import annotations

import time
from pathlib import Path

from alerts_helpers import channels, config, run
from paging_helpers import paging_agent
from receivers import HttpReceiver

from agentstatus_tui.engine.events import Event, PagingChanged
from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.monitor import Monitor


async def test_acknowledging_publishes_the_new_paging_status(
        http: HttpReceiver, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AGENTSTATUS_USER", "alice")
    cfg = config((paging_agent(("pagerduty",)),), channels(http.url(), 1))
    mon = Monitor.open(cfg, data_dir=str(tmp_path))
    seen: list[Event] = []
    mon.subscribe(seen.append)
    try:
        await mon.accept(run("support-bot", Verdict.DOWN, time.time()))
        before = mon.agents()["support-bot"].paging
        incident = await mon.current_incident("support-bot")
        assert incident is not None
        await mon.acknowledge(incident.incident.id, "on it")
        fresh = await mon.paging("support-bot")
    finally:
        await mon.stop()
    assert before.page_open and not before.acknowledged
    changed = [e for e in seen if isinstance(e, PagingChanged)]
    assert len(changed) == 1
    status = changed[0].snapshot.paging
    assert (status.acknowledged, status.acknowledged_by) == (True, "alice")
    assert status.marker == "ACK"
    assert fresh == status
