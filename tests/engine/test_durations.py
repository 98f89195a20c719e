"""One duration text for every surface: the short form of cells, the exact one of words."""

from __future__ import annotations

import pytest

from agentstatus_tui.engine.config.durations import human

MIN, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    ("seconds", "short", "exact"),
    [
        (0, "0s", "0s"),
        (-5, "0s", "0s"),  # clocks drift: never a negative duration
        (45, "45s", "45s"),
        (59.6, "1m", "1m"),  # rounded to the second
        (12 * MIN, "12m", "12m"),
        (12 * MIN + 5, "12m", "12m 05s"),
        (12 * MIN + 30, "12m", "12m 30s"),
        (2 * HOUR, "2h", "2h 00m"),
        (2 * HOUR + 5 * MIN + 40, "2h 5m", "2h 05m"),
        (14 * HOUR + 41 * MIN, "14h 41m", "14h 41m"),
        (3 * DAY, "3d", "3d 0h"),
        (3 * DAY + 4 * HOUR + 59 * MIN, "3d 4h", "3d 4h"),
    ],
)
def test_short_and_exact(seconds, short, exact):
    assert human(seconds) == short
    assert human(seconds, exact=True) == exact


def test_no_duration_reads_as_asked():
    assert human(None) == "-"
    assert human(None, exact=True, none="unknown time") == "unknown time"
