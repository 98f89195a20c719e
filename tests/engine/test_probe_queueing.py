"""Time an agent's request spends queued inside the monitor is never the agent's failure:
a request that got its in-flight slot too late to run before the run's deadline is not
counted (the verdict comes from the requests that did run), while an agent that really
does not answer still reads TIMEOUT. Real loopback agents, a tiny in-flight limit."""

from __future__ import annotations

from agent_server import AgentServer, Hang, Reply, Sequence

from agentstatus_tui.engine.model import AgentConfig, Config, Region, RunResult, Verdict
from agentstatus_tui.engine.probe.prober import Prober


def agent(url: str, **kw: object) -> AgentConfig:
    # A loose SLA: these tests are about which requests count, not about speed.
    opts: dict[str, object] = {"regions": ("us",), "timeout": 10.0, "retries": 0,
                               "ttfb_sla": 30.0}
    opts.update(kw)
    return AgentConfig(id="a", name="A", url=url, **opts)  # type: ignore[arg-type]


async def run(one: AgentConfig, **config_kw: object) -> RunResult:
    config = Config(agents=(one,), regions={"us": Region("us")}, **config_kw)  # type: ignore[arg-type]
    prober = Prober(config)
    try:
        return await prober.run(one)
    finally:
        await prober.aclose()


async def test_requests_queued_past_the_run_deadline_are_not_the_agents_timeouts() -> None:
    """One slot, a 0.4 s agent, six validations, a 1 s run: two answer in turn, the third
    gets the slot with ~0.2 s of the run left (the agent needs 0.4 s), the rest never get
    one. Before, the third read TIMEOUT and the healthy agent DEGRADED."""
    async with AgentServer() as server:
        one = agent(server.route("/ok", Reply("hi", delay=0.4)), validations=6)
        result = await run(one, max_in_flight=1, run_deadline=1.0)
    counted = result.requests
    assert 1 <= len(counted) < 6, counted  # the requests that never ran are left out
    assert [r.error for r in counted] == [None] * len(counted), counted
    assert result.verdict is Verdict.REACHABLE
    assert result.overall.validations == len(counted)


async def test_a_slot_given_back_near_the_deadline_does_not_blame_the_agent() -> None:
    """The first request keeps the only slot for SLOT_HOLD (1 s), then gives it back
    while it waits on the agent; the second gets it with 0.4 s of the run left for an
    agent that answers in 1.1 s. It never had the agent's 10 s: not a TIMEOUT."""
    async with AgentServer() as server:
        one = agent(server.route("/slow", Reply("hi", delay=1.1)), validations=2)
        result = await run(one, max_in_flight=1, run_deadline=1.4)
    assert [(r.ok, r.error) for r in result.requests] == [(True, None)], result.requests
    assert result.verdict is Verdict.REACHABLE


async def test_an_agent_that_does_not_answer_still_times_out_under_a_tiny_limit() -> None:
    """The request that got its slot at once had the whole run: its TIMEOUT is the
    agent's; the ones queued behind it are not counted, and the agent reads DOWN."""
    async with AgentServer() as server:
        one = agent(server.route("/hang", Hang()), validations=3)
        result = await run(one, max_in_flight=1, run_deadline=1.5)
    assert [r.error for r in result.requests] == ["TIMEOUT"], result.requests
    assert result.verdict is Verdict.DOWN


async def test_a_retry_cut_short_by_the_queue_keeps_the_answer_that_came() -> None:
    """A 503, then a retry that waits for the only slot (held by the run's other request
    until SLOT_HOLD) and gets too little of the run: the request reads HTTP_503, not a
    TIMEOUT made by the queue, and the retry that never finished is not counted."""
    async with AgentServer() as server:
        url = server.route("/flaky", Sequence(Reply(status=503), Reply("hi", delay=3.0)))
        one = agent(url, validations=2, retries=1)
        result = await run(one, max_in_flight=1, run_deadline=1.6)
    assert [(r.error, r.retried) for r in result.requests] == [("HTTP_503", 0)], result.requests
    assert result.verdict is Verdict.DOWN
