"""Uptime, outage, MTTR and MTBF arithmetic on hand-built verdict sequences."""

from __future__ import annotations

import pytest

from agentstatus_tui.engine.history.records import Transition
from agentstatus_tui.engine.history.uptime import (
    fold_short_gaps,
    outages,
    short_gap,
    summarize,
    uptime,
)
from agentstatus_tui.engine.model import Verdict

UP, DOWN, DEG, UNK, REACH = (
    Verdict.UP,
    Verdict.DOWN,
    Verdict.DEGRADED,
    Verdict.UNKNOWN,
    Verdict.REACHABLE,
)


def test_no_data_is_none_not_zero_or_hundred():
    assert uptime([], 0, 100) is None
    s = summarize([], 0, 100)
    assert s.uptime is None and s.outages == () and s.mttr is None and s.mtbf is None


def test_only_unknown_is_none():
    assert uptime([(0, UNK)], 0, 100) is None


def test_all_up_is_one_and_reachable_counts_as_up():
    assert uptime([(0, UP)], 10, 100) == 1.0
    assert uptime([(0, REACH)], 10, 100) == 1.0
    assert uptime([(0, UP), (50, REACH)], 10, 100) == 1.0


def test_degraded_is_known_but_not_up():
    # 60 s UP, 40 s DEGRADED
    assert uptime([(0, UP), (60, DEG)], 0, 100) == pytest.approx(0.6)
    assert outages([(0, UP), (60, DEG)], 0, 100) == []


def test_unknown_gap_excluded_from_both_sides():
    # UP 0-40, UNKNOWN 40-90 (monitor stopped), DOWN 90-100
    pts = [(0, UP), (40, UNK), (90, DOWN)]
    assert uptime(pts, 0, 100) == pytest.approx(40 / 50)


def test_time_before_first_point_is_unknown():
    # Agent added at t=50: the first half of the window is not counted as up or down.
    assert uptime([(50, UP), (75, DOWN)], 0, 100) == pytest.approx(0.5)


def test_window_starting_mid_outage_takes_verdict_from_before_window():
    pts = [(0, UP), (100, DOWN), (300, UP)]
    s = summarize(pts, 200, 400)
    assert s.uptime == pytest.approx(100 / 200)
    assert len(s.outages) == 1
    o = s.outages[0]
    assert (o.start, o.end, o.duration) == (200, 300, 100)
    assert o.began_before and not o.ongoing


def test_outage_clipped_at_window_end_is_not_ongoing_when_later_data_exists():
    pts = [(0, UP), (100, DOWN), (300, UP)]
    [o] = outages(pts, 0, 200)
    assert (o.start, o.end, o.duration) == (100, 200, 100)
    assert not o.ongoing


def test_ongoing_outage_has_no_end_and_is_not_in_mttr():
    pts = [(0, UP), (100, DOWN), (200, UP), (300, DOWN)]
    s = summarize(pts, 0, 400)
    assert [o.ongoing for o in s.outages] == [False, True]
    assert s.outages[1].end is None and s.outages[1].duration == 100
    assert s.mttr == 100  # only the repaired one
    assert s.outage_total == 200 and s.outage_longest == 100
    # operating = 400 known - 200 down, over 2 outages
    assert s.mtbf == pytest.approx(100)


def test_down_unknown_down_is_one_outage_and_gap_not_counted_as_down():
    # Dashboard restarted mid-outage: DOWN 100-150, UNKNOWN 150-170, DOWN 170-200, UP.
    pts = [(0, UP), (100, DOWN), (150, UNK), (170, DOWN), (200, UP)]
    s = summarize(pts, 0, 300)
    assert len(s.outages) == 1
    o = s.outages[0]
    assert (o.start, o.end, o.duration, o.unknown) == (100, 200, 80, 20)
    assert s.uptime == pytest.approx(200 / 280)
    assert s.mttr == 80


def test_down_then_unknown_at_the_end_is_still_ongoing():
    # The dashboard was quit during the outage: nobody saw a recovery.
    pts = [(0, UP), (100, DOWN), (150, UNK)]
    s = summarize(pts, 0, 300)
    [o] = s.outages
    assert (o.start, o.end, o.duration, o.unknown) == (100, None, 50, 150)
    assert o.ongoing
    assert s.mttr is None  # not repaired
    assert s.uptime == pytest.approx(100 / 150)  # the UNKNOWN time is outside uptime


def test_quit_during_an_outage_then_restart_still_down_is_one_ongoing_outage():
    # DOWN, quit (UNKNOWN), restarted 3 s later and still DOWN, quit again.
    pts = [(0, UP), (100, DOWN), (355, UNK), (358, DOWN), (400, UNK)]
    s = summarize(pts, 0, 500)
    [o] = s.outages
    assert (o.start, o.end, o.duration, o.unknown) == (100, None, 255 + 42, 3 + 100)
    assert s.outage_count == 1 and s.mttr is None


def test_down_unknown_up_ends_the_outage_at_the_recovery():
    pts = [(0, DOWN), (50, UNK), (80, UP)]
    [o] = outages(pts, 0, 100)
    assert (o.start, o.end, o.duration, o.unknown) == (0, 80, 50, 30)
    assert o.began_before and not o.ongoing


def test_degraded_after_down_is_a_recovery():
    pts = [(0, UP), (100, DOWN), (130, UNK), (140, DEG), (200, DOWN), (210, UP)]
    s = summarize(pts, 0, 300)
    assert [(o.start, o.end, o.duration, o.unknown) for o in s.outages] == [
        (100, 140, 30, 10), (200, 210, 10, 0)]
    assert s.mttr == pytest.approx(20)


def test_down_then_unknown_in_a_closed_window_is_clipped_at_the_window_end():
    pts = [(0, UP), (100, DOWN), (150, UNK), (400, UP)]
    [o] = outages(pts, 0, 300)
    assert (o.start, o.end, o.duration, o.unknown) == (100, 300, 50, 150)


def test_mttr_and_mtbf_standard_numbers():
    # Three outages of 10, 20, 30 s in 1000 s, DEGRADED counts as operating.
    pts = [
        (0, UP),
        (100, DOWN), (110, UP),
        (300, DOWN), (320, DEG),
        (500, DOWN), (530, UP),
    ]
    s = summarize(pts, 0, 1000)
    assert s.outage_count == 3
    assert s.mttr == pytest.approx(20)
    assert s.mtbf == pytest.approx((1000 - 60) / 3)
    assert s.uptime == pytest.approx((1000 - 60 - 180) / 1000)


def test_points_after_window_are_ignored_for_uptime():
    pts = [(0, UP), (500, DOWN)]
    assert uptime(pts, 0, 100) == 1.0


def test_repeated_verdicts_merge_and_a_late_point_never_runs_time_backwards():
    assert uptime([(0, UP), (10, UP), (20, DOWN)], 0, 30) == 20 / 30
    # A late point (written out of order by a second process) takes effect no earlier
    # than the point before it: no negative stretch, and the window's time adds up.
    assert uptime([(0, UP), (20, DOWN), (15, UP)], 0, 30) == 1.0
    assert outages([(0, UP), (20, DOWN), (15, UP)], 0, 30) == []


def _changes(*steps: tuple[float, Verdict, Verdict]) -> list[Transition]:
    return [Transition(i, "a", None, at, prev, cur) for i, (at, prev, cur) in enumerate(steps)]


def _rows(changes: list[Transition]) -> list[tuple[float, Verdict, Verdict]]:
    return [(c.at, c.previous, c.current) for c in changes]


def test_restarts_do_not_clutter_the_verdict_changes():
    changes = _changes(
        (0, UNK, UP),
        (100, UP, UNK), (103, UNK, UP),  # restart: 3 s unknown, still UP
        (200, UP, DOWN),
        (300, DOWN, UNK), (302, UNK, DOWN),  # restart mid-outage
        (400, DOWN, UNK), (450, UNK, UP),  # quit while DOWN, back UP 50 s later
    )
    assert _rows(fold_short_gaps(changes, 300)) == [
        (0, UNK, UP), (200, UP, DOWN), (450, DOWN, UP)]


def test_long_gaps_and_a_gap_open_now_are_kept():
    changes = _changes((0, UNK, UP), (100, UP, UNK), (1000, UNK, UP), (1100, UP, UNK))
    assert _rows(fold_short_gaps(changes, 300)) == _rows(changes)
    assert short_gap(60) == 300 and short_gap(600) == 1800
