"""The event feed's frames: what a script reads of each event and the engine's record an
attached dashboard decodes, written when first read, one ASCII line of JSON each, and
never a secret in them."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from wire_samples import AGENT, EVENTS, SECRET, SNAP

from agentstatus_tui.engine import wire
from agentstatus_tui.engine.events import AlertChanged, Event, RunFinished
from agentstatus_tui.engine.model import RequestResult
from agentstatus_tui.serve import documents, event_json
from agentstatus_tui.serve.feed import EventFeed

AGENT_DOC = json.loads(json.dumps(documents.agent(SNAP)))
# What scripts read of each event (beside `engine`): field for field as the feed wrote
# it before frames carried the engine's record spliced in.
SUMMARIES: dict[str, dict[str, Any]] = {
    "run_started": {"agent_id": "bot", "at": "1970-01-01T00:00:01Z", "manual": True},
    "run_finished": {"agent": AGENT_DOC, "manual": True},
    "transition": {"agent_id": "bot", "region": "eu", "previous": "UP", "current": "DOWN",
                   "at": "1970-01-01T00:00:02Z"},
    "paused": {"agent_id": "bot", "paused": True},
    "paging": {"agent_id": "bot", "paging": SNAP.paging.document()},
    "alert": {"alert_id": 4, "agent_id": "bot", "channel": "pd", "event": "trigger",
              "status": "pending", "attempts": 1, "last_error": "HTTP 500"},
    "incident": {"incident_id": 3, "agent_id": "bot"},
}


def cache() -> documents.AgentCache:
    return documents.AgentCache(lambda agent_id: None)


def frame_of(kind: str, event: Event, secrets: tuple[str, ...] = (SECRET,)) -> bytes:
    return event_json.body(kind, event, secrets, cache().json_of)


@pytest.mark.parametrize(("kind", "event"), EVENTS, ids=[k for k, _ in EVENTS])
def test_each_frame_holds_its_summary_and_the_engine_record(kind: str, event: Event):
    body = frame_of(kind, event)
    doc = json.loads(body)
    engine = doc.pop("engine")
    if isinstance(event, RunFinished):
        assert doc == {**SUMMARIES[kind], "manual": event.result.manual}
    else:
        assert doc == SUMMARIES[kind]
    # The record is the one the engine's wire writes, masked; a dashboard reads it back.
    assert engine == wire.to_builtins(wire.event_wire(event), {SECRET})
    back = wire.event_from_wire(kind, engine, {"bot": AGENT})
    assert type(back) is type(event)
    assert body.isascii() and len(body.decode().splitlines()) == 1


def test_no_secret_the_agent_echoed_reaches_a_frame_and_a_frame_stays_one_line():
    # The agent answered with its key, a line separator, a C1 control and an emoji; the
    # pager's error quoted the key.
    failed = RequestResult("eu", "validation", 1.0, False, error="HTTP_401", status=401,
                           detail=f"bad key {SECRET}\u2028next\x85line 😀",
                           answer=f"key={SECRET}\u2029")
    assert SNAP.last is not None
    run = dataclasses.replace(SNAP.last, requests=(failed,))
    snap = dataclasses.replace(SNAP, last=run, last_failure=failed)
    alert = AlertChanged(4, "bot", "pd", "trigger", "pending", 1,
                         f"HTTP 400: invalid routing key {SECRET}\u2028")
    for kind, event in (("run_finished", RunFinished(run, snap)), ("alert", alert)):
        body = frame_of(kind, event)
        assert SECRET.encode() not in body
        assert body.isascii()
        text = body.decode()
        assert text.splitlines() == [text]  # what an event-stream reader sees: one line
        assert json.loads(text)["engine"]  # and it parses
    engine = json.loads(frame_of("run_finished", RunFinished(run, snap)))["engine"]
    assert engine["snapshot"]["last"]["requests"][0]["detail"] == (
        "bad key ••••••\u2028next\x85line 😀")


def test_a_frame_is_written_once_when_first_read():
    feed = EventFeed(first_id=1)
    written: list[int] = []

    def body() -> bytes:
        written.append(1)
        return b'{"n":1}'

    feed.publish("transition", body)
    assert written == []  # nobody attached: nothing written
    first, second = feed.attach("0"), feed.attach("0")
    assert first.replay[0].data == second.replay[0].data == (
        b'id: 1\nevent: transition\ndata: {"n":1}\n\n')
    assert written == [1]


def test_an_event_that_cannot_be_written_asks_its_readers_to_resync():
    feed = EventFeed(first_id=1)

    def broken() -> bytes:
        raise ValueError("no")

    feed.publish("transition", broken)
    feed.publish("paused", lambda: b"{}")
    replay = feed.attach("0").replay
    assert replay[0].data.startswith(b"id: 1\nevent: resync\ndata: {")
    assert replay[1].data == b"id: 2\nevent: paused\ndata: {}\n\n"


def test_a_finished_runs_agent_object_is_the_apis_object_of_its_snapshot():
    agents = documents.AgentCache(lambda agent_id: None)
    agents.update(SNAP)  # the agent's latest snapshot: built once, for the frame and the API
    assert json.loads(agents.json_of(SNAP)) == AGENT_DOC
    older = dataclasses.replace(SNAP, in_flight=True, next_run_at=None)
    assert json.loads(agents.json_of(older)) == json.loads(json.dumps(documents.agent(older)))
