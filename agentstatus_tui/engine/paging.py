"""One agent's paging status as front ends show it: silenced or in maintenance (until
when, why), flapping, acknowledged (by whom), the escalation step reached, and why a
page that is due waits. Plain frozen data, JSON-friendly (`document`); the alert center
reads it (engine/alerts/status.py) and snapshots carry it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .text import clock, iso_utc


@dataclass(frozen=True)
class Quieted:
    """A silence or a maintenance window over the agent now."""

    until: float
    reason: str  # as shown: "SILENCED until 14:00 — deploy of v2"


@dataclass(frozen=True)
class PagingStatus:
    silenced: Quieted | None = None
    maintenance: Quieted | None = None
    flapping: bool = False
    acknowledged: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None
    escalation_step: int = 0  # escalation steps paged so far (0: none configured or fired)
    held: str | None = None  # why a page that is due waits
    page_open: bool = False

    @property
    def marker(self) -> str:
        """The grid row's short word, most telling first; "" when nothing is special."""
        if self.maintenance is not None:
            return "MAINTENANCE"
        if self.silenced is not None:
            return "SILENCED"  # until when and why: the detail pane
        if self.flapping:
            return "FLAPPING"
        if self.acknowledged:
            return "ACK"
        if self.held:
            return "HELD"
        return ""

    def badge(self) -> str:
        """The detail pane's line: every part that applies, with reasons."""
        parts = []
        if self.maintenance is not None:
            parts.append(self.maintenance.reason)
        if self.silenced is not None:
            parts.append(self.silenced.reason)
        if self.flapping:
            parts.append("FLAPPING: paged once, quiet until stable")
        if self.acknowledged:
            who = f" by {self.acknowledged_by}" if self.acknowledged_by else ""
            when = f" at {clock(self.acknowledged_at, seconds=False)}" \
                if self.acknowledged_at else ""
            parts.append(f"ACK{who}{when}")
        if self.escalation_step > 1:
            parts.append(f"escalated: step {self.escalation_step}")
        if self.held and self.silenced is None and self.maintenance is None:
            parts.append(f"page held: {self.held}")
        return " · ".join(parts)

    def document(self) -> dict[str, Any]:
        """The fields of `check --json`'s and the API's agent object (added, never
        renamed): `silenced` / `maintenance` are null or {until, reason}."""
        def quiet(q: Quieted | None) -> dict[str, Any] | None:
            return None if q is None else {"until": iso_utc(q.until), "reason": q.reason}

        return {
            "silenced": quiet(self.silenced),
            "maintenance": quiet(self.maintenance),
            "flapping": self.flapping,
            "acknowledged": self.acknowledged,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": None if self.acknowledged_at is None
            else iso_utc(self.acknowledged_at),
            "escalation_step": self.escalation_step,
            "held": self.held,
        }


QUIET = PagingStatus()
