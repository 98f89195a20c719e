"""The alert log says which pages go out as one grouped message, and when a held group
goes out."""

from __future__ import annotations

import time

from agentstatus_tui.engine.alerts.outbox import AlertRecord
from agentstatus_tui.ui.screens.alerts import log_rows


def record(alert_id: int, status: str, attempts: int, *, group_id: int | None,
           next_at: float | None, error: str | None = None) -> AlertRecord:
    return AlertRecord(id=alert_id, at=next_at or 0.0, agent_id="support-bot",
                       channel="slack", channel_type="slack", event="trigger", status=status,
                       attempts=attempts, last_error=error, next_attempt_at=next_at,
                       delivered_at=None, dedup_key="k", group_id=group_id)


def test_grouped_pages_are_marked_and_a_held_one_says_when_it_goes_out() -> None:
    now = time.mktime((2026, 11, 30, 12, 0, 0, 0, 0, -1))
    rows = log_rows([
        record(7, "pending", 0, group_id=5, next_at=now + 30),
        record(6, "delivered", 1, group_id=5, next_at=None),
        record(4, "pending", 2, group_id=5, next_at=now + 2, error="HTTP 500"),
        record(3, "delivered", 1, group_id=None, next_at=None),
    ], frozenset(), now)
    assert [r[-1] for r in rows] == ["grouped #5: goes out at 12:00:30", "grouped #5",
                                     "HTTP 500", ""]
