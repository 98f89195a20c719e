"""The in-flight limit follows the load: enough slots that the schedules' requests never
queue behind the monitor's own limit, a round of many agents (`check`) runs far more than
the old fixed 64 at once, one agent never gets more than its share, and a slow agent
still gives its slot back. Concurrency is counted at a real loopback agent."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from agent_server import AgentServer, Hang, Received, Reply
from aiohttp import web

from agentstatus_tui.cli import main
from agentstatus_tui.engine.model import AgentConfig, Config, Region, Verdict
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.engine.probe import pacing
from agentstatus_tui.engine.probe.pacing import (
    CAP,
    FLOOR,
    PER_AGENT,
    InFlight,
    Pacing,
    scaled_limit,
)
from agentstatus_tui.engine.probe.prober import Prober

OLD_FIXED_LIMIT = 64


@dataclass
class Counted:
    """A chat completion after `delay`, counting the requests being answered at once."""

    delay: float
    now: int = 0
    most: int = 0
    served: int = 0

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            return await Reply("hi", delay=self.delay)(request, rec)
        finally:
            self.now -= 1
            self.served += 1


def agents(url: str, n: int, **kw: object) -> tuple[AgentConfig, ...]:
    # A loose SLA: these tests count concurrency; the test agent shares the machine.
    opts: dict[str, object] = {"regions": ("us",), "validations": 2, "retries": 0,
                               "timeout": 10.0, "interval": 60.0, "ttfb_sla": 30.0}
    opts.update(kw)
    return tuple(AgentConfig(id=f"a{i}", name=f"A{i}", url=url, **opts)  # type: ignore[arg-type]
                 for i in range(n))


def config(*agent_list: AgentConfig, **kw: object) -> Config:
    return Config(agents=agent_list, regions={"us": Region("us")}, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the rule


def test_the_limit_follows_the_schedules_and_the_hold_time() -> None:
    few = Pacing(config(*agents("http://x/", 5, validations=10)))
    assert few.rescale() == FLOOR  # a small config keeps the floor

    # 2,000 agents × 10 validations a minute = 333 requests/s; at 200 ms each that is 67
    # in flight on average: the limit leaves twice that, so they never wait for a slot.
    many = Pacing(config(*agents("http://x/", 2000, validations=10)))
    assert round(many.rate) == 333
    for _ in range(500):
        many.observe(0.2)
    limit = many.rescale()
    assert limit >= 2 * 333 * 0.2 > OLD_FIXED_LIMIT, limit

    # Slower answers hold slots longer: more slots, up to the cap.
    for _ in range(2000):
        many.observe(5.0)  # counted as SLOT_HOLD: the slot is given back by then
    assert many.rescale() == CAP

    # A round of every agent at once gets room for each (up to PER_AGENT), bounded by
    # what the monitor's CPU keeps up with at the hold time seen.
    assert scaled_limit(rate=0.0, hold=0.2, round_slots=30) == FLOOR
    assert scaled_limit(rate=0.0, hold=0.2, round_slots=150) == 150
    assert scaled_limit(rate=0.0, hold=0.2, round_slots=5000) == pacing.MAX_RATE * 0.2
    assert scaled_limit(rate=0.0, hold=0.01, round_slots=5000) == FLOOR


def test_a_fixed_max_in_flight_is_kept_whatever_the_load() -> None:
    fixed = Pacing(config(*agents("http://x/", 2000, validations=10), max_in_flight=8))
    for _ in range(500):
        fixed.observe(1.0)
    with fixed.round(fixed.config.agents):
        assert fixed.rescale() == 8


async def test_a_resized_limit_wakes_waiters_and_shrinks_as_slots_come_back() -> None:
    slots = InFlight(2)
    await slots.acquire()
    await slots.acquire()
    waiter = asyncio.ensure_future(slots.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    slots.resize(3)  # growing lets the waiter in at once
    await waiter
    assert slots.held == 3

    slots.resize(1)  # shrinking: nobody new gets in until only one is held
    late = asyncio.ensure_future(slots.acquire())
    slots.release()
    slots.release()
    await asyncio.sleep(0)
    assert not late.done() and slots.held == 1
    slots.release()
    await late
    assert slots.held == 1

    # A waiter given a slot as it is cancelled passes the slot on.
    blocked = asyncio.ensure_future(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # wakes `blocked`…
    blocked.cancel()  # …which gives up before it runs
    await asyncio.gather(blocked, return_exceptions=True)
    assert slots.held == 0


# ----------------------------------------------------------------------------- at work


async def test_a_round_of_many_agents_runs_more_than_the_old_fixed_limit_at_once(
    tmp_path: Path,
) -> None:
    async with AgentServer() as server:
        agent = Counted(delay=0.6)
        url = server.route("/a", agent)
        mon = Monitor.open(config(*agents(url, 150, validations=2)), data_dir=str(tmp_path))
        try:
            results = await mon.run_round(deliver_deadline=None)
        finally:
            await mon.stop()
    assert agent.served == 300
    assert {r.verdict for r in results} == {Verdict.REACHABLE}
    # Room for the whole round (150 agents × 2), bounded by the cap.
    assert OLD_FIXED_LIMIT < agent.most <= CAP, agent.most


async def test_one_agent_never_gets_more_than_its_share_at_once() -> None:
    async with AgentServer() as server:
        agent = Counted(delay=0.3)
        url = server.route("/a", agent)
        [big] = agents(url, 1, validations=3 * PER_AGENT)
        prober = Prober(config(big))
        try:
            result = await prober.run(big)
        finally:
            await prober.aclose()
    assert result.verdict is Verdict.REACHABLE and len(result.requests) == 3 * PER_AGENT
    assert agent.most == PER_AGENT, agent.most


async def test_hanging_agents_still_give_their_slots_back_under_the_scaled_limit() -> None:
    """More hanging requests than the scaled limit's slots: each gives its slot back
    after SLOT_HOLD, so a healthy agent's run still finishes long before they time out."""
    async with AgentServer() as server:
        hang = server.route("/hang", Hang())
        ok = Counted(delay=0.0)
        hanging = tuple(
            AgentConfig(id=f"hang-{i}", name="H", url=hang, regions=("us",),
                        validations=PER_AGENT, retries=0, timeout=20.0)
            for i in range(FLOOR // PER_AGENT + 2)
        )
        [healthy] = agents(server.route("/ok", ok), 1, validations=4)
        prober = Prober(config(*hanging, healthy))
        assert prober.pacing.rescale() == FLOOR  # fewer slots than hanging requests
        tasks = [asyncio.create_task(prober.run(a)) for a in hanging]
        try:
            for _ in range(200):  # the hanging requests fill every slot first
                if prober.slots.held >= FLOOR:
                    break
                await asyncio.sleep(0.02)
            assert prober.slots.held >= FLOOR
            result = await prober.run(healthy)
            assert result.verdict is Verdict.REACHABLE
            assert not any(t.done() for t in tasks), "the healthy run waited for the hanging ones"
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await prober.aclose()


async def test_check_of_many_agents_keeps_enough_requests_in_flight_for_its_budget(
    tmp_path: Path,
) -> None:
    """`check` over 500 agents × 10 validations of a 200 ms agent must end within 15 s:
    5,000 × 0.2 s ÷ ~12 s (start-up aside) needs well over 64 in flight on average. The
    whole CLI path, 120 agents × 10 validations, counted at the agent."""
    async with AgentServer() as server:
        agent = Counted(delay=0.6)
        url = server.route("/a", agent)
        lines = ["defaults:", "  validations: 10", "  retries: 0", "  timeout: 20s",
                 "  ttfb_sla: 20s", "agents:"]
        for i in range(120):
            lines += [f"  - id: agent-{i}", f"    url: {url}"]
        cfg = tmp_path / "agents.yaml"
        cfg.write_text("\n".join(lines) + "\n")
        out = tmp_path / "out.json"

        def check() -> int:
            import contextlib
            import io

            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                code = main(["check", "--json", "--config", str(cfg), "--data-dir", str(tmp_path)])
            out.write_text(buf.getvalue())
            return code

        code = await asyncio.to_thread(check)
    assert code == 0
    doc = json.loads(out.read_text())
    assert {a["verdict"] for a in doc["agents"]} == {"REACHABLE"}
    assert agent.served == 1200
    assert agent.most >= 2 * OLD_FIXED_LIMIT, agent.most
    assert agent.most <= CAP
