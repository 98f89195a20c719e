"""Uptime, outages, MTTR and MTBF over a sequence of verdict changes: pure arithmetic.

Input is what the store keeps: a time-ordered list of `(at, verdict)` points, each the
moment a verdict came into force. The last point at or before the window start sets the
verdict at the start; before the first point the verdict is UNKNOWN. Work grows with the
number of changes, never with the number of runs.

Definitions:

- uptime = time UP or REACHABLE ÷ time with a known verdict. UNKNOWN time (agent paused,
  monitor not running) counts as neither up nor down; DEGRADED is known but not up.
  No known time at all → None (no data is not 0 % and not 100 %).
- an outage starts when DOWN comes into force and ends only on a recovery: the first
  known verdict that is not DOWN (UP, REACHABLE or DEGRADED). UNKNOWN time inside it (the
  dashboard closed, restarted or paused mid-outage) neither ends nor splits it: DOWN,
  UNKNOWN, DOWN is ONE outage, and DOWN then UNKNOWN at the end of an open window is
  still ongoing (`end` None) — nobody saw the agent recover. Its `duration` counts DOWN
  time only (UNKNOWN time inside it is in `unknown`, outside uptime as everywhere). In a
  window that closes before the recovery the outage is clipped at the window end.
- MTTR = mean duration of the outages that ended (ongoing ones are not repaired yet).
- MTBF = operating time ÷ number of outages (the ITIL "available time between breaks"):
  operating = known time that was not DOWN, so DEGRADED time counts as operating.
  No outage → None (nothing failed, the mean is undefined rather than infinite).

A list of verdict changes shown to people folds short UNKNOWN gaps (`fold_short_gaps`):
quitting and restarting the dashboard must not add an "UNKNOWN 3s" row each time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import Verdict

if TYPE_CHECKING:
    from .records import Transition

Point = tuple[float, Verdict]


@dataclass(frozen=True)
class Outage:
    start: float
    end: float | None  # None: still DOWN at the end of an open window (ongoing)
    duration: float  # seconds DOWN inside the window
    unknown: float = 0.0  # seconds of UNKNOWN gaps inside the outage (not counted above)
    began_before: bool = False  # the window started mid-outage: `start` is the window start

    @property
    def ongoing(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class Summary:
    """Everything a report needs about one agent (or one region) in one window."""

    since: float
    until: float
    uptime: float | None
    known: float  # seconds with a known verdict
    up: float  # seconds UP or REACHABLE
    down: float  # seconds DOWN
    outages: tuple[Outage, ...]
    mttr: float | None
    mtbf: float | None
    excluded: float = 0.0  # seconds of known time left out (maintenance), when asked

    @property
    def outage_count(self) -> int:
        return len(self.outages)

    @property
    def outage_total(self) -> float:
        return sum(o.duration for o in self.outages)

    @property
    def outage_longest(self) -> float | None:
        return max((o.duration for o in self.outages), default=None)


_UP = frozenset((Verdict.UP, Verdict.REACHABLE))
Span = tuple[float, float, Verdict]


def _spans(points: Iterable[Point], since: float, until: float) -> list[Span]:
    """(start, end, verdict) stretches of [since, until), neighbours differing. Plain
    tuples: a 30-day report over hundreds of agents walks tens of thousands of them."""
    out: list[Span] = []
    current = Verdict.UNKNOWN
    cursor = since
    for at, verdict in points:
        if at <= since:
            current = verdict
            continue
        if at >= until:
            break
        # Out-of-order points (two writers, clock steps) must never run time backwards.
        if at > cursor:
            if out and out[-1][2] is current and out[-1][1] == cursor:
                out[-1] = (out[-1][0], at, current)
            else:
                out.append((cursor, at, current))
            cursor = at
        current = verdict
    if until > cursor:
        if out and out[-1][2] is current and out[-1][1] == cursor:
            out[-1] = (out[-1][0], until, current)
        else:
            out.append((cursor, until, current))
    return out


def uptime(points: Iterable[Point], since: float, until: float) -> float | None:
    """Time UP/REACHABLE ÷ time with a known verdict in [since, until); None if none known."""
    up = known = 0.0
    for start, end, verdict in _spans(points, since, until):
        if verdict is not Verdict.UNKNOWN:
            known += end - start
            if verdict in _UP:
                up += end - start
    return up / known if known > 0 else None


def _is_open(points: Sequence[Point], until: float) -> bool:
    """No change is known at or after `until`: it is "now" as far as the data knows."""
    return not points or points[-1][0] < until


def outages(points: Sequence[Point], since: float, until: float) -> list[Outage]:
    """DOWN stretches in [since, until), UNKNOWN gaps inside one outage merged into it.

    `points` are time-ordered. The window is open (an outage still DOWN at `until` is
    ongoing) when no point falls at or after `until`.
    """
    return _outages(_spans(points, since, until), since, _is_open(points, until))


def _outages(spans: list[Span], since: float, open_end: bool) -> list[Outage]:
    found: list[Outage] = []
    start: float | None = None  # start of the outage being built
    down = unknown = 0.0
    began_before = False
    for seg_start, seg_end, verdict in spans:
        if verdict is Verdict.DOWN:
            if start is None:
                start, down, unknown = seg_start, 0.0, 0.0
                began_before = seg_start == since
            down += seg_end - seg_start
        elif verdict is Verdict.UNKNOWN:
            if start is not None:
                unknown += seg_end - seg_start
        elif start is not None:  # a recovery: the only thing that ends an outage
            found.append(Outage(start, seg_start, down, unknown, began_before))
            start = None
    if start is not None:
        end = None if open_end else spans[-1][1]
        found.append(Outage(start, end, down, unknown, began_before))
    return found


def summarize(points: Sequence[Point], since: float, until: float) -> Summary:
    """Uptime, outages, MTTR and MTBF of one agent (or region) in [since, until)."""
    spans = _spans(points, since, until)
    up = known = down = 0.0
    for start, end, verdict in spans:
        if verdict is not Verdict.UNKNOWN:
            known += end - start
            if verdict in _UP:
                up += end - start
            elif verdict is Verdict.DOWN:
                down += end - start
    found = tuple(_outages(spans, since, _is_open(points, until)))
    repaired = [o.duration for o in found if not o.ongoing]
    return Summary(
        since=since,
        until=until,
        uptime=up / known if known > 0 else None,
        known=known,
        up=up,
        down=down,
        outages=found,
        mttr=sum(repaired) / len(repaired) if repaired else None,
        mtbf=(known - down) / len(found) if found else None,
    )


def short_gap(interval: float) -> float:
    """An UNKNOWN gap shorter than this (3 intervals, at least 5 minutes) is a restart
    or a short pause, not news: lists of verdict changes fold it away."""
    return max(3 * interval, 300.0)


def fold_short_gaps(changes: Sequence[Transition], shorter_than: float) -> list[Transition]:
    """`changes` (one agent or region, oldest first) without UNKNOWN gaps shorter than
    `shorter_than`: X→UNKNOWN, UNKNOWN→X within it vanish (X simply goes on), and
    X→UNKNOWN, UNKNOWN→Y becomes X→Y when Y was seen. A gap still open at the end (the
    monitor is not running now) is kept: that is the truth right now. Uptime and
    outages are computed from the unfolded points, where UNKNOWN counts as unknown."""
    out: list[Transition] = []
    before_gap: Verdict | None = None
    for i, change in enumerate(changes):
        following = changes[i + 1] if i + 1 < len(changes) else None
        if (change.current is Verdict.UNKNOWN and change.previous is not Verdict.UNKNOWN
                and following is not None and following.at - change.at < shorter_than):
            before_gap = change.previous
            continue
        if before_gap is not None and change.previous is Verdict.UNKNOWN:
            was, before_gap = before_gap, None
            if change.current is was:
                continue
            change = dataclasses.replace(change, previous=was)
        out.append(change)
    return out
