"""The header line: verdict counts, alert delivery health and the time of the last run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from ...engine.model import Verdict
from .. import format as fmt

ORDER = (Verdict.UP, Verdict.DEGRADED, Verdict.DOWN, Verdict.UNKNOWN)


def counts_text(states: Iterable[Any]) -> str:
    """`4 UP   1 DEGRADED   2 DOWN   0 UNKNOWN` (REACHABLE counts as UP)."""
    c = Counter(Verdict.UP if s.verdict.is_up else s.verdict for s in states)
    return "   ".join(f"{c[v]} {v.value}" for v in ORDER)


def alerts_text(alerts: Any | None) -> str:
    """`alerts: ok`, `alerts: 2 pending`, `alerts: 1 FAILED`, or `alerts: off`."""
    if alerts is None:
        return "alerts: off"
    try:
        health = alerts.health()
        if hasattr(health, "pending"):
            pending, failed = health.pending, health.failed
        else:
            pending, failed, _last_error = health
    except Exception:  # the header must never take the dashboard down
        return "alerts: ?"
    if failed:
        return f"alerts: {failed} FAILED"
    if pending:
        return f"alerts: {pending} pending"
    return "alerts: ok"


def last_run_text(states: Iterable[Any]) -> str:
    finished = [s.last.finished_at for s in states if s.last is not None]
    return f"last run {fmt.clock(max(finished))}" if finished else "no run yet"


class StatusHeader(Horizontal):
    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $panel; padding: 0 1; }
    StatusHeader #title { width: auto; text-style: bold; padding-right: 3; }
    StatusHeader #counts { width: 1fr; }
    StatusHeader #alerts { width: auto; padding-right: 3; }
    StatusHeader #alerts.-failed { color: $verdict-down; text-style: $verdict-down-style; }
    StatusHeader #last-run { width: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._texts: dict[str, str] = {}
        # Built here, not looked up: engine events may reach `show` before this header is
        # composed (a loaded machine) or after the app has begun to close.
        self._parts = {
            part: Static("AgentStatus" if part == "title" else "", id=part)
            for part in ("title", "counts", "alerts", "last-run")
        }

    def compose(self) -> ComposeResult:
        yield from self._parts.values()

    def show(self, states: Iterable[Any], alerts: Any | None) -> None:
        states = list(states)
        self._set("counts", counts_text(states))
        alert = alerts_text(alerts)
        self._set("alerts", alert)
        self._parts["alerts"].set_class("FAILED" in alert, "-failed")
        self._set("last-run", last_run_text(states))

    def _set(self, part: str, text: str) -> None:
        if self._texts.get(part) != text:
            self._texts[part] = text
            self._parts[part].update(text)

    def text(self, part: str) -> str:
        return self._texts.get(part, "")
