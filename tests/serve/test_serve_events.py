"""Server-Sent Events: ids, Last-Event-ID resume, resync, and a slow reader dropped
without slowing anyone else."""

from __future__ import annotations

import asyncio
import json

import pytest
from agent_server import AgentServer, Reply
from serve_process import ServeProcess, agents_config

from agentstatus_tui.serve.feed import EventFeed

pytestmark = pytest.mark.timeout(90)


async def read_events(resp, until_kind: str, limit: int = 200) -> list[dict]:
    """Parse SSE frames from `resp` until an event of `until_kind` arrives."""
    out: list[dict] = []
    current: dict = {}
    async for raw in resp.content:
        line = raw.decode().rstrip("\n")
        if not line:
            if current:
                out.append(current)
                if current.get("event") == until_kind or len(out) >= limit:
                    return out
            current = {}
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(": ")
        current[key] = json.loads(value) if key == "data" else value
    return out


async def test_events_resume_from_last_event_id(tmp_path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="30s")
        async with ServeProcess(tmp_path, text) as d, d.session() as s:
            async with s.get("/api/v1/events", timeout=None) as r:
                assert r.headers["Content-Type"].startswith("text/event-stream")
                async with s.post("/api/v1/agents/steady/run") as run:
                    assert run.status == 202
                first = await read_events(r, "run_finished")
            finished = first[-1]
            assert finished["data"]["agent"]["id"] == "steady"
            assert finished["data"]["agent"]["verdict"] == "REACHABLE"
            last_id = finished["id"]
            # While disconnected: another run.
            async with s.post("/api/v1/agents/steady/run", params={"wait": "true"}) as run:
                assert run.status == 200
            async with s.get("/api/v1/events", headers={"Last-Event-ID": last_id},
                             timeout=None) as r:
                missed = await read_events(r, "run_finished")
            ids = [int(e["id"]) for e in missed]
            assert ids[0] == int(last_id) + 1 and ids == sorted(ids)
            assert missed[0]["event"] == "run_started"
            assert missed[-1]["data"]["agent"]["id"] == "steady"
            # An id the daemon no longer keeps (or from before a restart): resync first.
            async with s.get("/api/v1/events", headers={"Last-Event-ID": "12"},
                             timeout=None) as r:
                told = await read_events(r, "resync")
            assert told[0]["event"] == "resync" and "id" not in told[0]


async def test_heartbeat_comments_keep_an_idle_stream_open(tmp_path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="30s")
        async with ServeProcess(tmp_path, text, args=("--heartbeat", "0.2")) as d, \
                d.session() as s, s.get("/api/v1/events", timeout=None) as r:
            seen = []
            async for raw in r.content:
                seen.append(raw.decode())
                if seen.count(": heartbeat\n") >= 2:
                    break
            assert seen[0] == ": connected\n"


async def test_a_slow_reader_gets_resync_and_is_dropped_without_slowing_the_others():
    feed = EventFeed(ring_size=100, queue_size=8, first_id=1)
    stalled = feed.attach()
    reader = feed.attach()
    got: list[int] = []

    async def read() -> None:
        while (item := await reader.queue.get()) is not None:
            assert item.id is not None
            got.append(item.id)

    task = asyncio.create_task(read())
    for n in range(50):
        feed.publish("run_finished", {"n": n})  # never waits, whoever is slow
        await asyncio.sleep(0)
    feed.close()
    await asyncio.wait_for(task, 5)
    assert got == list(range(1, 51))  # the reader that keeps up missed nothing
    frames = []
    while not stalled.queue.empty():
        frames.append(stalled.queue.get_nowait())
    assert frames[-1] is None and frames[0] is not None
    assert b"event: resync" in frames[0].data and len(frames) == 2
    assert stalled.dropped and feed.dropped == 1 and feed.clients == 0


def test_resume_replays_only_what_was_missed_and_asks_to_resync_past_the_ring():
    feed = EventFeed(ring_size=5, queue_size=8, first_id=100)
    for n in range(8):
        feed.publish("transition", {"n": n})  # ids 100..107; the ring keeps 103..107
    assert [f.id for f in feed.attach("104").replay] == [105, 106, 107]
    assert feed.attach("107").replay == []
    assert feed.attach("102").replay[0].id == 103
    for stale in ("101", "99", "5000", "not-a-number"):
        (only,) = feed.attach(stale).replay
        assert only.id is None and b"event: resync" in only.data
