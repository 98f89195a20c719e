"""Regions that leave through a proxy: http:// (aiohttp's own) and socks5:// (aiohttp-socks),
and what a broken proxy reads as."""

from __future__ import annotations

import base64
import time

import pytest
from agent_server import AgentServer, Reply, closed_port
from socks_proxy import Socks5Proxy

from agentstatus_tui.engine.model import AgentConfig, Config, Region, Verdict
from agentstatus_tui.engine.probe.prober import Prober

# A name that cannot resolve here: only a proxy that knows where to send it can reach it.
FAR_AWAY = "agent.far-away.invalid"


def agent_for(url: str) -> AgentConfig:
    return AgentConfig(id="a", name="A", url=url, regions=("eu",), validations=2, retries=0,
                       timeout=3.0)


async def test_http_proxy_region() -> None:
    async with AgentServer() as server:
        server.route("/v1/chat/completions", Reply("hi from afar"))
        region = Region("eu", proxy=f"http://127.0.0.1:{server.port}")
        agent = agent_for(f"http://{FAR_AWAY}/v1/chat/completions")
        prober = Prober(Config(agents=(agent,), regions={"eu": region}))
        try:
            result = await prober.run(agent)
        finally:
            await prober.aclose()
    assert result.verdict is Verdict.REACHABLE, [r.detail for r in result.requests]
    assert [r.region for r in server.requests] == ["eu", "eu"]
    assert all(r.headers["Host"] == FAR_AWAY for r in server.requests)


async def test_http_proxy_credentials_reach_the_proxy_only() -> None:
    async with AgentServer() as server:
        server.route("/v1/chat/completions", Reply("hi from afar"))
        region = Region("eu", proxy=f"http://probe:s3cret@127.0.0.1:{server.port}")
        agent = agent_for(f"http://{FAR_AWAY}/v1/chat/completions")
        prober = Prober(Config(agents=(agent,), regions={"eu": region}))
        try:
            result = await prober.run(agent)
        finally:
            await prober.aclose()
    assert result.verdict is Verdict.REACHABLE, [r.detail for r in result.requests]
    expected = "Basic " + base64.b64encode(b"probe:s3cret").decode()
    assert [r.headers.get("Proxy-Authorization") for r in server.requests] == [expected] * 2
    assert all("Authorization" not in r.headers for r in server.requests)


async def test_socks5_proxy_region() -> None:
    async with AgentServer() as server, Socks5Proxy(route={FAR_AWAY: server.port}) as proxy:
        asked = proxy.asked
        server.route("/v1/chat/completions", Reply("hi via socks"))
        region = Region("eu", proxy=proxy.url)
        agent = agent_for(f"http://{FAR_AWAY}/v1/chat/completions")
        prober = Prober(Config(agents=(agent,), regions={"eu": region}))
        try:
            result = await prober.run(agent)
        finally:
            await prober.aclose()
    assert result.verdict is Verdict.REACHABLE, [r.detail for r in result.requests]
    assert asked and all(a == f"{FAR_AWAY}:80" for a in asked)
    assert [r.region for r in server.requests] == ["eu", "eu"]


async def test_dead_proxy_is_connect() -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    agent = agent_for(f"http://{FAR_AWAY}/v1/chat/completions")
    prober = Prober(Config(agents=(agent,), regions={"eu": Region("eu", proxy=dead)}))
    try:
        result = await prober.run(agent)
    finally:
        await prober.aclose()
    assert [r.error for r in result.requests] == ["CONNECT", "CONNECT"]


async def run_eu(agent: AgentConfig, proxy: str) -> list[tuple[str | None, str]]:
    prober = Prober(Config(agents=(agent,), regions={"eu": Region("eu", proxy=proxy)}))
    try:
        result = await prober.run(agent)
    finally:
        await prober.aclose()
    return [(r.error, r.detail or "") for r in result.requests]


async def test_socks_proxy_that_refuses_is_connect() -> None:
    agent = agent_for(f"http://{FAR_AWAY}/v1/chat/completions")
    got = await run_eu(agent, f"socks5://127.0.0.1:{closed_port()}")
    assert [e for e, _ in got] == ["CONNECT", "CONNECT"]
    assert all("refused" in d and "proxy" in d for _, d in got), got


async def test_socks_proxy_that_resets_is_connect() -> None:
    async with Socks5Proxy(mode="reset") as proxy:
        got = await run_eu(agent_for(f"http://{FAR_AWAY}/v1/chat/completions"), proxy.url)
    assert [e for e, _ in got] == ["CONNECT", "CONNECT"], got
    assert all("proxy" in d for _, d in got), got


async def test_socks_proxy_that_hangs_is_timeout() -> None:
    agent = AgentConfig(id="a", name="A", url=f"http://{FAR_AWAY}/v1/chat/completions",
                        regions=("eu",), validations=2, retries=0, timeout=0.5)
    async with Socks5Proxy(mode="hang") as proxy:
        t0 = time.monotonic()
        got = await run_eu(agent, proxy.url)
    assert [e for e, _ in got] == ["TIMEOUT", "TIMEOUT"], got
    assert time.monotonic() - t0 < 5.0


@pytest.mark.parametrize("retries", [0, 2])
async def test_agent_refusing_behind_a_socks_proxy_is_connect(retries: int) -> None:
    # The proxy answers; the agent behind it refuses: CONNECT, and never retried.
    async with Socks5Proxy(route={FAR_AWAY: closed_port()}) as proxy:
        agent = AgentConfig(id="a", name="A", url=f"http://{FAR_AWAY}/v1/chat/completions",
                            regions=("eu",), validations=2, retries=retries, timeout=3.0)
        got = await run_eu(agent, proxy.url)
        assert len(proxy.asked) == 2  # one try each: refused is an answer, not a blip
    assert [e for e, _ in got] == ["CONNECT", "CONNECT"], got
    assert all("connection refused" in d for _, d in got), got


async def test_name_the_socks_proxy_cannot_resolve_is_connect() -> None:
    async with Socks5Proxy() as proxy:
        got = await run_eu(agent_for("http://agent.invalid/v1/chat/completions"), proxy.url)
        assert proxy.asked == ["agent.invalid:80"] * 2  # the proxy resolves names
    assert [e for e, _ in got] == ["CONNECT", "CONNECT"], got
