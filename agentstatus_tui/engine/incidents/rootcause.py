"""The root-cause table (symptom → likely cause → where to look) and which of its rows the
live data matches. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..model import RunResult, Stats, Verdict

# Codes that mean "nothing answered at all", as opposed to "something answered badly".
_UNANSWERED = frozenset({"TIMEOUT", "CONNECT"})


@dataclass(frozen=True)
class Cause:
    key: str
    symptom: str
    cause: str
    look_at: str  # the first thing to check, in the words an on-call engineer uses


# The seed's table first, in its order; then rows for the other error codes the monitor
# reports, so an unfamiliar code still points somewhere.
CAUSES: tuple[Cause, ...] = (
    Cause("server_down", "All requests time out", "Server down",
          "is the process running? host, container and load-balancer health"),
    Cause("app_error", "HTTP 5xx", "Application error",
          "application logs and the last deploy; roll back if it just changed"),
    Cause("auth", "HTTP 401/403", "Authentication failure",
          "the token: expired, rotated or revoked; the agent's auth config"),
    Cause("regional", "One region DOWN, others fine", "Regional issue (CDN, DNS)",
          "CDN and DNS for that region, the region's proxy and canary"),
    Cause("model", "Gold prompts fail", "Model issue",
          "model version or prompt changes, the upstream model provider"),
    Cause("rate_limit", "HTTP 429", "Rate limit or quota exhausted",
          "provider quota and rate limits, traffic spikes"),
    Cause("network", "DNS or TLS errors", "Name resolution or certificate problem",
          "DNS records and certificate expiry for the agent's host"),
    Cause("bad_answer", "2xx but not a chat completion", "Broken response format",
          "a proxy or error page answering instead of the agent; API version changes"),
)
CAUSES_BY_KEY: Mapping[str, Cause] = {c.key: c for c in CAUSES}

# When several rows match, the most telling comes first: a failure confined to one region
# explains the others (a regional CDN answering 503 is not the application's fault).
_PRIORITY = ("regional", "auth", "server_down", "app_error", "rate_limit", "network",
             "bad_answer", "model")


def _is_5xx(code: str) -> bool:
    return code.startswith("HTTP_5")


def match(overall: Stats, regions: Mapping[str, Stats]) -> tuple[Cause, ...]:
    """The table's rows the run's numbers match, most telling first (empty when healthy)."""
    known = {name: s for name, s in regions.items() if not s.discarded and s.verdict.is_known}
    codes = {code for code, n in overall.errors.items() if n}
    hits: set[str] = set()

    down = [n for n, s in known.items() if s.verdict is Verdict.DOWN]
    fine = [n for n, s in known.items() if s.verdict.is_up]
    if down and fine:
        hits.add("regional")
    # "All requests time out": nothing answered anywhere, and every failure is silence.
    failures = codes - {"EVAL_FAIL"}
    if failures and failures <= _UNANSWERED and overall.validations_ok == 0 and not fine:
        hits.add("server_down")
    if any(_is_5xx(c) for c in codes):
        hits.add("app_error")
    if codes & {"HTTP_401", "HTTP_403"}:
        hits.add("auth")
    if "EVAL_FAIL" in codes:
        hits.add("model")
    if "HTTP_429" in codes:
        hits.add("rate_limit")
    if codes & {"DNS", "TLS"}:
        hits.add("network")
    if codes & {"BAD_BODY", "PROTOCOL", "TOO_LARGE"}:
        hits.add("bad_answer")
    return tuple(CAUSES_BY_KEY[k] for k in _PRIORITY if k in hits)


def match_run(run: RunResult | None) -> tuple[Cause, ...]:
    return () if run is None else match(run.overall, run.regions)
