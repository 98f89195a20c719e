"""Hostile or broken answers cost one agent its verdict, never the monitor its memory or
the other agents their latency: gzip bombs, JSON nested past the parser's depth, and a
refused connection that must read as refused."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import tracemalloc
import zlib

import pytest
from agent_server import AgentServer, Reply, Stream, closed_port, completion, gzip_bomb
from test_checks import errors, make_agent, make_config, run_once

from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.probe.prober import Prober

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
async def server():
    async with AgentServer() as s:
        yield s


async def test_refused_connection_reads_connection_refused() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1/chat/completions"
    result = await run_once(make_agent(url, retries=2))
    [req] = result.requests
    assert req.error == "CONNECT" and req.retried == 0
    detail = req.detail or ""
    assert "connection refused" in detail, detail
    # Refused and timed out point at different causes; plain http has nothing to do with TLS.
    assert "timeout" not in detail.lower() and "ssl" not in detail.lower(), detail


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_answer_is_decoded(server: AgentServer, encoding: str) -> None:
    raw = json.dumps(completion("squeezed")).encode()
    body = gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)
    url = server.route("/z", Reply(body=body, headers={"Content-Encoding": encoding}))
    result = await run_once(make_agent(url))
    [req] = result.requests
    assert req.ok, req.detail
    assert req.answer == "squeezed"
    assert "gzip" in server.requests[0].headers.get("Accept-Encoding", "")


async def test_answer_in_an_unknown_encoding_is_bad_body(server: AgentServer) -> None:
    url = server.route("/z", Reply(body=b"\x00\x01", headers={"Content-Encoding": "snappy"}))
    result = await run_once(make_agent(url))
    assert errors(result) == ["BAD_BODY"]


async def test_gzip_bomb_is_too_large_and_memory_stays_flat(server: AgentServer) -> None:
    """Five agents answering 1 MB of gzip that expands to 1,000 MiB (compressed, it is
    under the 1 MiB cap): each request is cut off once its decoded size passes the cap,
    so memory stays flat, and a healthy agent beside them is unaffected."""
    bomb = gzip_bomb(1000)
    assert len(bomb) < 1 << 20
    bomb_reply = Reply(body=bomb, headers={"Content-Encoding": "gzip"})
    bombs = [
        dataclasses.replace(make_agent(server.route(f"/bomb{i}", bomb_reply), validations=2,
                                       timeout=20.0), id=f"bomb-{i}")
        for i in range(5)
    ]
    healthy = make_agent(server.route("/ok", Reply("fine")), validations=4, timeout=20.0)
    prober = Prober(make_config(*bombs, healthy))
    tracemalloc.start()
    try:
        results = await asyncio.gather(*(prober.run(a) for a in (*bombs, healthy)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await prober.aclose()
    *bombed, ok = results
    for result in bombed:
        assert errors(result) == ["TOO_LARGE", "TOO_LARGE"], [r.detail for r in result.requests]
        assert "decoded" in (result.requests[0].detail or "")
    assert ok.verdict is Verdict.REACHABLE
    # Decoding any one bomb whole takes 1,000 MiB; ten of them at once, far more. The
    # server's own copies of the compressed bytes are part of this figure.
    assert peak < 40 * 1024 * 1024, f"peak {peak:,} bytes"


async def test_deeply_nested_json_body_is_bad_body_not_retried(server: AgentServer) -> None:
    url = server.route("/deep", Reply(body=DEEP))
    result = await run_once(make_agent(url, retries=2))
    [req] = result.requests
    assert req.error == "BAD_BODY", req.detail
    assert req.retried == 0 and len(server.received("/deep")) == 1
    assert "nested too deeply" in (req.detail or "")


async def test_deeply_nested_json_in_a_stream_chunk_is_bad_body(server: AgentServer) -> None:
    url = server.route("/deep", Stream(raw=DEEP.encode()))
    result = await run_once(make_agent(url, stream=True, retries=2))
    [req] = result.requests
    assert req.error == "BAD_BODY", req.detail
    assert req.retried == 0 and len(server.received("/deep")) == 1
