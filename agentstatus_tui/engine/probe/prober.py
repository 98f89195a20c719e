"""The Prober: one run of one agent from its regions, and the single "Reproduce" request."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import verdicts
from ..model import (
    AgentConfig,
    Config,
    ErrorCode,
    GoldPrompt,
    Region,
    RequestKind,
    RequestResult,
    RunResult,
    http_error,
)
from ..secrets import redact
from . import expectations
from .body import BadBody, Decoder, SSEStream, TooLarge, completion_text, parse_json, snippet
from .pacing import CAP, PER_AGENT, SLOT_HOLD, InFlight, Pacing
from .request import REGION_HEADER, request_body

if TYPE_CHECKING:
    # The HTTP client is imported with the first request, not with the engine: a
    # dashboard draws its first frame before it polls.
    import aiohttp
    from multidict import CIMultiDict
    from yarl import URL

SNIPPET_BYTES = 2048  # body kept for details and the Reproduce step
ANSWER_CHARS = 1000  # answer text kept per request
CANARY_TTL = 10.0  # one canary check per region serves every agent for this long
BACKOFF_FIRST, BACKOFF_FACTOR, BACKOFF_CAP = 0.2, 2.5, 2.0


@dataclass(frozen=True)
class ProbeReply:
    """What one request sent now got back (the incident panel's "Reproduce" step).
    Headers and body are redacted: an agent that echoes a token does not leak it."""

    region: str
    status: int | None
    ttfb: float | None
    elapsed: float | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body_snippet: str = ""
    error: str | None = None  # ErrorCode value or HTTP_<n>; None when it succeeded
    detail: str | None = None
    answer: str | None = None


class _Prepared(NamedTuple):
    url: URL
    headers: CIMultiDict[str]


@dataclass(slots=True)
class _Attempt:
    """One HTTP exchange, before retries and gold evaluation."""

    error: str | None = None
    status: int | None = None
    ttfb: float | None = None
    first_token: float | None = None
    elapsed: float | None = None
    answer: str | None = None
    detail: str | None = None
    head: bytes = b""
    headers: Mapping[str, str] | None = None

    @property
    def retryable(self) -> bool:
        # 5xx and resets are often transient; 4xx, timeouts and bad bodies are answers.
        return self.error == ErrorCode.PROTOCOL or (self.status is not None and self.status >= 500)


# A request unanswered after SLOT_HOLD is waiting on its agent, not using the monitor:
# it hands its in-flight slot back. Up to OPEN_PER_SLOT × the in-flight limit requests
# may be open at once (sockets are the limit then, not CPU).
OPEN_PER_SLOT = 4

class Prober:
    """Sends an agent's validations and gold prompts from each of its regions.

    One client per region (built lazily inside the running loop), one global in-flight
    limit shared by every agent, so a burst of agents queues here instead of in the
    network stack. Time spent waiting for a slot is never counted as agent latency.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.pacing = Pacing(config)
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._open: InFlight | None = None
        self._canaries: dict[str, tuple[float, asyncio.Future[str | None]]] = {}
        # The same request goes out every run: its URL and headers are built once.
        self._requests: dict[tuple[Any, ...], _Prepared] = {}

    # ------------------------------------------------------------------ plumbing

    @property
    def slots(self) -> InFlight:
        """The in-flight limit: requests being sent or read (the monitor's own work)."""
        return self.pacing.slots

    @property
    def open_cap(self) -> int:
        return self.pacing.size * OPEN_PER_SLOT

    @property
    def open_requests(self) -> InFlight:
        """Every request not yet finished, counting those that gave their slot back while
        waiting on a slow agent: bounds sockets and memory."""
        if self._open is None:
            self._open = InFlight(self.open_cap)
        return self._open

    def _rescale(self) -> None:
        self.pacing.rescale()
        if self._open is not None and self._open.size != self.open_cap:
            self._open.resize(self.open_cap)

    def _region(self, name: str) -> Region:
        return self.config.regions.get(name) or Region(name)

    def _session(self, region: str) -> aiohttp.ClientSession:
        session = self._sessions.get(region)
        if session is None:
            from .http import make_session

            session = make_session(
                self._region(region),
                # Room for every open request: a request queued inside the connection
                # pool would have that wait counted as the agent's latency.
                max_in_flight=max(CAP, self.pacing.size) * OPEN_PER_SLOT,
            )
            self._sessions[region] = session
        return session

    def _redact(self, text: str | None) -> str | None:
        return redact(text, self.config.secrets) if text else text

    def deadline_for(self, agent: AgentConfig) -> float:
        """Seconds a whole run of `agent` may take (config.run_deadline, else derived:
        every attempt timing out, the backoffs between them, and room to queue)."""
        if self.config.run_deadline:
            return self.config.run_deadline
        backoffs = sum(_backoff(i, jitter=False) * 1.2 for i in range(agent.retries))
        return agent.timeout * (agent.retries + 2) + backoffs + 5.0

    async def aclose(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        self._requests.clear()
        self.pacing.forget_loop()  # bound to this loop: a later loop gets its own
        self._open = None
        for s in sessions:
            await s.close()
        for _, fut in self._canaries.values():
            fut.cancel()
        self._canaries.clear()

    # ------------------------------------------------------------------ one exchange

    def _prepared(self, agent: AgentConfig, region: str) -> _Prepared:
        key = (agent.url, region, agent.stream, tuple(agent.headers.items()))
        prepared = self._requests.get(key)
        if prepared is None:
            if len(self._requests) > 10_000:
                self._requests.clear()  # agents came and went: start afresh
            from multidict import CIMultiDict
            from yarl import URL

            headers = {**agent.headers, REGION_HEADER: region, "Content-Type": "application/json"}
            if agent.stream:
                headers["Accept"] = "text/event-stream"
            prepared = _Prepared(URL(agent.url), CIMultiDict(headers))
            self._requests[key] = prepared
        return prepared

    async def _attempt(
        self,
        agent: AgentConfig,
        region: str,
        content: bytes,
        timeout: float,
        *,
        keep_headers: bool = False,
    ) -> _Attempt:
        """One POST, already holding a slot. Timed from here: the transport gets it now."""
        att = _Attempt()
        cap = self.config.max_body_bytes
        t0 = time.perf_counter()
        try:
            session = self._session(region)
            url, headers = self._prepared(agent, region)
            t0 = time.perf_counter()
            async with asyncio.timeout(timeout):
                async with session.post(
                    url, data=content, headers=headers, allow_redirects=False
                ) as resp:
                    att.status = resp.status
                    if keep_headers:
                        # raw keeps the server's spelling of header names, for display.
                        att.headers = {
                            k.decode("latin-1"): redact(v.decode("latin-1"), self.config.secrets)
                            for k, v in resp.raw_headers
                        }
                    await self._read(resp, att, t0, cap, stream=agent.stream)
        except TimeoutError:
            att.error = ErrorCode.TIMEOUT
            att.detail = f"no complete answer within {timeout:.3g}s"
        except BadBody as e:
            att.error, att.detail = ErrorCode.BAD_BODY, str(e)
        except TooLarge as e:
            att.error, att.detail = ErrorCode.TOO_LARGE, str(e)
        except Exception as e:  # every transport failure becomes an error code
            from .http import failure

            att.error, att.detail = failure(e)
        att.elapsed = time.perf_counter() - t0
        return att

    async def _read(
        self, resp: aiohttp.ClientResponse, att: _Attempt, t0: float, cap: int, *, stream: bool
    ) -> None:
        """Read the body while counting it: over the cap → TOO_LARGE, never buffering more.
        A compressed body is decoded as it arrives, its decoded size counted."""
        status = resp.status
        ok_status = 200 <= status < 300
        headers = resp.headers
        declared = headers.get("Content-Length")
        if ok_status and declared and declared.isdigit() and int(declared) > cap:
            att.ttfb = time.perf_counter() - t0
            att.error = ErrorCode.TOO_LARGE
            att.detail = f"Content-Length {int(declared):,} bytes over the {cap:,}-byte cap"
            return
        sse = SSEStream(t0) if (ok_status and stream) else None
        encoding = headers.get("Content-Encoding")
        decoder = Decoder(encoding, cap) if encoding and encoding.lower() != "identity" else None
        buf = bytearray()
        total = 0
        content = resp.content
        try:
            while data := await content.readany():
                if att.ttfb is None:
                    att.ttfb = time.perf_counter() - t0
                total += len(data)
                if total > cap:
                    raise TooLarge(f"body over the {cap:,}-byte cap")
                if decoder is not None:
                    data = decoder.feed(data)
                if len(buf) < SNIPPET_BYTES or (ok_status and sse is None):
                    buf += data
                if sse is not None:
                    sse.feed(data)
                    if sse.done:
                        break
                elif not ok_status and len(buf) >= SNIPPET_BYTES:
                    break  # an error page: the snippet is all anyone needs
        finally:
            att.head = bytes(buf[:SNIPPET_BYTES])
        if att.ttfb is None:
            att.ttfb = time.perf_counter() - t0
        if not ok_status:
            att.error = http_error(status)
            att.detail = snippet(att.head, 200)
            return
        if sse is not None:
            att.answer = sse.finish()
            att.first_token = sse.first_token
            return
        att.answer = completion_text(parse_json(buf))

    # ------------------------------------------------------------------ one request

    async def _request(
        self,
        agent: AgentConfig,
        region: str,
        kind: RequestKind,
        content: bytes,
        deadline: float,
        gold: GoldPrompt | None = None,
        gold_index: int | None = None,
        mine: InFlight | None = None,
    ) -> RequestResult | None:
        """One request with its retries; None when the monitor's own queue kept it from a
        fair try before the run deadline (not the agent's fault, so it is not counted).
        `mine` is the run's own limit (PER_AGENT), when it has more requests than that."""
        loop = asyncio.get_running_loop()
        retried = 0
        counted: tuple[_Attempt, float, int] | None = None  # last attempt that counts
        while True:
            queued = self._must_wait(mine)
            slot = await self._take_slot(deadline, mine)
            if slot is None:
                break  # keep the last attempt's failure, if any
            taken = loop.time()
            if taken >= deadline:
                # The slot came after the deadline (the loop fell behind): nothing was sent.
                slot.release()
                self.open_requests.release()
                break
            # A request still unanswered after SLOT_HOLD is waiting on its agent and
            # costs the monitor nothing: it gives its slot back, so a few hanging agents
            # cannot hold every slot for their whole timeout and stall everyone's runs.
            hand_back = loop.call_later(SLOT_HOLD, slot.release)
            try:
                started_at = time.time()
                timeout = min(agent.timeout, deadline - taken)
                att = await self._attempt(agent, region, content, timeout)
            finally:
                hand_back.cancel()
                slot.release()
                self.open_requests.release()
                self.pacing.observe(loop.time() - taken)
            if queued and att.error == ErrorCode.TIMEOUT and timeout < agent.timeout:
                # It waited for its slot, then the run's deadline, not the agent's own
                # timeout, ended it: the monitor's queue took the time the agent was owed.
                break
            counted = att, started_at, retried
            if not att.retryable or retried >= agent.retries:
                break
            pause = _backoff(retried)
            if loop.time() + pause >= deadline:
                break
            await asyncio.sleep(pause)
            retried += 1
        if counted is None:
            return None
        att, started_at, retried = counted
        ok = att.error is None
        if ok and gold is not None:
            failed = expectations.failures(gold.expect, att.answer or "", att.ttfb)
            if failed:
                ok = False
                att.error, att.detail = ErrorCode.EVAL_FAIL, "; ".join(failed)
        answer = att.answer[:ANSWER_CHARS] if att.answer is not None else None
        return RequestResult(
            region=region,
            kind=kind,
            started_at=started_at,
            ok=ok,
            error=None if ok else str(att.error),
            status=att.status,
            ttfb=att.ttfb,
            first_token=att.first_token,
            elapsed=att.elapsed,
            retried=retried,
            answer=self._redact(answer),
            detail=self._redact(att.detail),
            gold_index=gold_index,
        )

    def _must_wait(self, mine: InFlight | None) -> bool:
        """Whether a request asking for its slot now has to queue for it."""
        return (
            (mine is not None and mine.locked())
            or self.open_requests.locked()
            or self.slots.locked()
        )

    async def _take_slot(self, deadline: float, mine: InFlight | None) -> _HeldSlot | None:
        """An open request and an in-flight slot (and one of the run's own, if it has a
        limit), waiting no later than `deadline`; None if they never came."""
        if mine is not None and not await _acquire(mine, deadline):
            return None
        if await _acquire(self.open_requests, deadline):
            if await _acquire(self.slots, deadline):
                return _HeldSlot(self.slots, mine)
            self.open_requests.release()
        if mine is not None:
            mine.release()
        return None

    # ------------------------------------------------------------------ canary

    async def _canary_check(self, region: str, timeout: float) -> str | None:
        """None when the region's network works (the canary URL answered), else why not."""
        url = self._region(region).canary
        assert url is not None
        async with self.slots:
            try:
                async with asyncio.timeout(timeout):
                    async with self._session(region).get(
                        url, headers={REGION_HEADER: region}, allow_redirects=False
                    ) as resp:
                        if resp.status >= 400:
                            return f"canary {url} answered HTTP {resp.status}"
                        return None
            except TimeoutError:
                return f"canary {url}: TIMEOUT"
            except Exception as e:
                from .http import failure

                code, why = failure(e)
                return f"canary {url}: {code} ({why})"

    def _canary(self, region: str, timeout: float) -> asyncio.Future[str | None]:
        now = time.monotonic()
        cached = self._canaries.get(region)
        if cached and (not cached[1].done() or now - cached[0] < CANARY_TTL):
            return cached[1]
        fut = asyncio.ensure_future(self._canary_check(region, timeout))
        self._canaries[region] = (now, fut)
        return fut

    # ------------------------------------------------------------------ the contract

    async def run(self, agent: AgentConfig, *, manual: bool = False) -> RunResult:
        """One whole run of `agent`: validations round-robin over its regions (at least one
        per region), every gold prompt once per region, canaries alongside."""
        loop = asyncio.get_running_loop()
        started_at = time.time()
        deadline = loop.time() + self.deadline_for(agent)
        regions = agent.regions or tuple(self.config.regions) or ("local",)
        validation = json.dumps(request_body(agent)).encode()
        golds = [json.dumps(request_body(agent, g)).encode() for g in agent.gold_prompts]

        self._rescale()
        count = max(agent.validations, len(regions)) + len(golds) * len(regions)
        # One agent never gets more than PER_AGENT requests at once, however many it asks.
        mine = InFlight(PER_AGENT) if count > PER_AGENT else None
        jobs = []
        for i in range(max(agent.validations, len(regions))):
            region = regions[i % len(regions)]
            jobs.append(
                self._request(agent, region, "validation", validation, deadline, mine=mine)
            )
        for region in regions:
            for gi, (g, content) in enumerate(zip(agent.gold_prompts, golds, strict=True)):
                jobs.append(self._request(agent, region, "gold", content, deadline, g, gi, mine))
        canary_regions = [r for r in regions if self._region(r).canary]
        canaries = [self._canary(r, min(agent.timeout, 10.0)) for r in canary_regions]

        results = await asyncio.gather(*jobs)
        canary_failures = await asyncio.gather(*canaries) if canaries else []
        discarded = {
            r: why for r, why in zip(canary_regions, canary_failures, strict=True) if why
        }
        requests = [r for r in results if r is not None and r.region not in discarded]
        for region, why in discarded.items():
            requests.append(
                RequestResult(
                    region=region,
                    kind="validation",
                    started_at=started_at,
                    ok=False,
                    error=ErrorCode.CANARY.value,
                    detail=self._redact(why),
                )
            )
        overall, per_region = verdicts.summarize(
            requests,
            regions,
            ttfb_sla=agent.ttfb_sla,
            thresholds=self.config.thresholds,
            discarded=discarded,
        )
        return RunResult(
            agent_id=agent.id,
            started_at=started_at,
            finished_at=time.time(),
            overall=overall,
            regions=per_region,
            requests=tuple(requests),
            manual=manual,
        )

    async def send_one(self, agent: AgentConfig, region: str) -> ProbeReply:
        """The validation request, sent once now (no retries), with what came back."""
        content = json.dumps(request_body(agent)).encode()
        async with self.slots:
            att = await self._attempt(agent, region, content, agent.timeout, keep_headers=True)
        return ProbeReply(
            region=region,
            status=att.status,
            ttfb=att.ttfb,
            elapsed=att.elapsed,
            headers=att.headers or {},
            body_snippet=redact(att.head.decode("utf-8", "replace"), self.config.secrets),
            error=None if att.error is None else str(att.error),
            detail=self._redact(att.detail),
            answer=self._redact(att.answer[:ANSWER_CHARS] if att.answer else att.answer),
        )


def _backoff(n: int, *, jitter: bool = True) -> float:
    base = min(BACKOFF_FIRST * BACKOFF_FACTOR**n, BACKOFF_CAP)
    # Jitter keeps many agents' retries from landing on a recovering server together.
    return base * random.uniform(0.8, 1.2) if jitter else base


class _HeldSlot:
    """A slot of the in-flight limit (and of its run's own limit, if any), released
    exactly once (early or at the end)."""

    __slots__ = ("held", "mine", "sem")

    def __init__(self, sem: InFlight, mine: InFlight | None = None) -> None:
        self.sem = sem
        self.mine = mine
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.sem.release()
            if self.mine is not None:
                self.mine.release()


async def _acquire(sem: InFlight, deadline: float) -> bool:
    """Take `sem`, waiting no later than `deadline` (loop time); False if it never came."""
    if not sem.locked():
        await sem.acquire()  # free: no timer needed
        return True
    try:
        async with asyncio.timeout_at(deadline):
            await sem.acquire()
    except TimeoutError:
        return False
    return True
