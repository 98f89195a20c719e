"""The verdict rule (DOWN, DEGRADED, UP, REACHABLE or UNKNOWN from reachability, eval pass
and median TTFB against the thresholds), as pure functions over counts and medians."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from .model import RequestResult, Stats, Thresholds, Verdict


def decide(
    *,
    validations: int,
    validations_ok: int,
    gold: int,
    gold_ok: int,
    ttfb_p50: float | None,
    ttfb_sla: float,
    thresholds: Thresholds,
    some_region_down: bool = False,
) -> Verdict:
    """One verdict from one run's counts (a region's, or all regions' for overall).

    `some_region_down` is for the overall verdict only: some region is DOWN while others
    are not, which makes the agent DEGRADED overall at best.
    """
    if validations <= 0:
        return Verdict.UNKNOWN
    reachability = validations_ok / validations
    if reachability < thresholds.down_below:
        return Verdict.DOWN
    eval_ok = gold == 0 or gold_ok / gold >= thresholds.eval_pass_min
    sla_ok = ttfb_p50 is not None and ttfb_p50 <= ttfb_sla
    if reachability < thresholds.degraded_below or not eval_ok or not sla_ok or some_region_down:
        return Verdict.DEGRADED
    return Verdict.UP if gold > 0 else Verdict.REACHABLE


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..1) of `values`; None when empty."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _stats(
    requests: list[RequestResult],
    ttfb_sla: float,
    thresholds: Thresholds,
    some_region_down: bool = False,
) -> Stats:
    vals = [r for r in requests if r.kind == "validation"]
    golds = [r for r in requests if r.kind == "gold"]
    # Latency is measured over every request that got a well-formed answer (a gold
    # prompt answered wrongly still answered): the SLA is about speed, not correctness.
    ttfbs = [r.ttfb for r in requests if r.ttfb is not None and (r.ok or r.error == "EVAL_FAIL")]
    p50 = percentile(ttfbs, 0.5)
    errors = Counter(r.error for r in requests if r.error)
    validations_ok = sum(1 for r in vals if r.ok)
    gold_ok = sum(1 for r in golds if r.ok)
    verdict = decide(
        validations=len(vals),
        validations_ok=validations_ok,
        gold=len(golds),
        gold_ok=gold_ok,
        ttfb_p50=p50,
        ttfb_sla=ttfb_sla,
        thresholds=thresholds,
        some_region_down=some_region_down,
    )
    return Stats(
        verdict=verdict,
        validations=len(vals),
        validations_ok=validations_ok,
        gold=len(golds),
        gold_ok=gold_ok,
        ttfb_p50=p50,
        ttfb_p95=percentile(ttfbs, 0.95),
        errors=dict(sorted(errors.items())),
        retried=sum(r.retried for r in requests),
    )


def summarize(
    requests: Iterable[RequestResult],
    regions: Iterable[str],
    *,
    ttfb_sla: float,
    thresholds: Thresholds,
    discarded: Iterable[str] = (),
) -> tuple[Stats, Mapping[str, Stats]]:
    """Per-region and overall stats of one run.

    Regions in `discarded` (their canary failed) are UNKNOWN and left out of the overall
    verdict; if every region is discarded the agent is UNKNOWN.
    """
    reqs = list(requests)
    gone = set(discarded)
    per_region: dict[str, Stats] = {}
    for name in regions:
        if name in gone:
            per_region[name] = Stats(verdict=Verdict.UNKNOWN, discarded=True)
            continue
        per_region[name] = _stats([r for r in reqs if r.region == name], ttfb_sla, thresholds)
    counted = [r for r in reqs if r.region not in gone and r.region in per_region]
    known = [s.verdict for n, s in per_region.items() if n not in gone]
    some_down = Verdict.DOWN in known and any(v is not Verdict.DOWN for v in known)
    overall = _stats(counted, ttfb_sla, thresholds, some_region_down=some_down)
    return overall, per_region
