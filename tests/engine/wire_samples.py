"""Engine events as a daemon sends them, with a secret the agent echoed: shared by the
wire's tests and the event feed's."""

from __future__ import annotations

from types import MappingProxyType

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
    Expectation,
    GoldPrompt,
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
