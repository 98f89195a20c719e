"""The attached client reads the daemon's whole state again when its event feed cannot
be followed event by event: the daemon said `resync` (the client fell behind), an event
went missing (a gap in the ids), or the ids jumped (a new daemon behind the same link).
What was missed arrives as state, a verdict change is announced once, and the feed goes
on from the state without a missed or doubled event. A real daemon, behind a relay that
loses frames on purpose."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from attached import until
from feed_tap import FeedTap
from serve_process import ServeProcess, agents_config

from agentstatus_tui.client.remote import RemoteMonitor
from agentstatus_tui.client.target import Target
from agentstatus_tui.engine import events
from agentstatus_tui.engine.model import RunResult, Verdict

pytestmark = pytest.mark.timeout(120)

RESYNC = b'event: resync\ndata: {"reason": "too slow: events were dropped"}\n\n'


@dataclass
class Attached:
    api: RemoteMonitor
    tap: FeedTap
    agents: AgentServer
    seen: list[events.Event]

    def finished(self, run: RunResult) -> list[events.RunFinished]:
        return [e for e in self.seen if isinstance(e, events.RunFinished)
                and e.result.started_at == run.started_at]

    def went_down(self) -> list[events.TransitionEvent]:
        return [e for e in self.seen if isinstance(e, events.TransitionEvent)
                and e.region is None and e.current is Verdict.DOWN]

    async def run(self) -> RunResult:
        """A run asked for through the relay (requests pass; its events may not)."""
        result = await self.api.run_now("steady")
        assert result is not None
        return result

    def last_started(self) -> float | None:
        last = self.api.agents()["steady"].last
        return None if last is None else last.started_at

    async def streaming(self) -> None:
        await until([], lambda: bool(self.tap.streams), what="the event stream open")


@asynccontextmanager
async def attached(tmp_path: Path) -> AsyncIterator[Attached]:
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h")
        async with ServeProcess(tmp_path, text, tcp=False, socket=True) as d:
            assert d.socket is not None
            async with FeedTap(d.socket, tmp_path / "tap.sock") as tap:
                api = await RemoteMonitor.attach(Target(socket=tap.path), retry=(0.05, 0.5))
                seen: list[events.Event] = []
                api.subscribe(seen.append)
                try:
                    await api.start()
                    a = Attached(api, tap, agents, seen)
                    await a.streaming()
                    yield a
                finally:
                    await api.stop()


async def test_a_resync_from_the_daemon_reads_the_whole_state(tmp_path: Path):
    async with attached(tmp_path) as a:
        assert a.api.agents()["steady"].verdict is not Verdict.DOWN
        a.tap.hold = True  # the link loses every frame from now on
        a.agents.route("/ok", Reply("boom", status=500))
        missed = await a.run()
        assert missed.verdict is Verdict.DOWN
        await until([], lambda: "transition" in a.tap.held, what="the transition lost")
        assert a.api.agents()["steady"].verdict is not Verdict.DOWN  # not heard of
        read = a.api.resyncs
        a.tap.hold = False
        await a.tap.send(RESYNC)  # what the daemon says to a client that fell behind
        await until([], lambda: a.api.resyncs > read, what="the state read again")
        snap = a.api.agents()["steady"]
        assert snap.verdict is Verdict.DOWN
        assert snap.last is not None and snap.last.started_at == missed.started_at
        # The DOWN it missed is announced, once; the run it missed is in the state.
        assert len(a.went_down()) == 1
        assert any(isinstance(e, events.ConnectionChanged) and e.connected for e in a.seen)
        # The feed goes on from the state: the next run arrives once, nothing doubled.
        await a.streaming()
        after = await a.run()
        await until([], lambda: a.finished(after), what="the next run's event")
        await until([], lambda: a.last_started() == after.started_at, what="the snapshot")
        assert len(a.finished(after)) == 1
        assert a.finished(missed) == []
        assert len(a.went_down()) == 1
        assert a.api.resyncs == read + 1


async def test_an_event_lost_on_the_way_reads_the_whole_state(tmp_path: Path):
    async with attached(tmp_path) as a:
        read, opened = a.api.resyncs, a.tap.opened
        a.tap.drop(1)  # the run's first frame is lost: the next one's id skips
        a.agents.route("/ok", Reply("boom", status=500))
        missed = await a.run()
        await until([], lambda: a.api.resyncs > read, what="the gap noticed")
        assert a.tap.held == ["run_started"]
        await until([], lambda: a.tap.opened > opened, what="the feed followed again")
        snap = a.api.agents()["steady"]
        assert snap.last is not None and snap.last.started_at == missed.started_at
        assert snap.verdict is Verdict.DOWN
        await until([], lambda: len(a.went_down()) >= 1, what="the DOWN announced")
        after = await a.run()
        await until([], lambda: a.finished(after), what="the next run's event")
        assert len(a.finished(after)) == 1
        assert len(a.went_down()) == 1
        assert a.api.resyncs == read + 1


async def test_ids_that_jump_read_the_whole_state(tmp_path: Path):
    """A daemon restarted behind a link that stayed up: its ids start elsewhere."""
    async with attached(tmp_path) as a:
        read, opened = a.api.resyncs, a.tap.opened
        a.tap.jump(1_000_000)
        first = await a.run()
        await until([], lambda: a.api.resyncs > read, what="the jump noticed")
        await until([], lambda: a.tap.opened > opened, what="the feed followed again")
        # The run's other events may follow on the new stream, after the state.
        await until([], lambda: a.last_started() == first.started_at, what="the run")
        after = await a.run()
        await until([], lambda: a.finished(after), what="the next run's event")
        assert len(a.finished(after)) == 1
        assert a.api.resyncs == read + 1  # followed again, not read over and over
