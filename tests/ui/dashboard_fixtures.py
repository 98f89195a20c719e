"""Fixed dashboard data (a real Monitor over a store in a temporary data dir, never
started, its states filled by hand) and a fixed clock, for snapshot and widget tests: no
timers, no network."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from types import MappingProxyType

from agentstatus_tui.engine.history.records import Transition
from agentstatus_tui.engine.model import (
    AgentConfig,
    Config,
    Expectation,
    GoldPrompt,
    Region,
    RequestResult,
    RunResult,
    Stats,
    Verdict,
)
from agentstatus_tui.engine.monitor import Monitor

NOW = 1_795_000_000.0  # a fixed "now"; snapshots render times in UTC
SECRET = "sk-live-0123456789abcdef"
REGIONS = ("us", "eu", "ap")
GOLD = (GoldPrompt("What is 2+2?", (Expectation("contains", "4"),), name="arithmetic"),)


def use_utc() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()


def _agent(agent_id: str, name: str, gold: bool = True) -> AgentConfig:
    return AgentConfig(
        id=agent_id,
        name=name,
        url=f"https://{agent_id}.example.com/v1/chat/completions",
        headers=MappingProxyType({"Authorization": f"Bearer {SECRET}"}),
        regions=REGIONS,
        gold_prompts=GOLD if gold else (),
    )


def _stats(verdict: Verdict, p50: float | None, errors: dict[str, int] | None = None,
           ok: int = 4, gold_ok: int = 2, gold: int = 2) -> Stats:
    return Stats(
        verdict=verdict,
        validations=4,
        validations_ok=ok,
        gold=gold,
        gold_ok=gold_ok,
        ttfb_p50=p50,
        ttfb_p95=None if p50 is None else p50 * 1.25,
        errors=MappingProxyType(errors or {}),
    )


def _run(agent_id: str, overall: Stats, regions: dict[str, Stats], age: float,
         requests: tuple[RequestResult, ...] = ()) -> RunResult:
    return RunResult(agent_id, NOW - age - 2, NOW - age, overall, MappingProxyType(regions),
                     requests)


def fixed_config() -> Config:
    agents = (
        _agent("support-bot", "Support Bot"),
        _agent("search-agent", "Search Agent"),
        _agent("billing-helper", "Billing Helper", gold=False),
        _agent("quiz-master", "Quiz Master"),
        _agent("crm-sync", "CRM Sync"),
        _agent("translator", "Translator"),
        _agent("new-agent", "New Agent"),
    )
    return Config(
        agents=agents,
        regions=MappingProxyType({r: Region(r) for r in REGIONS}),
        secrets=frozenset({SECRET}),
    )


def fixed_monitor(data_dir: Path) -> Monitor:
    """Seven agents covering every verdict, in flight and paused, never polled. Close it
    with `close_monitor` (the `monitor` fixture does)."""
    config = fixed_config()
    mon = Monitor.open(config, data_dir=str(data_dir), clock=lambda: NOW)
    st = mon.states
    up = Verdict.UP

    s = st["support-bot"]
    regions = {"us": _stats(up, 0.245), "eu": _stats(up, 0.312),
               "ap": _stats(Verdict.DEGRADED, 4.2)}
    s.last = _run("support-bot", _stats(up, 0.312), regions, age=12)
    s.verdict, s.since = up, NOW - (14 * 3600 + 41 * 60)
    s.points.extend([0.25, 0.27, 0.24, None, 0.31, 0.9, 1.4, 0.3, 0.26, 0.25, 0.31])
    s.uptime = {"24h": 0.9995}
    s.region_verdicts = {k: v.verdict for k, v in regions.items()}
    s.transitions = [
        Transition(3, "support-bot", None, s.since, Verdict.DOWN, up),
        Transition(2, "support-bot", None, s.since - 900, Verdict.DEGRADED, Verdict.DOWN),
        Transition(1, "support-bot", None, s.since - 4500, up, Verdict.DEGRADED),
    ]
    s.last_failure = RequestResult(
        region="eu", kind="validation", started_at=s.since - 600, ok=False, error="HTTP_503",
        status=503, elapsed=0.084,
        detail=f'{{"error": "overloaded", "echo": "Bearer {SECRET}"}}',
    )

    s = st["search-agent"]
    down = _stats(Verdict.DOWN, None, {"HTTP_503": 4}, ok=0, gold_ok=0)
    timeout = _stats(Verdict.DOWN, None, {"TIMEOUT": 4}, ok=0, gold_ok=0)
    s.last = _run("search-agent", _stats(Verdict.DOWN, None, {"HTTP_503": 8, "TIMEOUT": 4},
                                         ok=0, gold_ok=0),
                  {"us": down, "eu": down, "ap": timeout}, age=3)
    s.verdict, s.since = Verdict.DOWN, NOW - 720
    s.in_flight = True
    s.uptime = {"24h": 0.971}
    s.region_verdicts = {"us": Verdict.DOWN, "eu": Verdict.DOWN, "ap": Verdict.DOWN}

    s = st["billing-helper"]
    reach = Verdict.REACHABLE
    regions = {r: _stats(reach, 0.18 + i * 0.02, gold=0, gold_ok=0)
               for i, r in enumerate(REGIONS)}
    s.last = _run("billing-helper", _stats(reach, 0.2, gold=0, gold_ok=0), regions, age=41)
    s.verdict, s.since = reach, NOW - 3 * 86400
    s.uptime = {"24h": 1.0}
    s.region_verdicts = {k: v.verdict for k, v in regions.items()}

    s = st["quiz-master"]
    deg = Verdict.DEGRADED
    regions = {r: _stats(deg, 0.29, {"EVAL_FAIL": 2}, gold_ok=0) for r in REGIONS}
    s.last = _run("quiz-master", _stats(deg, 0.29, {"EVAL_FAIL": 6}, gold_ok=0, gold=6),
                  regions, age=75)
    s.verdict, s.since = deg, NOW - 3600
    s.uptime = {"24h": 0.5}
    s.region_verdicts = {k: v.verdict for k, v in regions.items()}

    s = st["crm-sync"]
    auth = _stats(Verdict.DOWN, None, {"HTTP_401": 4}, ok=0, gold_ok=0)
    s.last = _run("crm-sync", auth, {r: auth for r in REGIONS}, age=300)
    s.verdict, s.since = Verdict.DOWN, NOW - 86400 * 2
    s.uptime = {"24h": 0.0}
    s.region_verdicts = dict.fromkeys(REGIONS, Verdict.DOWN)

    s = st["translator"]
    s.last = _run("translator", _stats(up, 0.5), {r: _stats(up, 0.5) for r in REGIONS},
                  age=4000)
    s.paused = True
    s.verdict, s.since = Verdict.UNKNOWN, NOW - 3900
    s.region_verdicts = dict.fromkeys(REGIONS, Verdict.UNKNOWN)
    return mon


def close_monitor(mon: Monitor) -> None:
    """Stop a Monitor that was never started (its writer thread, store and clients)."""
    asyncio.run(mon.stop())

