"""The range of every number in the config. A value outside its range is an error that
names the range, so a typo (`validations: 200000`, `interval: 1ms`, `timeout: 1e308`) is
caught when the file is read instead of flooding an agent or stalling the monitor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
KIB = 1024
MIB = 1024**2

Unit = Literal["count", "seconds", "bytes", "ratio"]


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    unit: Unit = "count"
    why: str = ""  # said after the range when a value is outside it

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high

    def describe(self) -> str:
        return f"between {self.show(self.low)} and {self.show(self.high)}"

    def problem(self, written: str) -> str:
        why = f" ({self.why})" if self.why else ""
        return f"must be {self.describe()}{why}, got {written}"

    def show(self, value: float) -> str:
        if self.unit == "seconds":
            return duration_text(value)
        if self.unit == "bytes":
            return size_text(int(value))
        return f"{value:g}"


def duration_text(seconds: float) -> str:
    """`500ms`, `10s`, `5m`, `1h`, `1d` (as written in the config), largest whole unit."""
    if 0 < seconds < 1:
        return f"{seconds * 1000:g}ms"
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def size_text(size: int) -> str:
    for unit, step in (("MB", MIB), ("KB", KIB)):
        if size >= step and size % step == 0:
            return f"{size // step}{unit}"
    return f"{size} bytes"


# Any duration at all: beyond this a timer or a date overflows (`99999999999d`).
ANY_DURATION = Range(0.001, 3650 * DAY, "seconds")

AGENT = {
    # A run sends every validation and gold prompt and stores a row per region: more
    # often than once a second floods the agent and the store, and no screen shows it.
    "interval": Range(1.0, DAY, "seconds", "more often than once a second floods the agent"),
    # How soon a worse verdict is looked at again (it never delays the interval's run).
    "recheck": Range(1.0, HOUR, "seconds", "more often than once a second floods the agent"),
    "timeout": Range(0.1, 10 * MINUTE, "seconds"),
    "validations": Range(1, 1000, why="each is one request per run"),
    "retries": Range(0, 10),
    "ttfb_sla": Range(0.001, 10 * MINUTE, "seconds"),
    "max_tokens": Range(1, 100_000),
}
MAX_TTFB = Range(0.001, 10 * MINUTE, "seconds")  # a gold prompt's `max_ttfb:`
THRESHOLD = Range(0.0, 1.0, "ratio")

TOP = {
    "max_in_flight": Range(1, 10_000),
    # Every request in flight may hold a whole answer in memory.
    "max_body_bytes": Range(KIB, 64 * MIB, "bytes", "each request in flight may hold this much"),
    "run_deadline": Range(1.0, HOUR, "seconds"),
    "retention": Range(HOUR, 3650 * DAY, "seconds"),
}

DELIVERY = {
    # 0 sends every page at once; past an hour a grouped page is no longer news.
    "group_wait": Range(0.0, HOUR, "seconds", "pages are held this long"),
    "channel_failing_after": Range(10.0, DAY, "seconds"),
}

HEARTBEAT = {
    # Switch services count missed pings per minute at best: more often floods them.
    "every": Range(10.0, DAY, "seconds", "the switch's service is pinged this often"),
    "timeout": Range(1.0, MINUTE, "seconds"),
}

EMAIL = {
    "port": Range(1, 65535),
    "timeout": Range(1.0, 10 * MINUTE, "seconds"),
}
