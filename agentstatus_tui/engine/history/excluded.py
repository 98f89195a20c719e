"""Leaving stretches of time out of uptime (maintenance): inside them the verdict counts
as UNKNOWN — neither up nor down, and never the start of an outage — and afterwards the
verdict in force comes back as it was."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Verdict
from .uptime import Point

Interval = tuple[float, float]


def leave_out(points: Sequence[Point], intervals: Sequence[Interval],
              until: float) -> list[Point]:
    """`points` (time-ordered verdict changes) with each of `intervals` (sorted, not
    overlapping) turned UNKNOWN. An interval reaching `until` (the window end) does not
    hand the verdict back: the window stays open for an ongoing outage."""
    if not intervals:
        return list(points)
    out: list[Point] = []
    i = 0  # the next point not yet placed
    for a, b in intervals:
        while i < len(points) and points[i][0] < a:
            out.append(points[i])
            i += 1
        in_force = out[-1][1] if out else Verdict.UNKNOWN
        while i < len(points) and points[i][0] < b:
            in_force = points[i][1]  # changed inside the interval: hidden, but in force after
            i += 1
        out.append((a, Verdict.UNKNOWN))
        if b < until and (i >= len(points) or points[i][0] > b):
            out.append((b, in_force))
    out.extend(points[i:])
    return out
