"""An outbox lane whose store fails under it (the disk fills up) stops with one line,
never a task's traceback; the alert stays queued for when the store can be written."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from alerts_helpers import HOOK_PATH, agent, channels, config, run
from disk_faults import fill, tmpfs
from receivers import HttpReceiver

from agentstatus_tui.engine.alerts.center import AlertCenter
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Verdict


class Collect(logging.Handler):
    """The engine's log records, whatever another test did to propagation."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_lane_over_a_full_disk_stops_with_one_line(
    http: HttpReceiver, tmp_path: Path
) -> None:
    seen = Collect()
    logger = logging.getLogger("agentstatus")
    with tmpfs(tmp_path / "data", size="2m") as data:
        store = Store(data / "agentstatus.db")
        center = AlertCenter(config((agent(("hook",)),), channels(http.url(), 9)), store)
        try:
            result = run("support-bot", Verdict.DOWN, time.time())
            store.record_run(result)
            (alert_id,) = center.process_transitions({"support-bot": result})
            fill(data)
            logger.addHandler(seen)
            try:
                await center.deliver_pending(time.time() + 5)
            finally:
                logger.removeHandler(seen)
            assert center.status([alert_id]) == {alert_id: "pending"}  # queued still
        finally:
            await center.aclose()
            store.close()
    lines = [r.getMessage() for r in seen.records if "store failed" in r.getMessage()]
    assert len(lines) == 1 and "full" in lines[0], lines
    assert not [r for r in seen.records if r.exc_info]
    assert len(http.at(HOOK_PATH)) <= 1
