"""How a number of seconds reads as text, for the dashboard, alerts, incidents and the CLI."""

from __future__ import annotations


def human(seconds: float | None, *, exact: bool = False, none: str = "-") -> str:
    """Two units at most, rounded to the second; `none` when there is no duration.

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
