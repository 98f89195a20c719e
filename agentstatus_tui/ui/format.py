"""Pure text of the dashboard's cells: verdict words, latencies, error codes, coarse ages.

No Textual here: every string the grid, header and detail pane show is decided by these
functions, so they can be tested as plain data and so a cell is rewritten only when its
text really changes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from ..engine.config.durations import human
from ..engine.model import Stats, Verdict

REACHABLE_MARK = "·"
IN_FLIGHT_MARK = "~"
NONE = "-"

# Short forms for narrow terminals. Words stay words (no colour needed to read them).
_SHORT_VERDICT = {
    Verdict.UP: "UP",
    Verdict.REACHABLE: "UP" + REACHABLE_MARK,
    Verdict.DEGRADED: "DEG",
    Verdict.DOWN: "DOWN",
    Verdict.UNKNOWN: "UNK",
}
_SHORT_ERROR = {
    "TIMEOUT": "T/O",  # not "TIME": "DOWN TIME" would read as downtime
    "CONNECT": "CONN",
    "PROTOCOL": "PROTO",
    "BAD_BODY": "BODY",
    "TOO_LARGE": "BIG",
    "EVAL_FAIL": "EVAL",
    "CANARY": "CANRY",
}


def verdict_word(verdict: Verdict, *, short: bool = False) -> str:
    """The word shown for a verdict; REACHABLE reads as UP with a mark (DESIGN §3)."""
    if short:
        return _SHORT_VERDICT[verdict]
    if verdict is Verdict.REACHABLE:
        return "UP" + REACHABLE_MARK
    return verdict.value


def latency(seconds: float | None) -> str:
    """`245ms`, `4.2s`, `12s`: three significant figures at most, units always shown."""
    if seconds is None:
        return NONE
    if seconds < 1.0:
        return f"{round(seconds * 1000)}ms"
    if seconds < 10.0:
        return f"{seconds:.1f}s"
    return f"{round(seconds)}s"


def error_code(code: str, *, short: bool = False) -> str:
    if not short:
        return code
    if code.startswith("HTTP_"):
        return code[5:]
    return _SHORT_ERROR.get(code, code)


def top_error(errors: Mapping[str, int]) -> str | None:
    """The most frequent error code (ties: alphabetical, so the text is stable)."""
    if not errors:
        return None
    return min(errors.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def region_cell(verdict: Verdict, stats: Stats | None, *, short: bool = False) -> str:
    """One region's cell: `UP 245ms`, `DEGRADED 4.2s`, `DOWN HTTP_503`, `UNKNOWN`.

    DOWN shows why (its top error code); other verdicts show the median latency, or the
    top error when nothing answered."""
    word = verdict_word(verdict, short=short)
    if verdict is Verdict.UNKNOWN or stats is None or stats.discarded:
        return word
    err = top_error(stats.errors)
    if verdict is Verdict.DOWN or stats.ttfb_p50 is None:
        return f"{word} {error_code(err, short=short)}" if err else word
    return f"{word} {latency(stats.ttfb_p50)}"


def percent(ratio: float | None, *, missing: str = "n/a") -> str:
    """`100%`, `80%` — eval pass and reachability, whole percents."""
    if ratio is None:
        return missing
    return f"{ratio * 100:.0f}%"


def uptime(ratio: float | None) -> str:
    """`99.95%`; `100%` and `0%` only when exact at this precision."""
    if ratio is None:
        return NONE
    if ratio >= 0.99995:
        return "100%"
    if ratio <= 0.0:
        return "0%"
    return f"{ratio * 100:.2f}%"


def age(seconds: float | None) -> str:
    """How long ago, in coarse steps so the cell rarely changes: `<10s`, `10s` … `50s`
    (10 s steps), then `1m` … `59m`, `1h` … `23h`, then days."""
    if seconds is None:
        return NONE
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


def next_age_change(seconds: float) -> float:
    """Seconds until `age(seconds)` shows a different text (for a ticker that wakes only
    when a label would change)."""
    s = max(0.0, seconds)
    step = 10 if s < 60 else 60 if s < 3600 else 3600 if s < 86400 else 86400
    return step - (s % step)


def clock(ts: float | None, *, seconds: bool = True) -> str:
    """Local wall-clock time of an epoch timestamp."""
    if ts is None:
        return NONE
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", time.localtime(ts))


def when(ts: float, now: float) -> str:
    """`10:15` today, `Nov 21 10:15` on another day: for history lists."""
    same_day = time.localtime(ts)[:3] == time.localtime(now)[:3]
    return time.strftime("%H:%M" if same_day else "%b %d %H:%M", time.localtime(ts))


def snippet(text: str | None, limit: int = 160) -> str:
    """One line of at most `limit` characters (bodies can be long and multi-line)."""
    if not text:
        return ""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def coarse_span(seconds: float | None) -> str:
    """A short duration to the minute (`<1m` under one), for labels that must not tick
    each second."""
    if seconds is None:
        return NONE
    if seconds < 60:
        return "<1m"
    return human(seconds // 60 * 60, none=NONE)


def error_counts(errors: Mapping[str, int]) -> str:
    """`HTTP_503×3 TIMEOUT` — most frequent first; `-` when there were none."""
    if not errors:
        return NONE
    items = sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))
    return " ".join(code if n == 1 else f"{code}×{n}" for code, n in items)
