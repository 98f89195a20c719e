"""Regions that leave through a proxy: http:// via aiohttp, socks5:// via httpx's transport."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agent_server import AgentServer, Reply, closed_port

from agentstatus_tui.engine.model import AgentConfig, Config, Region, Verdict
from agentstatus_tui.engine.probe.prober import Prober

# A name that cannot resolve here: only a proxy that knows where to send it can reach it.
FAR_AWAY = "agent.far-away.invalid"


@asynccontextmanager
async def socks5_proxy(target_port: int) -> AsyncIterator[tuple[int, list[str]]]:
    """A minimal SOCKS5 proxy (no auth, CONNECT only) that sends every connection to the
    loopback agent, as a bastion that knows the names would. Yields (port, asked hosts)."""
    asked: list[str] = []

    async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except ConnectionError:
            pass
        finally:
            w.close()

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        _, n = await r.readexactly(2)
        await r.readexactly(n)
        w.write(b"\x05\x00")
        _, _cmd, _, atyp = await r.readexactly(4)
        if atyp == 3:
            host = (await r.readexactly((await r.readexactly(1))[0])).decode()
        else:
            host = ".".join(str(b) for b in await r.readexactly(4 if atyp == 1 else 16))
        (port,) = struct.unpack("!H", await r.readexactly(2))
        asked.append(f"{host}:{port}")
        ur, uw = await asyncio.open_connection("127.0.0.1", target_port)
        w.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
        await asyncio.gather(pipe(r, uw), pipe(ur, w))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], asked
    finally:
        server.close()


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


async def test_socks5_proxy_region() -> None:
    async with AgentServer() as server, socks5_proxy(server.port) as (socks_port, asked):
        server.route("/v1/chat/completions", Reply("hi via socks"))
        region = Region("eu", proxy=f"socks5://127.0.0.1:{socks_port}")
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
