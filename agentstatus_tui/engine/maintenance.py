"""When a maintenance window is on: its occurrences as epoch-second intervals.

A recurring window's cron expression is read in its time zone's wall-clock time, the way
cron itself runs a job: matching local times are found on naive datetimes (so croniter's
own time-zone handling never comes into it) and then placed on the time line with
zoneinfo. Across a daylight-saving change this gives what the job doing the work sees:

- a local time that does not exist (02:30 on the spring-forward night) starts at the
  moment the clocks jump (03:00 new time), as cron runs the jobs of the skipped hour then;
- a local time that happens twice (02:30 on the fall-back night) starts once, at the
  first of the two;
- `duration` is elapsed time: a 2h window over the fall-back hour ends 2 real hours
  later (one wall-clock hour on the face of the clock).

Pure computation: no I/O, no clock of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from .model import AgentConfig, MaintenanceWindow

Interval = tuple[float, float]

# A cron expression that matches nothing for this long (`0 0 30 2 *`) has no occurrence.
_LOOKAHEAD = timedelta(days=366 * 5)
_MINUTE = timedelta(minutes=1)


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a usable five-field cron expression, or None."""
    fields = expression.split()
    if len(fields) != 5:
        return (f"a cron expression has 5 fields (minute hour day month weekday), "
                f"got {len(fields)}")
    if not croniter.is_valid(expression):
        return "not a valid cron expression"
    try:
        croniter(expression, datetime(2000, 1, 1)).get_next(datetime)
    except Exception as exc:  # croniter reports impossible dates its own way
        return f"not a valid cron expression ({exc})"
    return None


def instant(local: datetime, zone: ZoneInfo) -> float:
    """Epoch seconds of the naive wall-clock time `local` in `zone`: a time in a gap
    moves to the end of the gap; a time that happens twice is the first of the two."""
    wall = local.replace(tzinfo=zone, fold=0)
    if wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local:
        return wall.timestamp()
    # In the gap: the first minute after it that exists (gaps are whole minutes).
    probe = local.replace(second=0, microsecond=0)
    while True:
        probe += _MINUTE
        aware = probe.replace(tzinfo=zone)
        if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == probe:
            return aware.timestamp()


def _local(ts: float, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, zone).replace(tzinfo=None)


def _starts_after(window: MaintenanceWindow, ts: float) -> Iterator[float]:
    """Occurrence starts after `ts` (epoch), in order, one per local match."""
    assert window.cron is not None
    zone = ZoneInfo(window.timezone)
    # An hour early: a match in a gap maps to the gap's end, which may be after `ts`.
    it = croniter(window.cron, _local(ts, zone) - timedelta(hours=3))
    last = None
    limit = _local(ts, zone) + _LOOKAHEAD
    while True:
        local = it.get_next(datetime)
        if local > limit:
            return
        start = instant(local, zone)
        if start <= ts or start == last:  # several matches in one gap: one start
            continue
        last = start
        yield start


def _latest_start(window: MaintenanceWindow, now: float) -> float | None:
    """The last occurrence start at or before `now`."""
    assert window.cron is not None
    zone = ZoneInfo(window.timezone)
    # Three hours ahead: `now`'s wall time on a fall-back night can be an hour behind a
    # match that already happened in the first pass through that hour.
    it = croniter(window.cron, _local(now, zone) + timedelta(hours=3))
    floor = _local(now, zone) - _LOOKAHEAD
    while True:
        local = it.get_prev(datetime)
        if local < floor:
            return None
        start = instant(local, zone)
        if start <= now:
            return start


def occurrence_at(window: MaintenanceWindow, now: float) -> Interval | None:
    """The occurrence of `window` going on at `now` as (start, end), or None."""
    if window.cron is None:
        if window.start is not None and window.end is not None and (
                window.start <= now < window.end):
            return (window.start, window.end)
        return None
    start = _latest_start(window, now)
    if start is None or now >= start + window.duration:
        return None
    return (start, start + window.duration)


def occurrences(window: MaintenanceWindow, since: float, until: float) -> list[Interval]:
    """Every occurrence overlapping [since, until), clipped to it, merged where they
    overlap, in time order."""
    raw: list[Interval] = []
    if window.cron is None:
        if window.start is not None and window.end is not None:
            raw.append((window.start, window.end))
    else:
        first = _latest_start(window, since)
        if first is not None:
            raw.append((first, first + window.duration))
        for start in _starts_after(window, since):
            if start >= until:
                break
            raw.append((start, start + window.duration))
    return merge((max(a, since), min(b, until)) for a, b in raw if a < until and b > since)


def merge(intervals: Iterator[Interval] | list[Interval]) -> list[Interval]:
    """Intervals sorted and joined where they touch or overlap."""
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def covers_agent(window: MaintenanceWindow, agent: AgentConfig) -> bool:
    """The window is about this agent as a whole: it names it or one of its tags, or it
    names every region the agent is probed from."""
    if agent.id in window.agents or any(t in window.tags for t in agent.tags):
        return True
    return bool(agent.regions) and all(r in window.regions for r in agent.regions)


def agent_maintenance(windows: tuple[MaintenanceWindow, ...], agent: AgentConfig,
                      since: float, until: float) -> list[Interval]:
    """The time in [since, until) the agent as a whole was under maintenance (what
    `report --exclude-maintenance` leaves out of its uptime)."""
    spans: list[Interval] = []
    for window in windows:
        if covers_agent(window, agent):
            spans += occurrences(window, since, until)
    return merge(spans)
