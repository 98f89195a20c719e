"""The Prober against a real loopback agent: error codes direct and through a SOCKS5 proxy,
retries, bounds."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest
from agent_server import (
    AgentServer,
    Big,
    Echo,
    Hang,
    Raw,
    Reply,
    Sequence,
    Stream,
    closed_port,
    self_signed_context,
)
from socks_proxy import Socks5Proxy

from agentstatus_tui.engine.model import (
    AgentConfig,
    Config,
    Expectation,
    GoldPrompt,
    Region,
    RunResult,
    Verdict,
)
from agentstatus_tui.engine.probe.prober import Prober

# Every error code must read the same whether the region goes direct or through a proxy.
TRANSPORTS = ["direct", "socks5"]


def make_agent(url: str, **kw: object) -> AgentConfig:
    opts: dict[str, object] = {"regions": ("us",), "timeout": 2.0, "validations": 1, "retries": 0}
    opts.update(kw)
    return AgentConfig(id="a", name="A", url=url, **opts)  # type: ignore[arg-type]


def make_config(*agents: AgentConfig, regions: dict[str, Region] | None = None, **kw: object) -> Config:
    return Config(agents=agents, regions=regions or {"us": Region("us")}, **kw)  # type: ignore[arg-type]


async def run_once(agent: AgentConfig, transport: str = "direct", **config_kw: object) -> RunResult:
    async with contextlib.AsyncExitStack() as stack:
        if transport == "socks5":
            proxy = await stack.enter_async_context(Socks5Proxy())
            config_kw.setdefault("regions", {"us": Region("us", proxy=proxy.url)})
        prober = Prober(make_config(agent, **config_kw))
        try:
            return await prober.run(agent)
        finally:
            await prober.aclose()


def errors(result: RunResult) -> list[str | None]:
    return [r.error for r in result.requests]


@pytest.fixture
async def server():
    async with AgentServer() as s:
        yield s


# --------------------------------------------------------------------------- error codes


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_healthy_agent_succeeds(server: AgentServer, transport: str) -> None:
    url = server.route("/ok", Reply("Hi there"))
    result = await run_once(make_agent(url), transport)
    [req] = result.requests
    assert req.ok and req.error is None and req.status == 200
    assert req.answer == "Hi there"
    assert req.ttfb is not None and req.elapsed is not None and req.ttfb <= req.elapsed
    assert result.verdict is Verdict.REACHABLE


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_timeout(server: AgentServer, transport: str) -> None:
    url = server.route("/hang", Hang())
    result = await run_once(make_agent(url, timeout=0.3), transport)
    assert errors(result) == ["TIMEOUT"]
    assert result.verdict is Verdict.DOWN


async def test_dns_failure() -> None:
    # `.invalid` never resolves (RFC 2606), with or without a network. (Through a SOCKS
    # proxy the proxy resolves names: see test_checks_regions.)
    result = await run_once(make_agent("http://agent.invalid/v1/chat/completions"))
    assert errors(result) == ["DNS"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_refused_connection_is_connect_not_timeout(transport: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1/chat/completions"
    result = await run_once(make_agent(url), transport)
    assert errors(result) == ["CONNECT"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_tls_failure(server: AgentServer, transport: str) -> None:
    server.route("/ok", Reply())
    # https to a plain-HTTP port: the TLS handshake fails.
    result = await run_once(make_agent(f"https://127.0.0.1:{server.port}/ok"), transport)
    assert errors(result) == ["TLS"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_untrusted_certificate_is_tls(tmp_path: Path, transport: str) -> None:
    async with AgentServer(ssl_context=self_signed_context(str(tmp_path))) as server:
        url = server.route("/ok", Reply())
        assert url.startswith("https://")
        result = await run_once(make_agent(url), transport)
    assert errors(result) == ["TLS"]
    assert "certificate" in (result.requests[0].detail or "").lower()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "behaviour",
    [
        Raw(b"GARBAGE NOT HTTP\r\n\r\n"),
        Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"choi", reset=True),
        Raw(b""),
    ],
    ids=["garbage-status-line", "reset-mid-body", "closed-without-answer"],
)
async def test_protocol_errors(server: AgentServer, transport: str, behaviour: Raw) -> None:
    url = server.route("/bad", behaviour)
    result = await run_once(make_agent(url), transport)
    assert errors(result) == ["PROTOCOL"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("status", [401, 429, 503])
async def test_http_status(server: AgentServer, transport: str, status: int) -> None:
    url = server.route("/s", Reply(status=status, body={"error": "overloaded"}))
    result = await run_once(make_agent(url), transport)
    [req] = result.requests
    assert req.error == f"HTTP_{status}" and req.status == status
    assert "overloaded" in (req.detail or "")
    assert result.overall.errors == {f"HTTP_{status}": 1}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "behaviour",
    [
        Reply(body="<html><body>Welcome to nginx</body></html>", content_type="text/html"),
        Reply(body='{"choices": [', content_type="application/json"),
        Reply(body={"choices": [{"message": {"role": "assistant"}}]}),
        Reply(body={"choices": []}),
        Reply(body={"choices": [{"message": {"content": 42}}]}),
    ],
    ids=["html", "bad-json", "no-content", "no-choices", "content-not-string"],
)
async def test_bad_body(server: AgentServer, transport: str, behaviour: Reply) -> None:
    url = server.route("/b", behaviour)
    result = await run_once(make_agent(url), transport)
    assert errors(result) == ["BAD_BODY"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_too_large(server: AgentServer, transport: str) -> None:
    url = server.route("/big", Big(size=5000))
    result = await run_once(make_agent(url), transport, max_body_bytes=1000)
    assert errors(result) == ["TOO_LARGE"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_ten_megabyte_body_is_cut_off_without_buffering_it(
    server: AgentServer, transport: str
) -> None:
    url = server.route("/big", Big(size=10 * 1024 * 1024))
    tracemalloc.start()
    try:
        result = await run_once(make_agent(url), transport)  # default cap: 1 MiB
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert errors(result) == ["TOO_LARGE"]
    # Buffering the body would take 10 MB at least; reading it while counting takes the
    # cap plus the transport's small read buffer.
    assert peak < 4 * 1024 * 1024, f"peak {peak:,} bytes"


async def test_endless_body_is_too_large_not_a_timeout(server: AgentServer) -> None:
    url = server.route("/endless", Big(size=None))
    result = await run_once(make_agent(url, timeout=5.0))
    assert errors(result) == ["TOO_LARGE"]


async def test_declared_oversize_body_is_refused_before_reading(server: AgentServer) -> None:
    big = Big(size=10 * 1024 * 1024, declare_length=True)
    url = server.route("/big", big)
    result = await run_once(make_agent(url))
    assert errors(result) == ["TOO_LARGE"]
    assert "Content-Length" in (result.requests[0].detail or "")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_wrong_gold_answer_is_eval_fail(server: AgentServer, transport: str) -> None:
    url = server.route("/g", Reply("The answer is 5."))
    gold = GoldPrompt("What is 2+2?", (Expectation("contains", "4"),))
    result = await run_once(make_agent(url, gold_prompts=(gold,)), transport)
    gold_req = next(r for r in result.requests if r.kind == "gold")
    assert gold_req.error == "EVAL_FAIL" and gold_req.gold_index == 0
    assert "contains" in (gold_req.detail or "")
    assert result.verdict is Verdict.DEGRADED
    assert result.overall.eval_pass == 0.0


# --------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_streaming_agent(server: AgentServer, transport: str) -> None:
    url = server.route("/s", Stream(parts=("Fo", "ur", "."), gap=0.05))
    gold = GoldPrompt("2+2 in words?", (Expectation("equals", "Four."),))
    result = await run_once(make_agent(url, stream=True, gold_prompts=(gold,)), transport)
    assert all(r.ok for r in result.requests), [r.detail for r in result.requests]
    for r in result.requests:
        assert r.answer == "Four."
        assert r.ttfb is not None and r.first_token is not None
        assert r.ttfb <= r.first_token <= (r.elapsed or 0)
    assert all(rec.body["stream"] is True for rec in server.requests)
    assert result.verdict is Verdict.UP


async def test_stream_with_crlf_lines(server: AgentServer) -> None:
    url = server.route("/s", Stream(parts=("o", "k"), crlf=True))
    result = await run_once(make_agent(url, stream=True))
    assert result.requests[0].ok and result.requests[0].answer == "ok"


@pytest.mark.parametrize(
    "behaviour", [Stream(done=False), Stream(bad=True), Reply("not a stream")],
    ids=["no-done", "bad-chunk", "plain-json"],
)
async def test_broken_stream_is_bad_body(server: AgentServer, behaviour: object) -> None:
    url = server.route("/s", behaviour)  # type: ignore[arg-type]
    result = await run_once(make_agent(url, stream=True))
    assert errors(result) == ["BAD_BODY"]


# --------------------------------------------------------------------------- retries


async def test_503_is_retried_then_succeeds(server: AgentServer) -> None:
    url = server.route("/f", Sequence(Reply(status=503), Reply("ok")))
    result = await run_once(make_agent(url, retries=2))
    [req] = result.requests
    assert req.ok and req.retried == 1
    assert len(server.received("/f")) == 2
    assert result.overall.retried == 1
    assert result.verdict is Verdict.REACHABLE


async def test_reset_is_retried(server: AgentServer) -> None:
    url = server.route("/f", Sequence(Raw(b"", reset=True), Reply("ok")))
    result = await run_once(make_agent(url, retries=2))
    assert result.requests[0].ok and result.requests[0].retried == 1


async def test_persistent_503_gives_up_after_retries(server: AgentServer) -> None:
    url = server.route("/f", Reply(status=503))
    result = await run_once(make_agent(url, retries=2))
    assert errors(result) == ["HTTP_503"]
    assert result.requests[0].retried == 2
    assert len(server.received("/f")) == 3


@pytest.mark.parametrize(
    "behaviour", [Reply(status=401), Reply(status=429), Reply(body="<html>"), Hang()],
    ids=["401", "429", "bad-body", "timeout"],
)
async def test_not_retried(server: AgentServer, behaviour: object) -> None:
    url = server.route("/f", behaviour)  # type: ignore[arg-type]
    result = await run_once(make_agent(url, retries=2, timeout=0.3))
    assert result.requests[0].retried == 0
    assert len(server.received("/f")) == 1


# --------------------------------------------------------------------------- bounds


async def test_hanging_agent_costs_its_timeout_and_never_slows_others(server: AgentServer) -> None:
    hang = make_agent(server.route("/hang", Hang()), timeout=0.5, validations=10)
    healthy = AgentConfig(
        id="h", name="H", url=server.route("/ok", Reply("hi", delay=0.05)),
        regions=("us",), validations=10, retries=0, timeout=5.0,
    )
    prober = Prober(make_config(hang, healthy, max_in_flight=16))
    try:
        t0 = time.monotonic()
        hung, ok = await asyncio.gather(prober.run(hang), prober.run(healthy))
        hang_took = time.monotonic() - t0
    finally:
        await prober.aclose()
    assert errors(hung) == ["TIMEOUT"] * 10
    assert hang_took < 0.5 * 4, hang_took  # one timeout, not ten in a row
    assert ok.verdict is Verdict.REACHABLE
    assert all(r.ok for r in ok.requests)
    # The healthy agent's latency is its own delay, not the hanging agent's timeout.
    assert max(r.ttfb or 9 for r in ok.requests) < 0.5


async def test_hanging_agents_cannot_hold_every_slot(server: AgentServer) -> None:
    """Three hanging agents (six requests) and two in-flight slots: their requests give
    their slots back while they wait, so a healthy agent's run finishes long before
    theirs time out. (Open requests stay bounded: 4 × the limit.)"""
    hanging = [
        AgentConfig(id=f"hang-{i}", name="H", url=server.route(f"/hang{i}", Hang()),
                    regions=("us",), validations=2, retries=0, timeout=6.0)
        for i in range(3)
    ]
    healthy = AgentConfig(id="ok", name="OK", url=server.route("/ok", Reply("hi")),
                          regions=("us",), validations=4, retries=0, timeout=6.0)
    prober = Prober(make_config(*hanging, healthy, max_in_flight=2))
    finished: list[str] = []

    async def run(agent: AgentConfig) -> RunResult:
        result = await prober.run(agent)
        finished.append(agent.id)
        return result

    try:
        tasks = [asyncio.create_task(run(a)) for a in hanging]
        await asyncio.sleep(0.1)  # the hanging agents take both slots first
        ok = await run(healthy)
        assert finished == ["ok"], "the healthy run waited for the hanging agents"
        assert ok.verdict is Verdict.REACHABLE
        assert max(r.ttfb or 9 for r in ok.requests) < 1.0  # its own latency, not the queue
        for t in tasks:
            t.cancel()
    finally:
        await prober.aclose()


async def test_run_deadline_bounds_a_whole_run(server: AgentServer) -> None:
    agent = make_agent(server.route("/hang", Hang()), timeout=30.0, validations=3)
    t0 = time.monotonic()
    result = await run_once(agent, run_deadline=0.4)
    assert time.monotonic() - t0 < 3.0
    assert set(errors(result)) == {"TIMEOUT"}


async def test_ttfb_excludes_waiting_for_a_slot(server: AgentServer) -> None:
    delay = 0.3
    agent = make_agent(server.route("/slow", Reply("hi", delay=delay)), validations=4)
    t0 = time.monotonic()
    result = await run_once(agent, max_in_flight=1)
    took = time.monotonic() - t0
    assert took >= 4 * delay  # the limit held: one request at a time
    ttfbs = [r.ttfb or 0 for r in result.requests]
    assert all(delay * 0.9 <= t < delay * 1.8 for t in ttfbs), ttfbs
    # A queued request is stamped when it got its slot, not when the run started.
    starts = sorted(r.started_at for r in result.requests)
    assert starts[-1] - starts[0] >= 3 * delay * 0.9


# --------------------------------------------------------------------------- regions


async def test_validations_round_robin_with_at_least_one_per_region(server: AgentServer) -> None:
    url = server.route("/ok", Reply())
    regions = {n: Region(n) for n in ("us", "eu", "ap")}
    agent = make_agent(url, regions=("us", "eu", "ap"), validations=10)
    prober = Prober(make_config(agent, regions=regions))
    try:
        result = await prober.run(agent)
        seen = [r.region for r in server.requests]
        assert sorted(seen.count(n) for n in regions) == [3, 3, 4]
        assert set(result.regions) == {"us", "eu", "ap"}
        server.requests.clear()
        few = make_agent(url, regions=("us", "eu", "ap"), validations=1)
        await prober.run(few)
        assert sorted(r.region for r in server.requests) == ["ap", "eu", "us"]
    finally:
        await prober.aclose()


async def test_gold_prompts_run_once_per_region_with_their_prompt(server: AgentServer) -> None:
    url = server.route("/ok", Reply("4"))
    golds = (
        GoldPrompt("What is 2+2?", (Expectation("contains", "4"),)),
        GoldPrompt("Say 4", (Expectation("equals", "4"),)),
    )
    regions = {n: Region(n) for n in ("us", "eu")}
    agent = make_agent(url, regions=("us", "eu"), validations=2, gold_prompts=golds, model="m1")
    prober = Prober(make_config(agent, regions=regions))
    try:
        result = await prober.run(agent)
    finally:
        await prober.aclose()
    gold_reqs = [r for r in server.requests if r.body["messages"][0]["content"] != "Hello"]
    assert sorted((r.region, r.body["messages"][0]["content"]) for r in gold_reqs) == [
        ("eu", "Say 4"), ("eu", "What is 2+2?"), ("us", "Say 4"), ("us", "What is 2+2?"),
    ]
    assert all(r.body["max_tokens"] >= 256 and r.body["model"] == "m1" for r in gold_reqs)
    validations = [r for r in server.requests if r not in gold_reqs]
    assert all(r.body == {"messages": [{"role": "user", "content": "Hello"}],
                          "max_tokens": 16, "model": "m1"} for r in validations)
    assert result.verdict is Verdict.UP and result.overall.eval_pass == 1.0


async def test_region_header_on_every_request(server: AgentServer) -> None:
    server.route("/r", Reply("slow here", delay=0.0))
    server.route("/r", Reply(status=503), region="eu")  # the agent fails only for eu
    regions = {"us": Region("us"), "eu": Region("eu")}
    agent = make_agent(server.url("/r"), regions=("us", "eu"), validations=4)
    prober = Prober(make_config(agent, regions=regions))
    try:
        result = await prober.run(agent)
    finally:
        await prober.aclose()
    assert {r.region for r in server.requests} == {"us", "eu"}
    assert result.regions["us"].verdict is Verdict.REACHABLE
    assert result.regions["eu"].verdict is Verdict.DOWN
    assert result.verdict is Verdict.DEGRADED  # one region DOWN, the other not


async def test_canary_failure_discards_the_region(server: AgentServer) -> None:
    server.route("/a", Reply("hi"))
    server.route("/a", Reply(status=503), region="eu")
    dead = f"http://127.0.0.1:{closed_port()}/"
    regions = {"us": Region("us", canary=server.route("/canary", Reply())),
               "eu": Region("eu", canary=dead)}
    agent = make_agent(server.url("/a"), regions=("us", "eu"), validations=4)
    prober = Prober(make_config(agent, regions=regions))
    try:
        result = await prober.run(agent)
    finally:
        await prober.aclose()
    eu = result.regions["eu"]
    assert eu.verdict is Verdict.UNKNOWN and eu.discarded
    assert result.regions["us"].verdict is Verdict.REACHABLE
    # eu's 503s are the monitor's network's fault here, so overall is judged on us alone.
    assert result.verdict is Verdict.REACHABLE
    assert [r.error for r in result.requests if r.region == "eu"] == ["CANARY"]
    assert len(server.received("/canary")) == 1


async def test_one_canary_check_serves_every_agent_of_the_region(server: AgentServer) -> None:
    regions = {"us": Region("us", canary=server.route("/canary", Reply()))}
    agents = [
        AgentConfig(id=f"a{i}", name="A", url=server.route(f"/a{i}", Reply()),
                    regions=("us",), validations=1, retries=0)
        for i in range(5)
    ]
    prober = Prober(make_config(*agents, regions=regions))
    try:
        results = await asyncio.gather(*(prober.run(a) for a in agents))
    finally:
        await prober.aclose()
    assert all(r.verdict is Verdict.REACHABLE for r in results)
    assert len(server.received("/canary")) == 1


async def test_unreachable_gold_prompt_counts_as_failed(server: AgentServer) -> None:
    # Validations answer; the gold prompt's request fails outright (its body differs).
    server.route("/g", Sequence(Reply("hi"), Reply(status=500)))
    gold = GoldPrompt("2+2?", (Expectation("contains", "4"),))
    agent = make_agent(server.url("/g"), gold_prompts=(gold,), validations=1)
    prober = Prober(make_config(agent, max_in_flight=1))  # validation first, then gold
    try:
        result = await prober.run(agent)
    finally:
        await prober.aclose()
    gold_req = next(r for r in result.requests if r.kind == "gold")
    assert gold_req.error == "HTTP_500"
    assert result.overall.eval_pass == 0.0 and result.verdict is Verdict.DEGRADED


async def test_every_canary_failing_makes_the_agent_unknown(server: AgentServer) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/"
    regions = {"us": Region("us", canary=dead)}
    agent = make_agent(server.route("/a", Reply()), validations=2)
    result = await run_once(agent, regions=regions)
    assert result.verdict is Verdict.UNKNOWN


# --------------------------------------------------------------------------- secrets


async def test_echoed_secret_is_redacted(server: AgentServer) -> None:
    secret = "sk-live-very-secret-123"
    url = server.route("/echo", Echo())
    gold = GoldPrompt("anything", (Expectation("contains", "nope"),))
    agent = make_agent(url, headers={"Authorization": f"Bearer {secret}"}, gold_prompts=(gold,))
    config = make_config(agent, secrets=frozenset({secret}))
    prober = Prober(config)
    try:
        result = await prober.run(agent)
        reply = await prober.send_one(agent, "us")
    finally:
        await prober.aclose()
    assert server.requests[0].headers["Authorization"] == f"Bearer {secret}"  # it was sent
    texts = [t for r in result.requests for t in (r.answer, r.detail) if t]
    texts += [reply.body_snippet, reply.answer or "", *reply.headers.values()]
    assert any("Authorization: Bearer ••••••" in t for t in texts)
    assert reply.headers["X-Echo-Auth"] == "Bearer ••••••"
    assert not [t for t in texts if secret in t]
    assert secret not in repr(result) and secret not in repr(reply)


# --------------------------------------------------------------------------- send_one


async def test_send_one_sends_once_without_retries(server: AgentServer) -> None:
    url = server.route("/f", Sequence(Reply(status=503, body={"error": "overloaded"}), Reply("ok")))
    agent = make_agent(url, retries=2)
    prober = Prober(make_config(agent))
    try:
        reply = await prober.send_one(agent, "us")
        assert reply.status == 503 and reply.error == "HTTP_503"
        assert '{"error": "overloaded"}' in reply.body_snippet
        assert reply.ttfb is not None and reply.elapsed is not None
        assert len(server.received("/f")) == 1
        again = await prober.send_one(agent, "us")
        assert again.status == 200 and again.error is None and again.answer == "ok"
        assert server.requests[-1].region == "us"
    finally:
        await prober.aclose()


async def test_send_one_reports_connection_errors() -> None:
    agent = make_agent(f"http://127.0.0.1:{closed_port()}/v1/chat/completions")
    prober = Prober(make_config(agent))
    try:
        reply = await prober.send_one(agent, "us")
    finally:
        await prober.aclose()
    assert reply.status is None and reply.error == "CONNECT"
