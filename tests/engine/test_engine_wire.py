"""The engine's records as JSON between the daemon and an attached dashboard: every event
comes back equal to what the engine published, without the agent's secrets."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import get_args

import pytest
from wire_samples import AGENT, EVENTS, HEALTH, RECORD, SECRET, SNAP

from agentstatus_tui.engine import wire
from agentstatus_tui.engine.events import (
    AgentPaused,
    ConnectionChanged,
    Event,
    PagingChanged,
    RunFinished,
    RunStarted,
    StoreChanged,
    TransitionEvent,
)
from agentstatus_tui.engine.incidents.checklist import Resolved
from agentstatus_tui.engine.incidents.store import IncidentRecord
from agentstatus_tui.engine.model import Config, PagerDutyChannel, Region
from agentstatus_tui.engine.secrets import MASK


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


@pytest.mark.parametrize("secrets", [(), (SECRET,)])
def test_any_text_goes_out_as_valid_ascii_json(secrets: tuple[str, ...]):
    # C1 controls and DEL were turned into `\x85`-style escapes by the masking (JSON
    # allows no such escape: the document did not parse); U+2028 ends a line for a
    # line-oriented reader such as an event stream's.
    text = f"a\x85b\x7fc\x1b[2J\u202ed\u2028e\u2029f é 😀 {SECRET}"
    sent = wire.to_json({"answer": text}, secrets)
    assert sent.isascii()
    got = json.loads(sent)["answer"]
    assert got == (text if not secrets else text.replace(SECRET, MASK))


def test_every_event_a_daemon_sends_has_one_kind():
    front_end_only = {ConnectionChanged, StoreChanged}  # a dashboard's own events
    engine_events = set(get_args(Event)) - front_end_only
    assert set(wire.EVENT_KINDS.values()) == engine_events
    assert {kind for kind, _ in EVENTS} == set(wire.EVENT_KINDS)
    for kind, event in EVENTS:
        assert wire.kind_of(event) == kind
    assert wire.kind_of(StoreChanged(None)) is None
