"""Built-in demo agents: OpenAI-compatible endpoints on loopback, each with its own trouble.

`async with DemoAgents() as demo: config = demo.config()` serves them from one aiohttp
server on 127.0.0.1 (port chosen by the OS) inside the running event loop; `DemoThread`
runs the same server on a loop of its own for front ends that own theirs. No network,
no account: everything answers from this process.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets as _random_ids
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from aiohttp import web

from .engine.model import (
    AgentConfig,
    AlertRules,
    Config,
    Expectation,
    GoldPrompt,
    PagerDutyChannel,
    Region,
    Runbook,
    SlackChannel,
)

REGION_HEADER = "X-AgentStatus-Region"
REGIONS = ("us", "eu", "ap")
TOKEN_VAR = "DEMO_AGENT_TOKEN"
TOKEN = "demo-4c1d-token-not-a-real-secret"  # shown as $DEMO_AGENT_TOKEN, masked elsewhere
EXPIRED_TOKEN = "demo-expired-token-0000"
MODEL = "demo-gpt-mini"
DEMO_ROUTING_KEY = "demo-routing-key-0123456789abcdef"  # the demo's PagerDuty stand-in
DEMO_CHANNELS = ("demo-pagerduty", "demo-slack")
BLINK_PERIOD, BLINK_DOWN = 240.0, 60.0  # the blinking agent is DOWN 1 minute in every 4

GOLD_PROMPTS = (
    GoldPrompt(
        "What is 2+2? Reply with the number only.",
        (Expectation("contains", "4"),),
        name="arithmetic",
    ),
    GoldPrompt(
        'Reply with a JSON object {"status": "ok"} and nothing else.',
        (Expectation("json", True), Expectation("icontains", "ok")),
        name="json reply",
    ),
)


@dataclass(frozen=True)
class DemoAgent:
    """One demo agent: how it behaves, and what the monitor should conclude."""

    id: str
    name: str
    latency: float  # typical seconds to the first byte
    expected: str  # the verdict `check --demo` shows for it (blinking: UP, or DOWN in its window)
    stream: bool = False
    gold: bool = True
    timeout: float = 3.0
    ttfb_sla: float = 1.5
    blurb: str = ""


AGENTS: tuple[DemoAgent, ...] = (
    DemoAgent("support-bot", "Support Bot", 0.12, "UP", blurb="healthy, answers its gold prompts"),
    DemoAgent("stream-writer", "Stream Writer", 0.08, "UP", stream=True,
              blurb="healthy, streams its answers (SSE)"),
    DemoAgent("search-agent", "Search Agent", 0.15, "UP", timeout=4.0,
              blurb="slow from ap only: ap DEGRADED, overall UP"),
    DemoAgent("billing-helper", "Billing Helper", 0.10, "UP",
              blurb="flaky: a 503 now and then, fine on retry"),
    DemoAgent("crm-sync", "CRM Sync", 0.05, "DOWN", gold=False,
              blurb="its token expired: HTTP 401 everywhere"),
    DemoAgent("quiz-master", "Quiz Master", 0.11, "DEGRADED",
              blurb="reachable, but answers its gold prompts wrongly"),
    DemoAgent("legacy-gateway", "Legacy Gateway", 0.02, "DOWN", gold=False,
              blurb="down: always HTTP 503"),
    DemoAgent("night-owl", "Night Owl", 0.13, "UP",
              blurb=f"DOWN for {BLINK_DOWN:.0f}s in every {BLINK_PERIOD:.0f}s (watch it flip)"),
)

SLOW_REGION, SLOW_DELAY = "ap", 2.2  # search-agent from ap: over its 1.5 s SLA


def _answer(prompt: str, *, wrong: bool) -> str:
    """What a demo model says. The wrong one is confidently, plausibly wrong."""
    p = prompt.lower()
    if "2+2" in p:
        return "5" if wrong else "4"
    if "json" in p:
        return "status: fine" if wrong else '{"status": "ok"}'
    return "Hello! How can I help you today?"


def _completion(content: str, prompt: str) -> dict[str, Any]:
    prompt_tokens = max(1, len(prompt.split()) + 8)
    completion_tokens = max(1, len(content.split()))
    return {
        "id": "chatcmpl-" + _random_ids.token_hex(12),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL,
        "system_fingerprint": "fp_demo",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _error(status: int, message: str, kind: str, code: str | None = None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(body, status=status)


class DemoAgents:
    """The demo server. `now` is the wall clock the blinking agent follows (tests pin it)."""

    def __init__(self, *, now: Callable[[], float] = time.time, host: str = "127.0.0.1") -> None:
        self.now = now
        self.host = host
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._last_flake = -1e9
        # What the demo's own PagerDuty and Slack stand-ins received: alerts, the
        # incident panel's acknowledge/resolve and Slack posts really travel, on loopback.
        self.alerts_received: list[tuple[str, Any]] = []

    # ------------------------------------------------------------------ serving

    def url(self, agent_id: str) -> str:
        return f"http://{self.host}:{self.port}/{agent_id}/v1/chat/completions"

    def night_owl_down(self) -> bool:
        return self.now() % BLINK_PERIOD < BLINK_DOWN

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        agent_id = request.match_info["agent"]
        region = request.headers.get(REGION_HEADER, "")
        try:
            body = await request.json()
            prompt = str(body["messages"][-1]["content"])
        except (ValueError, KeyError, IndexError, TypeError):
            return _error(400, "Invalid request: expected a chat completions body",
                          "invalid_request_error")
        spec = next((a for a in AGENTS if a.id == agent_id), None)
        if spec is None:
            return _error(404, f"Unknown agent {agent_id!r}", "invalid_request_error")
        auth = request.headers.get("Authorization", "")
        if agent_id == "crm-sync" or auth != f"Bearer {TOKEN}":
            await asyncio.sleep(spec.latency)
            return _error(401, "Incorrect API key provided.", "invalid_request_error",
                          "invalid_api_key")
        if agent_id == "legacy-gateway" or (agent_id == "night-owl" and self.night_owl_down()):
            await asyncio.sleep(spec.latency)
            return _error(503, "The upstream model is overloaded. Please retry later.",
                          "server_error", "overloaded")
        if agent_id == "billing-helper":
            # The first request of each burst fails; its retry (≥ 0.16 s later) and the rest
            # of the burst succeed, so every run sees a retry and still ends UP.
            now = time.monotonic()
            if now - self._last_flake > 1.0:
                self._last_flake = now
                await asyncio.sleep(spec.latency / 2)
                return _error(503, "Service temporarily unavailable.", "server_error")
        delay = spec.latency * random.uniform(0.7, 1.3)
        if agent_id == "search-agent" and region == SLOW_REGION:
            delay = SLOW_DELAY + random.uniform(0.0, 0.2)
        answer = _answer(prompt, wrong=agent_id == "quiz-master")
        if body.get("stream"):
            return await self._stream(request, answer, delay)
        await asyncio.sleep(delay)
        return web.json_response(_completion(answer, prompt))

    async def _stream(self, request: web.Request, answer: str, delay: float) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await resp.prepare(request)
        await asyncio.sleep(delay)
        cid, created = "chatcmpl-" + _random_ids.token_hex(12), int(time.time())

        def event(delta: dict[str, str], finish: str | None = None) -> bytes:
            chunk = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(chunk)}\n\n".encode()

        await resp.write(event({"role": "assistant", "content": ""}))
        words = answer.split(" ")
        for i, word in enumerate(words):
            await asyncio.sleep(0.02)
            await resp.write(event({"content": word if i == 0 else " " + word}))
        await resp.write(event({}, "stop"))
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    async def _alert_receiver(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        try:
            body: Any = await request.json()
        except ValueError:
            return web.json_response({"status": "invalid", "message": "bad JSON"}, status=400)
        self.alerts_received.append((kind, body))
        del self.alerts_received[:-500]
        if kind == "pagerduty":
            return web.json_response(
                {"status": "success", "message": "Event processed",
                 "dedup_key": body.get("dedup_key")}, status=202)
        return web.Response(text="ok")

    async def __aenter__(self) -> DemoAgents:
        app = web.Application()
        app.router.add_post("/{agent}/v1/chat/completions", self._handle)
        app.router.add_post("/demo-alerts/{kind}", self._alert_receiver)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the port the OS chose when asked for 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ config

    def agent_configs(self) -> tuple[AgentConfig, ...]:
        out = []
        for i, spec in enumerate(AGENTS):
            token = EXPIRED_TOKEN if spec.id == "crm-sync" else TOKEN
            template = "Bearer ${%s}" % ("DEMO_EXPIRED_TOKEN" if spec.id == "crm-sync" else TOKEN_VAR)
            out.append(
                AgentConfig(
                    id=spec.id,
                    name=spec.name,
                    url=self.url(spec.id),
                    headers=MappingProxyType({"Authorization": f"Bearer {token}"}),
                    header_templates=MappingProxyType({"Authorization": template}),
                    model=MODEL,
                    stream=spec.stream,
                    regions=REGIONS,
                    # 15–29 s, different per agent, so runs spread out instead of lining up.
                    interval=15.0 + (i * 7) % 15,
                    timeout=spec.timeout,
                    validations=6,
                    retries=2,
                    ttfb_sla=spec.ttfb_sla,
                    gold_prompts=GOLD_PROMPTS if spec.gold else (),
                    alerts=AlertRules(channels=DEMO_CHANNELS),
                    runbook=Runbook(
                        contacts=("@demo-oncall (primary)",),
                        rollback=f"kubectl rollout undo deploy/{spec.id}",
                        common_issues=MappingProxyType({"demo": spec.blurb}),
                    ),
                )
            )
        return tuple(out)

    def config(self, **overrides: Any) -> Config:
        """A Config for the demo agents (regions us, eu, ap), built directly."""
        base = f"http://{self.host}:{self.port}/demo-alerts"
        channels = {
            "demo-pagerduty": PagerDutyChannel(
                "demo-pagerduty", routing_key=DEMO_ROUTING_KEY, url=f"{base}/pagerduty"
            ),
            "demo-slack": SlackChannel("demo-slack", url=f"{base}/slack"),
        }
        opts: dict[str, Any] = {
            "agents": self.agent_configs(),
            "regions": MappingProxyType({n: Region(n) for n in REGIONS}),
            "channels": MappingProxyType(channels),
            "secrets": frozenset({TOKEN, EXPIRED_TOKEN, DEMO_ROUTING_KEY}),
        }
        opts.update(overrides)
        return Config(**opts)


def demo_config_yaml(port: int, host: str = "127.0.0.1") -> str:
    """The demo config as YAML (for `validate` and as an example); tokens come from
    ${DEMO_AGENT_TOKEN} and ${DEMO_EXPIRED_TOKEN}."""
    lines = [
        "# The built-in demo agents (agentstatus --demo), as a config file.",
        f"# export {TOKEN_VAR}={TOKEN}  DEMO_EXPIRED_TOKEN={EXPIRED_TOKEN}",
        "defaults:",
        "  validations: 6",
        "  retries: 2",
        "  ttfb_sla: 1500ms",
        "regions:",
        *[f"  {n}: {{}}" for n in REGIONS],
        "agents:",
    ]
    for i, spec in enumerate(AGENTS):
        var = "DEMO_EXPIRED_TOKEN" if spec.id == "crm-sync" else TOKEN_VAR
        lines += [
            f"  - id: {spec.id}            # {spec.blurb}",
            f"    name: {spec.name}",
            f"    url: http://{host}:{port}/{spec.id}/v1/chat/completions",
            f'    headers: {{Authorization: "Bearer ${{{var}}}"}}',
            f"    model: {MODEL}",
            f"    stream: {'true' if spec.stream else 'false'}",
            f"    interval: {15 + (i * 7) % 15}s",
            f"    timeout: {spec.timeout:g}s",
        ]
        if spec.gold:
            lines += [
                "    gold_prompts:",
                '      - prompt: "What is 2+2? Reply with the number only."',
                "        name: arithmetic",
                '        expect: {contains: "4"}',
                "      - prompt: 'Reply with a JSON object {\"status\": \"ok\"} and nothing else.'",
                "        name: json reply",
                '        expect: {json: true, icontains: "ok"}',
            ]
    return "\n".join(lines) + "\n"


class DemoThread:
    """The demo server on its own event loop in a daemon thread, for a front end whose
    loop is not running yet (or that would rather keep the demo out of it)."""

    def __init__(self, **kwargs: Any) -> None:
        self.demo = DemoAgents(**kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None

    def start(self, timeout: float = 10.0) -> Config:
        ready = threading.Event()
        errors: list[BaseException] = []

        async def main() -> None:
            self._stop = asyncio.Event()
            try:
                async with self.demo:
                    ready.set()
                    await self._stop.wait()
            except BaseException as e:
                errors.append(e)
                ready.set()

        def target() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(main())
            self._loop.close()

        self._thread = threading.Thread(target=target, name="demo-agents", daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or errors:
            raise RuntimeError(f"demo agents did not start: {errors[0] if errors else 'timeout'}")
        return self.demo.config()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(5.0)
