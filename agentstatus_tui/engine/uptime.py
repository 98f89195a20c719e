"""Uptime, outages, MTTR and MTBF over a sequence of verdict changes: pure arithmetic.

Input is what the store keeps: a time-ordered list of `(at, verdict)` points, each the
moment a verdict came into force. The last point at or before the window start sets the
verdict at the start; before the first point the verdict is UNKNOWN. Work grows with the
number of changes, never with the number of runs.

Definitions (DESIGN §4):

- uptime = time UP or REACHABLE ÷ time with a known verdict. UNKNOWN time (agent paused,
  monitor not running) counts as neither up nor down; DEGRADED is known but not up.
  No known time at all → None (no data is not 0 % and not 100 %).
- an outage is a DOWN stretch clipped to the window. DOWN, then UNKNOWN, then DOWN again
  is ONE outage: a dashboard restarted or paused mid-outage must not split it in two.
  Its `duration` counts DOWN time only (the UNKNOWN gap is in `unknown`); it ends when the
  last DOWN stretch ends, and it is ongoing (`end` None) while DOWN is still in force at
  the end of an open window.
- MTTR = mean duration of the outages that ended (ongoing ones are not repaired yet).
- MTBF = operating time ÷ number of outages (the ITIL "available time between breaks"):
  operating = known time that was not DOWN, so DEGRADED time counts as operating.
  No outage → None (nothing failed, the mean is undefined rather than infinite).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .model import Verdict

Point = tuple[float, Verdict]


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    verdict: Verdict

    @property
    def duration(self) -> float:
        return self.end - self.start


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

    @property
    def outage_count(self) -> int:
        return len(self.outages)

    @property
    def outage_total(self) -> float:
        return sum(o.duration for o in self.outages)

    @property
    def outage_longest(self) -> float | None:
        return max((o.duration for o in self.outages), default=None)


def segments(points: Iterable[Point], since: float, until: float) -> list[Segment]:
    """The window [since, until) cut into stretches of one verdict (neighbours differ)."""
    out: list[Segment] = []
    current = Verdict.UNKNOWN
    cursor = since

    def push(start: float, end: float, verdict: Verdict) -> None:
        if end <= start:
            return
        if out and out[-1].verdict is verdict and out[-1].end == start:
            out[-1] = Segment(out[-1].start, end, verdict)
        else:
            out.append(Segment(start, end, verdict))

    for at, verdict in points:
        if at <= since:
            current = verdict
            continue
        if at >= until:
            break
        push(cursor, at, current)
        # Out-of-order points (two writers, clock steps) must never run time backwards.
        cursor = max(cursor, at)
        current = verdict
    push(cursor, until, current)
    return out


def uptime(points: Iterable[Point], since: float, until: float) -> float | None:
    """Time UP/REACHABLE ÷ time with a known verdict in [since, until); None if none known."""
    up = known = 0.0
    for seg in segments(points, since, until):
        if seg.verdict.is_known:
            known += seg.duration
            if seg.verdict.is_up:
                up += seg.duration
    return up / known if known > 0 else None


def outages(points: Sequence[Point], since: float, until: float) -> list[Outage]:
    """DOWN stretches in [since, until), UNKNOWN gaps inside one outage merged into it.

    The window is open (an outage still DOWN at `until` is ongoing) when no point falls at
    or after `until`, i.e. `until` is "now" as far as the data knows.
    """
    open_end = not any(at >= until for at, _ in points)
    segs = segments(points, since, until)
    found: list[Outage] = []
    start: float | None = None  # start of the outage being built
    last_down_end = 0.0
    down = gap = pending_gap = 0.0
    began_before = False

    def close(end: float | None) -> None:
        nonlocal start
        assert start is not None
        found.append(Outage(start, end, down, gap, began_before))
        start = None

    for seg in segs:
        if seg.verdict is Verdict.DOWN:
            if start is None:
                start, down, gap, pending_gap = seg.start, 0.0, 0.0, 0.0
                began_before = seg.start == since
            else:
                gap += pending_gap
                pending_gap = 0.0
            down += seg.duration
            last_down_end = seg.end
        elif seg.verdict is Verdict.UNKNOWN:
            if start is not None:
                pending_gap += seg.duration
        elif start is not None:
            close(last_down_end)
    if start is not None:
        ongoing = open_end and segs[-1].verdict is Verdict.DOWN
        close(None if ongoing else last_down_end)
    return found


def summarize(points: Sequence[Point], since: float, until: float) -> Summary:
    """Uptime, outages, MTTR and MTBF of one agent (or region) in [since, until)."""
    up = known = down = 0.0
    for seg in segments(points, since, until):
        if seg.verdict.is_known:
            known += seg.duration
            if seg.verdict.is_up:
                up += seg.duration
            elif seg.verdict is Verdict.DOWN:
                down += seg.duration
    found = tuple(outages(points, since, until))
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
