"""Every demo agent gets its intended verdict through the real Prober (what `check --demo` shows)."""

from __future__ import annotations

import asyncio

from agentstatus_tui.demo import (
    AGENTS,
    TOKEN,
    DemoAgents,
    DemoThread,
    demo_config_yaml,
)
from agentstatus_tui.engine.config.load import load_config_text
from agentstatus_tui.engine.model import RunResult, Verdict
from agentstatus_tui.engine.probe.curl import curl_command
from agentstatus_tui.engine.probe.prober import Prober

UP_TIME, DOWN_TIME = 1_000_000 * 240.0 + 100.0, 1_000_000 * 240.0 + 10.0


async def run_demo(now: float) -> dict[str, RunResult]:
    async with DemoAgents(now=lambda: now) as demo:
        config = demo.config()
        prober = Prober(config)
        try:
            results = await asyncio.gather(*(prober.run(a) for a in config.agents))
        finally:
            await prober.aclose()
    return {r.agent_id: r for r in results}


async def test_every_demo_agent_gets_its_verdict() -> None:
    results = await run_demo(UP_TIME)
    got = {k: r.verdict.value for k, r in results.items()}
    assert got == {a.id: a.expected for a in AGENTS}

    support = results["support-bot"]
    assert support.overall.eval_pass == 1.0 and support.overall.reachability == 1.0

    stream = results["stream-writer"]
    assert all(r.first_token is not None for r in stream.requests)

    search = results["search-agent"]
    assert search.regions["ap"].verdict is Verdict.DEGRADED
    assert search.regions["us"].verdict is Verdict.UP
    assert search.regions["eu"].verdict is Verdict.UP

    flaky = results["billing-helper"]
    assert flaky.overall.retried > 0 and not flaky.overall.errors

    assert results["crm-sync"].overall.errors == {"HTTP_401": 6}
    assert results["crm-sync"].overall.retried == 0  # 4xx are not retried
    assert set(results["quiz-master"].overall.errors) == {"EVAL_FAIL"}
    assert set(results["legacy-gateway"].overall.errors) == {"HTTP_503"}


async def test_night_owl_goes_down_in_its_window() -> None:
    async with DemoAgents(now=lambda: DOWN_TIME) as demo:
        config = demo.config()
        prober = Prober(config)
        try:
            owl = await prober.run(config.agent("night-owl"))
        finally:
            await prober.aclose()
    assert owl.verdict is Verdict.DOWN
    assert set(owl.overall.errors) == {"HTTP_503"}


async def test_demo_token_never_shows() -> None:
    results = await run_demo(UP_TIME)
    assert TOKEN not in repr(results)
    async with DemoAgents() as demo:
        agent = demo.config().agent("support-bot")
        curl = curl_command(agent, demo.config().regions["us"])
    assert TOKEN not in curl and "$DEMO_AGENT_TOKEN" in curl


async def test_demo_runs_in_a_background_thread() -> None:
    thread = DemoThread(now=lambda: UP_TIME)
    config = thread.start()
    try:
        prober = Prober(config)
        try:
            result = await prober.run(config.agent("support-bot"))
        finally:
            await prober.aclose()
        assert result.verdict is Verdict.UP
    finally:
        thread.stop()


def test_demo_config_yaml_loads_into_the_same_agents() -> None:
    text = demo_config_yaml(8080)
    env = {"DEMO_AGENT_TOKEN": TOKEN, "DEMO_EXPIRED_TOKEN": "x-expired-token"}
    config = load_config_text(text, filename="demo.yaml", env=env)
    demo = DemoAgents()
    demo.port = 8080
    built = demo.config()
    assert [a.id for a in config.agents] == [a.id for a in built.agents]
    for loaded, direct in zip(config.agents, built.agents, strict=True):
        assert loaded.url == direct.url
        assert loaded.stream == direct.stream
        assert loaded.interval == direct.interval
        assert len(loaded.gold_prompts) == len(direct.gold_prompts)
        assert loaded.header_templates == direct.header_templates
    assert TOKEN in config.secrets
