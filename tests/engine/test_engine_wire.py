"""The engine's records as JSON between the daemon and an attached dashboard: every event
comes back equal to what the engine published, without the agent's secrets."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pytest

from agentstatus_tui.engine import wire
from agentstatus_tui.engine.alerts.outbox import AlertHealth, ChannelFailure
from agentstatus_tui.engine.events import (
    AgentPaused,
    AlertChanged,
    Event,
    IncidentChanged,
    PagingChanged,
    RunFinished,
    RunStarted,
    TransitionEvent,
)
from agentstatus_tui.engine.heartbeat import HeartbeatHealth
from agentstatus_tui.engine.history.records import Transition
from agentstatus_tui.engine.incidents.checklist import Resolved
from agentstatus_tui.engine.incidents.store import (
    FollowUp,
    Incident,
    IncidentRecord,
    Note,
    RegionImpact,
    StepState,
    TimelineEntry,
)
from agentstatus_tui.engine.model import (
    AgentConfig,
    Config,
    Expectation,
    GoldPrompt,
    PagerDutyChannel,
    Region,
    RequestResult,
    RunResult,
    Stats,
    Verdict,
)
from agentstatus_tui.engine.paging import PagingStatus, Quieted
from agentstatus_tui.engine.snapshots import AgentSnapshot

SECRET = "sk-live-0123456789abcdef"

AGENT = AgentConfig(
    id="bot", name="Bot", url="https://api.example/v1/chat?key=" + SECRET,
    url_template="https://api.example/v1/chat?key=${KEY}",
    headers=MappingProxyType({"Authorization": f"Bearer {SECRET}"}),
    header_templates=MappingProxyType({"Authorization": "Bearer ${KEY}"}),
    regions=("us", "eu"),
    gold_prompts=(GoldPrompt("2+2?", (Expectation("contains", "4"),)),))
STATS = Stats(Verdict.DOWN, validations=2, errors=MappingProxyType({"HTTP_500": 2}))
FAILED = RequestResult("eu", "validation", 1.0, False, error="HTTP_500", status=500,
                       detail=f"echoed {SECRET} back")
RUN = RunResult("bot", 1.0, 2.0, STATS, MappingProxyType({"us": STATS, "eu": STATS}),
                (FAILED,), manual=True)
SNAP = AgentSnapshot(
    agent=AGENT, verdict=Verdict.DOWN, since=1.5, last=RUN,
    region_verdicts=MappingProxyType({"us": Verdict.DOWN, "eu": Verdict.DOWN}),
    points=(0.2, None), transitions=(Transition(7, "bot", None, 2.0, Verdict.UP, Verdict.DOWN,
                                                "HTTP_500"),),
    uptime=MappingProxyType({"24h": 0.5, "7d": None}), last_failure=FAILED, in_flight=False,
    paused=False, next_run_at=60.0,
    paging=PagingStatus(silenced=Quieted(99.0, "SILENCED until 14:00 — deploy"), flapping=True,
                        acknowledged=True, acknowledged_by="alice", held="parent DOWN"))
RECORD = IncidentRecord(
    incident=Incident(3, "bot", "Bot", 1.0, "alice", "DOWN", Verdict.DOWN, Verdict.DOWN),
    timeline=(TimelineEntry(1, 1.0, "detected", "went DOWN", None),),
    steps=MappingProxyType({1: StepState(1, 2.0, "alice", {"x": [1]}), 2: StepState(2)}),
    notes=(Note(1, 2, 3.0, "alice", "hm"),), followups=(FollowUp(1, "canary", False, 4.0),),
    impact=(RegionImpact("us", Verdict.DOWN, 1, 2, 2, MappingProxyType({"HTTP_500": 2})),))
HEALTH = AlertHealth(1, 0, "HTTP 500", (ChannelFailure("pd", 2, "HTTP 500", 5.0),),
                     heartbeat=HeartbeatHealth(1.0, None, 1.0, "HTTP 503"))

EVENTS: list[tuple[str, Event]] = [
    ("run_started", RunStarted("bot", 1.0, True, SNAP)),
    ("run_finished", RunFinished(RUN, SNAP)),
    ("run_finished", RunFinished(RunResult("bot", 0.0, 0.5, STATS, MappingProxyType({})),
                                 SNAP)),
    ("transition", TransitionEvent("bot", "eu", Verdict.UP, Verdict.DOWN, 2.0, SNAP)),
    ("paused", AgentPaused("bot", True, SNAP)),
    ("paging", PagingChanged("bot", SNAP)),
    ("alert", AlertChanged(4, "bot", "pd", "trigger", "pending", 1, "HTTP 500", HEALTH)),
    ("incident", IncidentChanged(3, "bot", RECORD)),
]


@pytest.mark.parametrize(("kind", "event"), EVENTS, ids=[k for k, _ in EVENTS])
def test_every_event_comes_back_as_it_was(kind: str, event: Event):
    sent = wire.to_builtins(wire.event_wire(event), {SECRET})
    back = wire.event_from_wire(kind, sent, {"bot": AGENT})
    if isinstance(event, RunFinished | RunStarted | TransitionEvent | AgentPaused
                  | PagingChanged):
        # The only difference: the secret the agent echoed is masked on the way (the
        # agent's config is not sent: the receiver has its own).
        assert SECRET not in json.dumps(sent)
        assert type(back) is type(event) and back.snapshot.agent is AGENT
        assert back.snapshot.paging == SNAP.paging
        assert back.snapshot.last is not None and back.snapshot.last.requests[0].detail == (
            "echoed •••••• back")
        assert wire.to_builtins(wire.event_wire(back)) == sent
        if isinstance(event, RunFinished):
            assert back.result.started_at == event.result.started_at
    else:
        assert back == event


def test_an_unknown_kind_or_agent_is_skipped():
    sent = wire.to_builtins(wire.event_wire(EVENTS[0][1]))
    assert wire.event_from_wire("run_started", sent, {}) is None
    assert wire.event_from_wire("something_new", sent, {"bot": AGENT}) is None


def test_the_config_a_dashboard_gets_keeps_templates_and_no_secret():
    config = Config(agents=(AGENT,), regions=MappingProxyType({
        "us": Region("us", proxy=f"http://u:{SECRET}@proxy:3128",
                     proxy_template="http://u:${PROXY_PASS}@proxy:3128"), "eu": Region("eu")}),
        channels=MappingProxyType({"pd": PagerDutyChannel("pd", routing_key=SECRET)}),
        secrets=frozenset({SECRET}))
    sent = wire.to_json(wire.config_wire(config), config.secrets)
    assert SECRET.encode() not in sent
    got = wire.config_from_wire(wire.from_json(sent, wire.ConfigWire))
    agent = got.agents[0]
    assert agent.url == AGENT.url_template and not agent.headers
    assert agent.header_templates == AGENT.header_templates
    assert agent.gold_prompts == AGENT.gold_prompts
    assert got.regions["us"].proxy_template == "http://u:${PROXY_PASS}@proxy:3128"
    assert got.channels["pd"].type == "pagerduty"
    assert not got.secrets and not got.api_tokens


def test_alert_health_round_trips_with_its_heartbeat():
    assert wire.alert_health_from(wire.to_json(HEALTH)) == HEALTH


def test_resolved_and_records_round_trip():
    done = Resolved(RECORD.incident, Path("/srv/incidents/3.md"), (4, 5))
    assert wire.from_json(wire.to_json(done), Resolved) == done
    assert wire.from_json(wire.to_json(RECORD), IncidentRecord) == RECORD
    with pytest.raises(wire.WireError):
        wire.from_json(b'{"incident": 1}', IncidentRecord)
