"""Runs with chosen outcomes, per region, for the incident tests (real RunResults built
with the real verdict rule, stored in a real Store)."""

from __future__ import annotations

from agentstatus_tui.engine.model import (
    AgentConfig,
    AlertRules,
    RequestResult,
    RunResult,
    Thresholds,
)
from agentstatus_tui.engine.verdicts import summarize

OK = None


def make_run(
    agent_id: str,
    at: float,
    regions: dict[str, list[str | None]],
    *,
    gold: dict[str, list[str | None]] | None = None,
    manual: bool = False,
    ttfb: float = 0.2,
    sla: float = 2.0,
) -> RunResult:
    """A run whose validations in each region end with the given error codes (None = ok),
    and gold prompts likewise."""
    reqs: list[RequestResult] = []
    for kind, table in (("validation", regions), ("gold", gold or {})):
        for region, outcomes in table.items():
            for code in outcomes:
                answered = code in (None, "EVAL_FAIL")
                status = int(code[5:]) if code and code.startswith("HTTP_") else (200 if answered else None)
                reqs.append(RequestResult(
                    region=region, kind=kind, started_at=at, ok=code is None, error=code,
                    status=status, ttfb=ttfb if answered else None,
                    elapsed=ttfb if answered else 10.0,
                    gold_index=0 if kind == "gold" else None,
                ))
    overall, per_region = summarize(reqs, list(regions), ttfb_sla=sla, thresholds=Thresholds())
    return RunResult(agent_id, at, at + 1.0, overall, per_region, tuple(reqs), manual)


def agent(agent_id: str = "search", name: str = "Search Agent", *, regions=("us", "eu"),
          on_degraded: bool = False, **kw) -> AgentConfig:
    return AgentConfig(id=agent_id, name=name, url=f"http://127.0.0.1:9/{agent_id}",
                       regions=tuple(regions),
                       alerts=AlertRules(channels=(), on_degraded=on_degraded), **kw)
