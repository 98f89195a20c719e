"""The verdict table (DOWN, DEGRADED, UP, REACHABLE, UNKNOWN), row by row."""

from __future__ import annotations

import pytest

from agentstatus_tui.engine.model import RequestResult, Thresholds, Verdict, most_urgent
from agentstatus_tui.engine.verdicts import decide, percentile, summarize

T = Thresholds()


@pytest.mark.parametrize(
    ("validations", "ok", "gold", "gold_ok", "p50", "expected", "why"),
    [
        (10, 10, 2, 2, 0.3, Verdict.UP, "all reachable, evals pass, fast"),
        (10, 10, 0, 0, 0.3, Verdict.REACHABLE, "up but no gold prompts"),
        (10, 1, 2, 2, 0.3, Verdict.DOWN, "10% reachable < 20%"),
        (10, 0, 2, 0, None, Verdict.DOWN, "nothing reachable"),
        (10, 2, 2, 2, 0.3, Verdict.DEGRADED, "exactly 20% is not DOWN"),
        (10, 9, 2, 2, 0.3, Verdict.DEGRADED, "9/10 is DEGRADED: the 95% rule wins"),
        (100, 94, 2, 2, 0.3, Verdict.DEGRADED, "94% < 95%"),
        (100, 95, 2, 2, 0.3, Verdict.UP, "exactly 95% is UP"),
        (10, 10, 5, 3, 0.3, Verdict.DEGRADED, "eval pass 60% < 80%"),
        (10, 10, 5, 4, 0.3, Verdict.UP, "eval pass exactly 80% is UP"),
        (10, 10, 2, 2, 2.5, Verdict.DEGRADED, "median TTFB misses the 2s SLA"),
        (10, 10, 2, 2, 2.0, Verdict.UP, "median TTFB exactly at the SLA is met"),
        (10, 10, 0, 0, 2.5, Verdict.DEGRADED, "slow without gold prompts"),
        (0, 0, 0, 0, None, Verdict.UNKNOWN, "no validations ran"),
    ],
)
def test_verdict_table(validations, ok, gold, gold_ok, p50, expected, why):
    got = decide(validations=validations, validations_ok=ok, gold=gold, gold_ok=gold_ok,
                 ttfb_p50=p50, ttfb_sla=2.0, thresholds=T)
    assert got is expected, why


def test_some_region_down_makes_overall_degraded():
    got = decide(validations=10, validations_ok=10, gold=1, gold_ok=1, ttfb_p50=0.2,
                 ttfb_sla=2.0, thresholds=T, some_region_down=True)
    assert got is Verdict.DEGRADED


def test_team_can_make_nine_of_ten_up():
    t = Thresholds(degraded_below=0.9)
    got = decide(validations=10, validations_ok=9, gold=1, gold_ok=1, ttfb_p50=0.2,
                 ttfb_sla=2.0, thresholds=t)
    assert got is Verdict.UP


def _req(region, kind="validation", ok=True, ttfb=0.2, error=None):
    return RequestResult(region=region, kind=kind, started_at=0.0, ok=ok, ttfb=ttfb if ok or error == "EVAL_FAIL" else None,
                         error=error, gold_index=0 if kind == "gold" else None)


def test_seed_regional_example_one_slow_region():
    """US 245 ms, EU 312 ms, AP 4,200 ms, SLA 2 s → AP DEGRADED, overall UP."""
    reqs = []
    for region, ttfb in (("us", 0.245), ("eu", 0.312), ("ap", 4.2)):
        reqs += [_req(region, ttfb=ttfb) for _ in range(4)]
        reqs.append(_req(region, kind="gold", ttfb=ttfb))
    overall, regions = summarize(reqs, ["us", "eu", "ap"], ttfb_sla=2.0, thresholds=T)
    assert regions["us"].verdict is Verdict.UP
    assert regions["eu"].verdict is Verdict.UP
    assert regions["ap"].verdict is Verdict.DEGRADED
    assert overall.verdict is Verdict.UP
    assert overall.ttfb_p50 == pytest.approx(0.312)


def test_one_region_down_overall_degraded():
    reqs = [_req("us") for _ in range(5)] + [
        _req("eu", ok=False, error="HTTP_503") for _ in range(5)
    ]
    overall, regions = summarize(reqs, ["us", "eu"], ttfb_sla=2.0, thresholds=T)
    assert regions["eu"].verdict is Verdict.DOWN
    assert regions["eu"].errors == {"HTTP_503": 5}
    assert overall.verdict is Verdict.DEGRADED


def test_failed_gold_prompt_counts_against_eval_not_reachability():
    reqs = [_req("us") for _ in range(10)] + [
        _req("us", kind="gold", ok=False, error="EVAL_FAIL") for _ in range(2)
    ]
    overall, _ = summarize(reqs, ["us"], ttfb_sla=2.0, thresholds=T)
    assert overall.reachability == 1.0
    assert overall.eval_pass == 0.0
    assert overall.verdict is Verdict.DEGRADED
    assert overall.errors == {"EVAL_FAIL": 2}


def test_canary_discarded_region_is_unknown_and_left_out():
    reqs = [_req("us") for _ in range(5)] + [_req("eu", ok=False, error="TIMEOUT") for _ in range(5)]
    overall, regions = summarize(reqs, ["us", "eu"], ttfb_sla=2.0, thresholds=T,
                                 discarded=["eu"])
    assert regions["eu"].verdict is Verdict.UNKNOWN and regions["eu"].discarded
    assert overall.verdict is Verdict.REACHABLE
    assert overall.errors == {}


def test_every_region_discarded_is_unknown():
    reqs = [_req("us", ok=False, error="TIMEOUT")]
    overall, _ = summarize(reqs, ["us"], ttfb_sla=2.0, thresholds=T, discarded=["us"])
    assert overall.verdict is Verdict.UNKNOWN


def test_most_urgent_order():
    assert most_urgent([Verdict.UNKNOWN, Verdict.DOWN, Verdict.UP]) is Verdict.DOWN
    assert most_urgent([Verdict.UNKNOWN, Verdict.DEGRADED]) is Verdict.DEGRADED
    assert most_urgent([Verdict.UNKNOWN, Verdict.UP]) is Verdict.UNKNOWN
    assert most_urgent([Verdict.REACHABLE, Verdict.UP]).is_up
    assert most_urgent([]) is Verdict.UNKNOWN


def test_percentile():
    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([1.0, 2.0], 0.5) == 1.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.95) == pytest.approx(3.85)
