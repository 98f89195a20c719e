"""How durations, latencies, percentages and times read as text, for every front end.

The dashboard, the CLI, alert messages and incident documents all format numbers here,
so the same number reads the same everywhere. Missing values read as `none` ("-" unless
the caller says otherwise).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

NONE = "-"

# ------------------------------------------------------------------ durations


def duration(seconds: float | None, *, exact: bool = False, none: str = NONE) -> str:
    """Two units at most, rounded to the second.

    Short (dashboard cells): `45s`, `12m`, `2h 5m`, `2h`, `3d 4h`, `3d`.
    Exact (alerts, incidents, reports): `45s`, `12m 05s`, `2h 05m`, `2h 00m`, `3d 4h`.
    """
    if seconds is None:
        return none
    s = round(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m {s:02d}s" if exact and s else f"{m}m"
    h, m = divmod(m, 60)
    if h < 24:
        if exact:
            return f"{h}h {m:02d}m"
        return f"{h}h {m}m" if m else f"{h}h"
    d, h = divmod(h, 24)
    return f"{d}d {h}h" if h or exact else f"{d}d"


def coarse_duration(seconds: float | None, *, none: str = NONE) -> str:
    """A duration to the minute (`<1m` under one), for labels that must not tick each
    second: `VERDICT for 12m`."""
    if seconds is None:
        return none
    if seconds < 60:
        return "<1m"
    return duration(seconds // 60 * 60)


def age(seconds: float | None, *, none: str = NONE) -> str:
    """How long ago, in coarse steps so a cell rarely changes: `<10s`, `10s` … `50s`
    (10 s steps), then `1m` … `59m`, `1h` … `23h`, then days."""
    if seconds is None:
        return none
    s = max(0, int(seconds))
    if s < 10:
        return "<10s"
    if s < 60:
        return f"{s // 10 * 10}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


# ------------------------------------------------------------------ latencies


def latency(seconds: float | None, *, none: str = NONE) -> str:
    """`245ms`, `4.2s`, `12s`: three significant figures at most, the unit always shown."""
    if seconds is None:
        return none
    ms = round(max(0.0, seconds) * 1000)
    if ms < 1000:
        return f"{ms}ms"
    tenths = f"{seconds:.1f}"
    if float(tenths) < 10.0:  # 9.96 reads `10s`, not `10.0s`
        return f"{tenths}s"
    return f"{round(seconds)}s"


# ------------------------------------------------------------------ percentages


def percent(ratio: float | None, *, none: str = NONE) -> str:
    """A share of samples in whole percents (reachability, eval pass): `100%`, `67%`."""
    if ratio is None:
        return none
    return f"{ratio * 100:.0f}%"


def uptime(ratio: float | None, *, none: str = NONE) -> str:
    """Uptime to two decimals, `99.95%`; `100%` and `0%` when exact at that precision."""
    if ratio is None:
        return none
    if ratio >= 0.99995:
        return "100%"
    if ratio <= 0.0:
        return "0%"
    return f"{ratio * 100:.2f}%"


# ------------------------------------------------------------------ times


def clock(ts: float | None, *, seconds: bool = True, none: str = NONE) -> str:
    """Local wall-clock time of an epoch timestamp: `10:03:12` (or `10:03`)."""
    if ts is None:
        return none
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", time.localtime(ts))


def when(ts: float, now: float) -> str:
    """`10:15` today, `Nov 21 10:15` on another day: for history lists."""
    same_day = time.localtime(ts)[:3] == time.localtime(now)[:3]
    return time.strftime("%H:%M" if same_day else "%b %d %H:%M", time.localtime(ts))


def day(ts: float) -> str:
    """The local date, `2026-11-21`."""
    return time.strftime("%Y-%m-%d", time.localtime(ts))


def stamp(ts: float | None, *, none: str = NONE) -> str:
    """Local date and time with the UTC offset, for documents read days later:
    `2026-11-21 10:03:12 +0100`."""
    if ts is None:
        return none
    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(ts))


def iso_utc(ts: float) -> str:
    """UTC in ISO 8601 to the second, `2026-11-21T09:03:12Z`: for machines and payloads."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_utc_now() -> str:
    return iso_utc(time.time())
