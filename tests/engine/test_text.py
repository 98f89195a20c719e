"""One text form per kind of number: durations, latencies, percentages and times read the
same on the dashboard, in the CLI, in alerts and in incident documents."""

from __future__ import annotations

import time

import pytest

from agentstatus_tui.engine import text
from agentstatus_tui.engine.alerts.messages import AlertFacts, fact_lines
from agentstatus_tui.ui import format as fmt

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
def test_duration_short_and_exact(seconds, short, exact):
    assert text.duration(seconds) == short
    assert text.duration(seconds, exact=True) == exact


def test_no_duration_reads_as_asked():
    assert text.duration(None) == "-"
    assert text.duration(None, exact=True, none="unknown time") == "unknown time"


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(None, "-"), (0, "<1m"), (59.9, "<1m"), (60, "1m"), (12 * MIN + 59, "12m"),
     (2 * HOUR + 5 * MIN + 59, "2h 5m"), (3 * DAY + 30 * MIN, "3d")],
)
def test_coarse_duration_moves_by_the_minute(seconds, expected):
    assert text.coarse_duration(seconds) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(None, "-"), (-3, "<10s"), (0, "<10s"), (9.9, "<10s"), (10, "10s"), (19, "10s"),
     (59, "50s"), (60, "1m"), (119, "1m"), (3599, "59m"), (3600, "1h"), (86399, "23h"),
     (90000, "1d")],
)
def test_age_moves_in_coarse_steps(seconds, expected):
    assert text.age(seconds) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, "-"),
        (0, "0ms"),
        (0.0451, "45ms"),
        (0.245, "245ms"),
        (0.9994, "999ms"),
        (0.9996, "1.0s"),  # never `1000ms`
        (1.0, "1.0s"),
        (4.2, "4.2s"),
        (9.94, "9.9s"),
        (9.96, "10s"),  # never `10.0s`: three significant figures at most
        (12.4, "12s"),
        (125.6, "126s"),
    ],
)
def test_latency(seconds, expected):
    assert text.latency(seconds) == expected


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(None, "-"), (0.0, "0%"), (0.004, "0%"), (2 / 3, "67%"), (0.8, "80%"), (1.0, "100%")],
)
def test_percent_in_whole_percents(ratio, expected):
    assert text.percent(ratio) == expected


def test_missing_percent_reads_as_asked():
    assert text.percent(None, none="n/a") == "n/a"


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(None, "-"), (0.0, "0%"), (0.00001, "0.00%"), (0.5, "50.00%"), (0.9995, "99.95%"),
     (0.99994, "99.99%"), (0.99995, "100%"), (1.0, "100%")],
)
def test_uptime_to_two_decimals(ratio, expected):
    assert text.uptime(ratio) == expected


# A fixed local time: 2026-11-21 10:03:12 in this machine's zone.
LOCAL = time.mktime((2026, 11, 21, 10, 3, 12, 0, 0, -1))


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: text.clock(LOCAL), "10:03:12"),
        (lambda: text.clock(LOCAL, seconds=False), "10:03"),
        (lambda: text.clock(None), "-"),
        (lambda: text.day(LOCAL), "2026-11-21"),
        (lambda: text.when(LOCAL, LOCAL + 3600), "10:03"),
        (lambda: text.when(LOCAL, LOCAL + 2 * DAY), "Nov 21 10:03"),
        (lambda: text.stamp(LOCAL)[:19], "2026-11-21 10:03:12"),
        (lambda: text.stamp(None), "-"),
        (lambda: text.iso_utc(1_763_719_392.9), "2025-11-21T10:03:12Z"),  # to the second
    ],
)
def test_times(call, expected):
    assert call() == expected


def test_stamp_carries_the_utc_offset():
    offset = text.stamp(LOCAL)[20:]
    assert offset == time.strftime("%z", time.localtime(LOCAL))
    assert offset[0] in "+-" and len(offset) == 5


def test_iso_utc_now_is_now():
    before = text.iso_utc(time.time())
    now = text.iso_utc_now()
    after = text.iso_utc(time.time())
    assert before <= now <= after


def test_the_dashboard_uses_the_same_forms():
    """The dashboard's cell module hands numbers to this one, not a copy of it."""
    for name in ("latency", "percent", "uptime", "age", "clock", "when", "coarse_duration"):
        assert getattr(fmt, name) is getattr(text, name)


def test_alert_text_uses_the_same_forms():
    facts = AlertFacts(event="resolve", agent_id="a", agent_name="A", at=0.0,
                       reachability=2 / 3, eval_pass=1.0, duration_s=725.0, started_at=60.0)
    lines = fact_lines(facts)
    assert "Reachability: 67%" in lines
    assert "Eval pass: 100%" in lines
    assert "Outage lasted: 12m 05s (since 1970-01-01T00:01:00Z)" in lines
    assert "Time: 1970-01-01T00:00:00Z" in lines


def test_cli_lines_use_the_same_forms():
    from agentstatus_tui.cli.check import agent_line
    from agentstatus_tui.cli.history import history_text
    from agentstatus_tui.engine.model import RunResult, Stats, Verdict

    s = Stats(Verdict.DEGRADED, validations=3, validations_ok=2, gold=2, gold_ok=1,
              ttfb_p50=12.4)
    run = RunResult("a", 0.0, 1.0, overall=s, regions={"eu": s})
    assert agent_line("A", run) == "A: DEGRADED p50 12s reach 67% eval 50% [eu=DEGRADED:12s]"

    doc = {
        "agent": {"id": "a", "name": "a"}, "region": None, "verdict": "UP",
        "verdict_since": None, "since": "2026-11-21T10:00:00Z", "until": "2026-11-22T10:00:00Z",
        "uptime": 0.99999, "transitions": [],
        "outages": {"count": 0, "total_s": 0, "longest_s": None, "mttr_s": None, "mtbf_s": None},
        "runs": [{"started_at": "2026-11-21T10:00:00Z", "manual": False, "verdict": "UP",
                  "ttfb_ms": {"p50": 12400, "p95": 1000}, "reachability": 2 / 3,
                  "eval_pass": None, "errors": {}}],
    }
    out = history_text(doc)
    assert "uptime 100% ·" in out
    assert "UP       12s  1.0s  67%    -     -" in out


def test_gold_prompt_and_document_texts_use_the_same_forms():
    from agentstatus_tui.engine.incidents.document import _pct
    from agentstatus_tui.engine.model import Expectation
    from agentstatus_tui.engine.probe.expectations import failures

    slow = Expectation("max_ttfb", 1.5)
    assert failures((slow,), "4", 2.345) == ["max_ttfb: 1.5s, got 2.3s"]
    assert failures((slow,), "4", None) == ["max_ttfb: 1.5s, got no answer"]
    assert _pct(2, 3) == "67%" and _pct(0, 0) == "-"
