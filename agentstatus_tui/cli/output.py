"""Small text formats the commands share (milliseconds, percentages, UTC times)."""

from __future__ import annotations

from ..engine.documents import iso_utc, now_utc_iso, ttfb_ms

__all__ = ["format_ms", "iso_utc", "now_utc_iso", "percent", "ttfb_ms"]


def format_ms(seconds: float) -> str:
    """245ms under a second, 4.2s above."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.1f}s" if seconds < 100 else f"{seconds:.0f}s"


def percent(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x * 100:.0f}%" if x in (0, 1) else f"{x * 100:.1f}%"
