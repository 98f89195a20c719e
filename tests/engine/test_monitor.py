"""The Monitor's scheduling and state, against a real loopback agent."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from agent_server import AgentServer, Reply, Sequence, completion
from aiohttp import web
from incident_fixtures import make_run

from agentstatus_tui.engine.events import RunFinished, TransitionEvent
from agentstatus_tui.engine.model import AgentConfig, Config, Region, Verdict
from agentstatus_tui.engine.monitor import Monitor, agent_offset, got_worse, next_slot
from agentstatus_tui.engine.probe.thread import ProbeThread


def config_for(*agents: AgentConfig) -> Config:
    return Config(agents=agents, regions={"us": Region("us")})


def agent(url: str, agent_id: str = "a", **kw: object) -> AgentConfig:
    opts: dict[str, object] = {"regions": ("us",), "timeout": 2.0, "validations": 1,
                               "retries": 0, "interval": 0.2}
    opts.update(kw)
    return AgentConfig(id=agent_id, name=agent_id.upper(), url=url, **opts)  # type: ignore[arg-type]


async def test_slow_agent_with_short_interval_never_has_two_runs_in_flight(tmp_path: Path):
    """The agent never sees two of the monitor's runs at once, however short its
    interval and however often someone asks for a run: a manual run joins the run whose
    request is at the agent. (A run already answered and only being stored is not
    joined: the manual run's request is then the only one at the agent.)"""
    at_agent = 0  # the monitor's requests the agent is answering now
    most = 0

    async def slow(request: web.Request, rec: object) -> web.StreamResponse:
        nonlocal at_agent, most
        at_agent += 1
        most = max(most, at_agent)
        try:
            await asyncio.sleep(0.35)
            return web.json_response(completion("hi"))
        finally:
            at_agent -= 1

    async with AgentServer() as server:
        url = server.route("/slow", slow)
        mon = Monitor.open(config_for(agent(url, interval=0.1)), data_dir=str(tmp_path))
        finished = 0

        def on(event: object) -> None:
            nonlocal finished
            if isinstance(event, RunFinished):
                finished += 1

        mon.subscribe(on)
        await mon.start()
        manual = []
        for _ in range(6):
            await asyncio.sleep(0.15)
            manual.append(asyncio.ensure_future(mon.run_now("a")))
        await asyncio.gather(*manual)
        await mon.stop()
    assert finished >= 2
    assert most == 1
    assert len(server.received("/slow")) >= 2


async def test_run_now_joins_a_run_in_flight(tmp_path: Path):
    async with AgentServer() as server:
        url = server.route("/ok", Reply("hi", delay=0.3))
        mon = Monitor.open(config_for(agent(url, interval=3600)), data_dir=str(tmp_path))
        first, second = await asyncio.gather(mon.run_now("a"), mon.run_now("a"))
        assert first is second
        assert len(server.received("/ok")) == 1
        await mon.stop()


async def test_pause_shows_unknown_and_stops_polling_resume_runs_again(tmp_path: Path):
    async with AgentServer() as server:
        url = server.route("/ok", Reply("hi"))
        mon = Monitor.open(config_for(agent(url, interval=0.1)), data_dir=str(tmp_path))
        await mon.start()
        for _ in range(50):
            await asyncio.sleep(0.05)
            if mon.states["a"].last is not None:
                break
        assert mon.states["a"].verdict is Verdict.REACHABLE
        await mon.set_paused("a", True)
        assert mon.states["a"].verdict is Verdict.UNKNOWN
        await asyncio.sleep(0.1)  # a run in flight when pausing may still land
        seen = len(server.received("/ok"))
        await asyncio.sleep(0.5)
        assert len(server.received("/ok")) == seen, "a paused agent must not be polled"
        assert mon.states["a"].verdict is Verdict.UNKNOWN
        await mon.set_paused("a", False)
        for _ in range(50):
            await asyncio.sleep(0.05)
            if len(server.received("/ok")) > seen:
                break
        assert len(server.received("/ok")) > seen
        await mon.stop()


async def test_transition_events_state_and_uptime_follow_stored_runs(tmp_path: Path):
    async with AgentServer() as server:
        url = server.route("/x", Reply("hi"))
        mon = Monitor.open(config_for(agent(url, interval=3600)), data_dir=str(tmp_path))
        events: list[TransitionEvent] = []
        mon.subscribe(lambda e: events.append(e) if isinstance(e, TransitionEvent) else None)
        await mon.run_now("a")
        server.route("/x", Reply(status=503))
        await mon.run_now("a")
        await mon.stop()
    overall = [(e.previous, e.current) for e in events if e.region is None]
    assert overall == [(Verdict.UNKNOWN, Verdict.REACHABLE), (Verdict.REACHABLE, Verdict.DOWN)]
    st = mon.states["a"]
    assert st.verdict is Verdict.DOWN
    assert st.last_failure is not None and st.last_failure.error == "HTTP_503"
    assert [t.current for t in st.transitions] == [Verdict.DOWN, Verdict.REACHABLE]
    assert st.uptime["24h"] is not None and 0.0 <= st.uptime["24h"] < 1.0


async def test_restart_brings_back_history_sparkline_and_uptime(tmp_path: Path):
    async with AgentServer() as server:
        url = server.route("/x", Reply("hi"))
        cfg = config_for(agent(url, interval=3600))
        mon = Monitor.open(cfg, data_dir=str(tmp_path))
        await mon.start()  # a dashboard: it polls, and its clean stop is recorded
        for _ in range(100):
            await asyncio.sleep(0.02)
            if mon.states["a"].last is not None:
                break
        for _ in range(2):
            await mon.run_now("a")
        assert mon.states["a"].uptime["24h"] == 1.0
        await mon.stop()

        again = Monitor.open(cfg, data_dir=str(tmp_path))
        again.load_history()
        st = again.states["a"]
        # A clean stop records UNKNOWN (the closed time is neither up nor down) …
        assert st.verdict is Verdict.UNKNOWN
        # … but the last run, the sparkline, the transitions and the uptime are back.
        assert st.last is not None and st.last.verdict is Verdict.REACHABLE
        assert len(st.points) == 3
        assert [t.current for t in st.transitions][:2] == [Verdict.UNKNOWN, Verdict.REACHABLE]
        assert st.uptime["24h"] == 1.0
        await again.run_now("a")
        assert again.states["a"].verdict is Verdict.REACHABLE
        await again.stop()


def test_offsets_spread_agents_over_their_interval():
    agents = [AgentConfig(id=f"agent-{i}", name="x", url="http://x", interval=60) for i in range(200)]
    offsets = [agent_offset(a) for a in agents]
    assert all(0 <= o < 60 for o in offsets)
    # Spread: every 6-second slice of the minute has some agents, none has most of them.
    buckets = [sum(1 for o in offsets if k * 6 <= o < (k + 1) * 6) for k in range(10)]
    assert min(buckets) > 0 and max(buckets) < 60


def test_next_slot_stays_on_the_agents_grid_and_never_right_after_a_run():
    a = AgentConfig(id="grid", name="g", url="http://x", interval=60)
    off = agent_offset(a)
    t = next_slot(a, now=1000.0, last_start=990.0)
    assert round((t - off) / 60, 9) == round((t - off) / 60) and t > 1000.0
    # A run that started just before its slot is not followed by another at once.
    t2 = next_slot(a, now=off + 6000 - 1, last_start=off + 6000 - 2)
    assert t2 - (off + 6000 - 2) >= 30


def test_a_worse_verdict_brings_the_next_run_after_recheck_not_a_full_interval():
    a = AgentConfig(id="grid", name="g", url="http://x", interval=60, recheck=10)
    normal = next_slot(a, now=1000.0, last_start=999.0)
    assert normal >= 999.0 + 30
    assert next_slot(a, now=1000.0, last_start=999.0, recheck=True) == 1010.0
    # Never later than the agent's own interval would bring it.
    fast = AgentConfig(id="grid", name="g", url="http://x", interval=4, recheck=10)
    assert next_slot(fast, 1000.0, 999.0, recheck=True) == next_slot(fast, 1000.0, 999.0)


def test_got_worse_means_toward_degraded_or_down():
    UP, REACH, DEG, DOWN, UNK = (Verdict.UP, Verdict.REACHABLE, Verdict.DEGRADED,
                                 Verdict.DOWN, Verdict.UNKNOWN)
    assert got_worse(UP, DOWN) and got_worse(UP, DEG) and got_worse(DEG, DOWN)
    assert got_worse(UNK, DOWN) and got_worse(REACH, DEG)
    assert not any(got_worse(b, a) for b, a in [(DOWN, DOWN), (DOWN, UP), (DOWN, DEG),
                                                (DEG, DEG), (UP, UNK), (DOWN, UNK)])


async def test_down_is_rechecked_soon_and_then_dismissed_or_confirmed(tmp_path: Path):
    async with AgentServer() as server:
        blip = server.route("/blip", Sequence(Reply(status=503, body={"error": "x"}),
                                              Reply("hi")))
        down = server.route("/down", Reply(status=503, body={"error": "x"}))
        # A long interval: without the recheck the second run would be minutes away.
        agents = (agent(blip, "blip", interval=600, recheck=0.3),
                  agent(down, "down", interval=600, recheck=0.3))
        mon = Monitor.open(config_for(*agents), data_dir=str(tmp_path))
        runs: dict[str, list[Verdict]] = {"blip": [], "down": []}
        two_each = asyncio.Event()

        def on(event: object) -> None:
            if isinstance(event, RunFinished):
                runs[event.result.agent_id].append(event.result.verdict)
                if all(len(v) >= 2 for v in runs.values()):
                    two_each.set()

        mon.subscribe(on)
        await mon.start()
        await asyncio.wait_for(two_each.wait(), timeout=30)
        # The recheck dismissed the blip and confirmed the outage.
        assert runs["blip"][:2] == [Verdict.DOWN, Verdict.REACHABLE]
        assert runs["down"][:2] == [Verdict.DOWN, Verdict.DOWN]
        # Confirmed (not worse again): back on the agent's own schedule.
        st = mon.states["down"]
        while st.in_flight or st.next_run_at is None or st.next_run_at < time.time():
            await asyncio.sleep(0.01)
        assert st.next_run_at - time.time() > 60
        await mon.stop()


def _busy(seconds: float) -> None:
    """Hold the loop (and the GIL, between switches) like a heavy frame being drawn."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(range(1000))


async def test_probe_thread_keeps_a_busy_front_end_out_of_the_agents_latency(tmp_path: Path):
    # The agent answers from a loop of its own: blocking the test's loop must not slow it.
    server_thread = ProbeThread("agent")
    server = AgentServer()
    await server_thread.run(server.__aenter__())
    url = server.route("/ok", Reply("hi", delay=0.2))
    cfg = config_for(agent(url, interval=3600, validations=2))
    threaded = Monitor.open(cfg, data_dir=str(tmp_path / "a"), probe_thread=True)
    inline = Monitor.open(cfg, data_dir=str(tmp_path / "b"))
    try:
        for mon in (threaded, inline):
            run = asyncio.ensure_future(mon.run_now("a"))
            await asyncio.sleep(0.05)  # the requests are out …
            _busy(0.6)  # … and the front end's loop is busy while they are answered
            await run
        fast = threaded.states["a"].last
        slow = inline.states["a"].last
        assert fast is not None and slow is not None
        # On its own loop the probe saw the agent's 200 ms; on the busy loop it could
        # only notice the answer once the loop was free again.
        assert fast.overall.ttfb_p50 is not None and fast.overall.ttfb_p50 < 0.4
        assert slow.overall.ttfb_p50 is not None and slow.overall.ttfb_p50 >= 0.6
        reply = await threaded.send_probe("a", "us")
        assert reply.status == 200
    finally:
        await threaded.stop()
        await inline.stop()
        await server_thread.run(server.__aexit__(None, None, None))
        server_thread.stop()


async def test_pausing_while_a_run_is_being_stored_keeps_the_agent_unknown(tmp_path: Path):
    mon = Monitor.open(config_for(agent("http://127.0.0.1:9/never")), data_dir=str(tmp_path))
    try:
        run = make_run("a", time.time(), {"us": [None]})
        storing = asyncio.ensure_future(mon.accept(run))
        await asyncio.sleep(0)  # the run is on its way to the writer thread
        await mon.set_paused("a", True)
        await storing
        st = mon.states["a"]
        assert st.paused and st.verdict is Verdict.UNKNOWN
        assert mon.snapshot("a").verdict is Verdict.UNKNOWN
    finally:
        await mon.stop()
