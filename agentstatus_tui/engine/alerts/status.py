"""Reads an agent's `PagingStatus` (engine/paging.py) from its page row and the
silences and maintenance windows over it now."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ..model import AgentConfig, Config
from ..paging import PagingStatus, Quieted
from . import pages
from .holds import quiet_hold
from .silences import Silence


def paging_status(conn: sqlite3.Connection, config: Config, agent: AgentConfig,
                  now: float, row: pages.PageRow | None = None,
                  silences: Sequence[Silence] | None = None) -> PagingStatus:
    """`row` and `silences` as already read (else read now)."""
    row = pages.read(conn, agent.id) if row is None else row
    hold = quiet_hold(conn, config, agent, now, silences)
    silenced = maintenance = None
    if hold is not None and hold.until is not None:
        q = Quieted(hold.until, hold.reason)
        if hold.kind == "maintenance":
            maintenance = q
        else:
            silenced = q
    acked = row.is_open and row.acked_at is not None
    return PagingStatus(
        silenced=silenced, maintenance=maintenance,
        flapping=row.flapping_since is not None,
        acknowledged=acked,
        acknowledged_by=row.acked_by if acked else None,
        acknowledged_at=row.acked_at if acked else None,
        escalation_step=row.escalation_step if row.is_open else 0,
        held=row.held, page_open=row.is_open,
    )
