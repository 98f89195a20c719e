"""Maintenance windows: the config section (validate's file:line errors) and when each
window is on, including across daylight-saving changes in non-UTC zones."""

from __future__ import annotations

from datetime import UTC, datetime
from textwrap import dedent
from zoneinfo import ZoneInfo

import pytest

from agentstatus_tui.engine.config.load import load_config_text
from agentstatus_tui.engine.maintenance import (
    agent_maintenance,
    occurrence_at,
    occurrences,
)
from agentstatus_tui.engine.model import AgentConfig, Config, ConfigError, MaintenanceWindow

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600.0


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def local(zone: ZoneInfo, *args: int, fold: int = 0) -> float:
    return datetime(*args, tzinfo=zone, fold=fold).timestamp()


def weekly(cron: str, duration: float, zone: str) -> MaintenanceWindow:
    return MaintenanceWindow("w", agents=("bot",), cron=cron, duration=duration, timezone=zone)


# ------------------------------------------------------------------ occurrences


def test_a_window_at_0230_on_the_spring_forward_night_starts_when_the_clocks_jump():
    # Berlin, Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 never
    # happens. Cron runs the skipped hour's jobs at the jump: so does the window.
    w = weekly("30 2 * * SUN", 2 * HOUR, "Europe/Berlin")
    assert occurrences(w, utc(2026, 3, 28), utc(2026, 3, 30)) == [
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 3, 0))]
    assert occurrence_at(w, utc(2026, 3, 29, 0, 59)) is None
    assert occurrence_at(w, utc(2026, 3, 29, 1, 0)) == (utc(2026, 3, 29, 1), utc(2026, 3, 29, 3))
    # The Sundays before and after are 02:30 local as usual (CET, then CEST).
    assert occurrences(w, utc(2026, 3, 21), utc(2026, 3, 23)) == [
        (local(BERLIN, 2026, 3, 22, 2, 30), local(BERLIN, 2026, 3, 22, 4, 30))]
    assert occurrences(w, utc(2026, 4, 4), utc(2026, 4, 6)) == [
        (utc(2026, 4, 5, 0, 30), utc(2026, 4, 5, 2, 30))]


def test_a_window_over_the_fall_back_hour_happens_once_and_lasts_its_real_duration():
    # Berlin, Sunday 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:30
    # happens twice. One occurrence, from the first 02:30, lasting two real hours.
    w = weekly("30 2 * * SUN", 2 * HOUR, "Europe/Berlin")
    first = local(BERLIN, 2026, 10, 25, 2, 30, fold=0)
    assert first == utc(2026, 10, 25, 0, 30)
    assert occurrences(w, utc(2026, 10, 24), utc(2026, 10, 26)) == [(first, first + 2 * HOUR)]
    # During the second 02:30 (01:30 UTC) it is still the same occurrence.
    assert occurrence_at(w, utc(2026, 10, 25, 1, 30)) == (first, first + 2 * HOUR)
    assert occurrence_at(w, utc(2026, 10, 25, 2, 30)) is None


def test_a_window_starting_before_the_fall_back_spans_the_repeated_hour():
    # 01:30 CEST + 2h = 02:30 CET: two hours of real time, one on the wall clock.
    w = weekly("30 1 * * SUN", 2 * HOUR, "Europe/Berlin")
    start = local(BERLIN, 2026, 10, 25, 1, 30)
    (got,) = occurrences(w, utc(2026, 10, 24), utc(2026, 10, 26))
    assert got == (start, start + 2 * HOUR)
    assert datetime.fromtimestamp(got[1], BERLIN).strftime("%H:%M %Z") == "02:30 CET"


def test_new_york_windows_across_both_changes():
    # America/New_York 2026: spring forward Sun Mar 8 at 02:00 EST (07:00 UTC), fall back
    # Sun Nov 1 at 02:00 EDT (06:00 UTC) to 01:00 EST: 01:00-02:00 happens twice.
    w = weekly("30 2 * * SUN", HOUR, "America/New_York")
    assert occurrences(w, utc(2026, 3, 7), utc(2026, 3, 9)) == [
        (utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 8, 0))]
    assert occurrences(w, utc(2026, 10, 31), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 7, 30), utc(2026, 11, 1, 8, 30))]  # 02:30 EST, once
    twice = weekly("30 1 * * SUN", 2 * HOUR, "America/New_York")
    assert occurrences(twice, utc(2026, 10, 31), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7, 30))]  # the first 01:30 (EDT)
    daily = weekly("0 23 * * *", HOUR, "America/New_York")
    # 23:00 local is 03:00 UTC in summer and 04:00 UTC in winter.
    assert occurrence_at(daily, utc(2026, 7, 2, 3, 30)) == (utc(2026, 7, 2, 3), utc(2026, 7, 2, 4))
    assert occurrence_at(daily, utc(2026, 12, 2, 3, 30)) is None
    assert occurrence_at(daily, utc(2026, 12, 2, 4, 30)) == (utc(2026, 12, 2, 4), utc(2026, 12, 2, 5))


def test_one_off_windows_and_clipping_and_merging():
    once = MaintenanceWindow("once", agents=("bot",), start=1000.0, end=2000.0)
    assert occurrence_at(once, 999.0) is None
    assert occurrence_at(once, 1000.0) == (1000.0, 2000.0)
    assert occurrence_at(once, 2000.0) is None
    assert occurrences(once, 1500.0, 5000.0) == [(1500.0, 2000.0)]
    # Every hour for 90 minutes: occurrences overlap and merge into one stretch.
    hourly = weekly("0 * * * *", 1.5 * HOUR, "UTC")
    assert occurrences(hourly, utc(2026, 1, 1, 10), utc(2026, 1, 1, 13)) == [
        (utc(2026, 1, 1, 10), utc(2026, 1, 1, 13))]


def test_agent_maintenance_by_id_tag_and_all_regions():
    bot = AgentConfig("bot", "Bot", "https://x/v1", regions=("us", "eu"), tags=("batch",))
    by_tag = MaintenanceWindow("t", tags=("batch",), start=0.0, end=10.0)
    one_region = MaintenanceWindow("r", regions=("eu",), start=20.0, end=30.0)
    all_regions = MaintenanceWindow("rr", regions=("eu", "us"), start=40.0, end=50.0)
    other = MaintenanceWindow("o", agents=("other",), start=60.0, end=70.0)
    windows = (by_tag, one_region, all_regions, other)
    assert agent_maintenance(windows, bot, 0.0, 100.0) == [(0.0, 10.0), (40.0, 50.0)]


# ------------------------------------------------------------------ the config


def load(text: str) -> Config:
    return load_config_text(dedent(text), "agents.yaml", {})


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(text)
    return caught.value.errors


AGENTS = """\
regions: {us: {}, eu: {}}
agents:
  - id: bot
    url: https://bot.example.com/v1/chat/completions
    tags: [batch, eu-team]
  - id: gateway
    url: https://gw.example.com/v1/chat/completions
"""


def test_windows_and_tags_load_into_the_config():
    config = load(AGENTS + dedent("""\
        maintenance:
          weekly-restart:
            cron: "0 2 * * SUN"
            duration: 2h
            timezone: Europe/Berlin
            tags: [batch]
            reason: weekly restart
          db-upgrade:
            start: 2026-12-01 02:00
            end: "2026-12-01T04:00:00+01:00"
            timezone: Europe/Berlin
            agents: [gateway]
            regions: [eu]
        """))
    assert config.agents[0].tags == ("batch", "eu-team")
    weekly_w, once = config.maintenance
    assert weekly_w == MaintenanceWindow("weekly-restart", tags=("batch",), reason="weekly restart",
                                         cron="0 2 * * SUN", duration=7200.0,
                                         timezone="Europe/Berlin")
    assert (once.start, once.end) == (utc(2026, 12, 1, 1), utc(2026, 12, 1, 3))
    assert (once.agents, once.regions, once.cron) == (("gateway",), ("eu",), None)


@pytest.mark.parametrize(("window", "expected"), [
    ('    cron: "0 25 * * *"\n    duration: 1h\n    agents: [bot]\n',
     "agents.yaml:10: maintenance.w.cron: not a valid cron expression: '0 25 * * *'"),
    ('    cron: "0 2 * *"\n    duration: 1h\n    agents: [bot]\n',
     "agents.yaml:10: maintenance.w.cron: a cron expression has 5 fields (minute hour day "
     "month weekday), got 4: '0 2 * *'"),
    ('    cron: "0 2 * * SUN"\n    agents: [bot]\n',
     "agents.yaml:10: maintenance.w: missing required key 'duration'"),
    ('    cron: "0 2 * * SUN"\n    duration: 1h\n    timezone: Europe/Berlinn\n'
     '    agents: [bot]\n',
     "agents.yaml:12: maintenance.w.timezone: unknown timezone 'Europe/Berlinn' (did you "
     "mean 'Europe/Berlin'?) (an IANA name like Europe/Berlin or UTC)"),
    ('    cron: "0 2 * * SUN"\n    duration: 1h\n    agents: [bott]\n',
     "agents.yaml:12: maintenance.w.agents: unknown agent 'bott' (did you mean 'bot'?) "
     "(agents: bot, gateway)"),
    ('    cron: "0 2 * * SUN"\n    duration: 1h\n    tags: [bach]\n',
     "agents.yaml:12: maintenance.w.tags: unknown tag 'bach' (did you mean 'batch'?) "
     "(tags: batch, eu-team)"),
    ('    cron: "0 2 * * SUN"\n    duration: 1h\n    regions: [ap]\n',
     "agents.yaml:12: maintenance.w.regions: unknown region 'ap' (regions: eu, us)"),
    ('    cron: "0 2 * * SUN"\n    duration: 1h\n',
     "agents.yaml:10: maintenance.w: name the agents, regions or tags it applies to "
     "(at least one)"),
    ('    start: 2026-12-01 04:00\n    end: 2026-12-01 02:00\n    agents: [bot]\n',
     "agents.yaml:11: maintenance.w.end: the end must come after the start"),
    ('    start: tomorrow\n    end: 2026-12-01 02:00\n    agents: [bot]\n',
     "agents.yaml:10: maintenance.w.start: expected a date and time like 2026-12-01 02:00 "
     "(or with an offset, 2026-12-01T02:00+01:00), got 'tomorrow'"),
    ('    start: 2026-12-01 02:00\n    cron: "0 2 * * *"\n    duration: 1h\n    agents: [bot]\n',
     "agents.yaml:10: maintenance.w: either start and end (once) or cron and duration "
     "(recurring), not both"),
    ('    agents: [bot]\n',
     "agents.yaml:10: maintenance.w: say when: start and end (once), or cron and duration "
     "(recurring)"),
    ('    cron: "0 2 * * SUN"\n    duration: 1h\n    agents: [bot]\n    tag: [batch]\n',
     "agents.yaml:13: maintenance.w: unknown key 'tag' (did you mean 'tags'?)"),
])
def test_window_errors_name_file_line_and_key_path(window: str, expected: str):
    assert errors(AGENTS + "maintenance:\n  w:\n" + window) == [expected]


def test_bad_tag_is_an_error():
    text = AGENTS.replace("tags: [batch, eu-team]", "tags: [Batch]")
    assert errors(text) == [
        "agents.yaml:5: agents[0].tags: tag 'Batch' may use only a-z, 0-9 and '-'"]
