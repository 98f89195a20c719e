"""Whether an agent's pages are held right now, and why: a silence someone set, or a
maintenance window of the config. The one question paging, badges and `check --json`
ask, answered from the shared store and the config alone.

Matching, for silences and windows alike:

- by agent id, or by a tag the agent carries: the agent is quiet;
- by region: only when the agent's trouble is all in quiet regions — every region
  currently DOWN is covered (by any silence or window). With no DOWN region, a region
  matcher quiets nothing: an agent DOWN everywhere is not a regional problem.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from ..maintenance import occurrence_at
from ..model import AgentConfig, Config
from .silences import Silence, active_silences


@dataclass(frozen=True)
class Quiet:
    kind: Literal["silence", "maintenance"]
    id: str  # silence id or window name
    until: float  # epoch seconds
    reason: str
    author: str | None


def _from_silence(s: Silence) -> Quiet:
    return Quiet("silence", s.id, s.until, s.reason, s.author)


def quiet_for(conn: sqlite3.Connection, config: Config, agent: AgentConfig, now: float,
              regions: Collection[str] | Callable[[], Collection[str]] = (),
              silences: Sequence[Silence] | None = None) -> Quiet | None:
    """What holds `agent`'s pages at `now`, or None. `regions`: its regions DOWN now (or
    how to read them: only a region silence or window needs them). `silences`: as
    already read (else read now); only those active at `now` count.

    When several apply, the one lasting longest wins (that is how long it stays quiet
    at least). A region quiet lasts as long as the shortest cover of a DOWN region.
    """
    whole: list[Quiet] = []  # quiets of the agent as a whole
    by_region: dict[str, list[Quiet]] = {}
    for s in active_silences(conn, now) if silences is None else silences:
        if not s.active(now):
            continue
        q = _from_silence(s)
        if (s.matcher_kind == "agent" and s.matcher_value == agent.id) or (
                s.matcher_kind == "tag" and s.matcher_value in agent.tags):
            whole.append(q)
        elif s.matcher_kind == "region":
            by_region.setdefault(s.matcher_value, []).append(q)
    for window in config.maintenance:
        on = occurrence_at(window, now)
        if on is None:
            continue
        q = Quiet("maintenance", window.name, on[1],
                  window.reason or f"maintenance window {window.name}", None)
        if agent.id in window.agents or any(t in window.tags for t in agent.tags):
            whole.append(q)
        for region in window.regions:
            by_region.setdefault(region, []).append(q)
    # No region is quiet: which regions are DOWN cannot matter (and is not read).
    down = set((regions() if callable(regions) else regions) if by_region else ())
    if down and all(r in by_region for r in down):
        # Each DOWN region is quiet until its longest cover ends; together, until the
        # first of those.
        covers = [max(by_region[r], key=_rank) for r in sorted(down)]
        whole.append(min(covers, key=lambda q: q.until))
    return max(whole, key=_rank) if whole else None


def _rank(q: Quiet) -> tuple[float, int, str]:
    # Longest first; on a tie a person's silence (with its author) before a window.
    return (q.until, q.kind == "silence", q.id)
