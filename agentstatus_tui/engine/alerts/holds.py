"""Why a page that is due waits: a silence or maintenance window, a parent agent DOWN
(`depends_on`), or too few DOWN runs in a row yet (`confirm`). Each reason is read from
the store inside the caller's write transaction, so every process sees the same hold."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from ..model import AgentConfig, Config, Verdict
from ..text import clock
from .quiet import quiet_for
from .silences import Silence

HoldKind = Literal["silence", "maintenance", "parent", "confirm"]

# The verdicts a run may have and still count towards confirming a page of this verdict.
_AT_LEAST = {Verdict.DOWN: (Verdict.DOWN,), Verdict.DEGRADED: (Verdict.DEGRADED, Verdict.DOWN)}
_GOOD = (Verdict.UP, Verdict.REACHABLE)


@dataclass(frozen=True)
class Hold:
    kind: HoldKind
    reason: str  # shown in the alert log and the dashboard
    until: float | None = None  # when it ends by itself (a silence), if known


def overall_verdict(conn: sqlite3.Connection, agent_id: str) -> Verdict:
    r = conn.execute("SELECT verdict FROM agent_state WHERE agent_id = ? AND region = ''",
                     (agent_id,)).fetchone()
    return Verdict(r[0]) if r else Verdict.UNKNOWN


def down_regions(conn: sqlite3.Connection, agent_id: str) -> tuple[str, ...]:
    rows = conn.execute("SELECT region FROM agent_state WHERE agent_id = ? AND region != ''"
                        " AND verdict = 'DOWN' ORDER BY region", (agent_id,))
    return tuple(r[0] for r in rows)


def runs_in_a_row(conn: sqlite3.Connection, agent_id: str, verdicts: Collection[Verdict],
                  wanted: int) -> int:
    """How many of the agent's latest overall runs (up to `wanted`) have one of
    `verdicts`, counting back from the newest until one does not."""
    rows = conn.execute(
        "SELECT verdict FROM runs WHERE agent_id = ? AND region IS NULL"
        " ORDER BY started_at DESC, id DESC LIMIT ?", (agent_id, wanted)).fetchall()
    n = 0
    for r in rows:
        if Verdict(r[0]) not in verdicts:
            break
        n += 1
    return n


def confirmed_runs(conn: sqlite3.Connection, agent: AgentConfig, verdict: Verdict) -> int:
    return runs_in_a_row(conn, agent.id, _AT_LEAST.get(verdict, (verdict,)),
                         agent.alerts.confirm)


def good_runs(conn: sqlite3.Connection, agent: AgentConfig) -> int:
    return runs_in_a_row(conn, agent.id, _GOOD, agent.alerts.recover_after)


def flapping_changes(conn: sqlite3.Connection, agent_id: str, since: float,
                     until: float) -> list[Verdict]:
    """The verdicts the agent changed to between two known verdicts in [since, until]
    (going UNKNOWN and back, a restart or a pause, is no flapping)."""
    rows = conn.execute(
        "SELECT previous, current FROM transitions WHERE agent_id = ? AND region IS NULL"
        " AND at >= ? AND at <= ? AND previous != 'UNKNOWN' AND current != 'UNKNOWN'"
        " ORDER BY id", (agent_id, since, until))
    return [Verdict(r[1]) for r in rows]


def last_change_at(conn: sqlite3.Connection, agent_id: str) -> float | None:
    r = conn.execute(
        "SELECT MAX(at) FROM transitions WHERE agent_id = ? AND region IS NULL"
        " AND previous != 'UNKNOWN' AND current != 'UNKNOWN'", (agent_id,)).fetchone()
    return None if r is None or r[0] is None else float(r[0])


def quiet_hold(conn: sqlite3.Connection, config: Config, agent: AgentConfig,
               now: float, silences: Sequence[Silence] | None = None) -> Hold | None:
    """A silence or maintenance window over the agent now (`silences`: as already read,
    else read now)."""
    q = quiet_for(conn, config, agent, now, lambda: down_regions(conn, agent.id), silences)
    if q is None:
        return None
    word = "SILENCED" if q.kind == "silence" else "MAINTENANCE"
    reason = f"{word} until {clock(q.until, seconds=False)}" + (f" — {q.reason}" if q.reason else "")
    return Hold(q.kind, reason, q.until)


def parent_hold(conn: sqlite3.Connection, config: Config, agent: AgentConfig) -> Hold | None:
    for parent_id in agent.depends_on:
        if overall_verdict(conn, parent_id) is Verdict.DOWN:
            try:
                name = config.agent(parent_id).name
            except KeyError:
                name = parent_id
            return Hold("parent", f"{name} is DOWN: likely cause")
    return None


def hold_for(conn: sqlite3.Connection, config: Config, agent: AgentConfig, verdict: Verdict,
             now: float) -> Hold | None:
    """Why a page of `verdict` for `agent` may not go out now, or None."""
    hold = quiet_hold(conn, config, agent, now) or parent_hold(conn, config, agent)
    if hold is not None:
        return hold
    wanted = agent.alerts.confirm
    if wanted > 1:
        n = confirmed_runs(conn, agent, verdict)
        if n < wanted:
            return Hold("confirm", f"waiting for confirmation: {n} of {wanted} {verdict} runs")
    return None
