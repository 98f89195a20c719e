"""The header says when the dead man's switch cannot be pinged: its service is about to
page someone about a monitor that is alive."""

from __future__ import annotations

import time

from agentstatus_tui.engine.alerts.outbox import AlertHealth
from agentstatus_tui.engine.heartbeat import HeartbeatHealth
from agentstatus_tui.ui.widgets.header import paging


def test_a_failing_heartbeat_is_loud_with_its_error_and_since_when() -> None:
    since = time.mktime((2026, 11, 30, 7, 14, 0, 0, 0, -1))
    hb = HeartbeatHealth(last_try_at=since + 60, last_ok_at=None, failing_since=since,
                         last_error="HTTP 404: no such check")
    shown = paging(AlertHealth(pending=0, failed=0, last_error=None, heartbeat=hb),
                   configured=True)
    assert shown.loud
    assert shown.variants == ("HEARTBEAT FAILING (HTTP 404, since 07:14)", "HEARTBEAT FAILING")


def test_a_working_heartbeat_leaves_the_header_calm() -> None:
    hb = HeartbeatHealth(last_try_at=1.0, last_ok_at=1.0, failing_since=None, last_error=None)
    shown = paging(AlertHealth(pending=0, failed=0, last_error=None, heartbeat=hb),
                   configured=True)
    assert shown.text == "alerts: ok" and not shown.loud
