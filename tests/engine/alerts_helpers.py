"""Shared builders for the alert tests: a config with every channel pointing at loopback
receivers, RunResults of a chosen verdict, and the real Store underneath."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

# tests/receivers.py is shared by every area's tests; make `import receivers` work from
# tests/engine without a package or a conftest.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if TYPE_CHECKING:
    from receivers import HttpReceiver

from agentstatus_tui.engine.model import (
    AgentConfig,
    AlertRules,
    Channel,
    Config,
    DeliveryPolicy,
    EmailChannel,
    PagerDutyChannel,
    Region,
    RunResult,
    SlackChannel,
    Stats,
    StatuspageChannel,
    Verdict,
    WebhookChannel,
)

ROUTING_KEY = "R0UTINGKEYsecret0123456789abcdef"
SLACK_TOKEN = "xoxSLACKTOKENsecret987"
HOOK_SECRET = "hook-signing-secret-4242"
SMTP_PASSWORD = "smtp-pa55word-secret"
STATUSPAGE_KEY = "statuspage-api-key-secret-77"
AGENT_TOKEN = "agent-bearer-token-secret-55"
SECRETS = frozenset({ROUTING_KEY, SLACK_TOKEN, HOOK_SECRET, SMTP_PASSWORD, STATUSPAGE_KEY,
                     AGENT_TOKEN})

PD_PATH = "/v2/enqueue"
SLACK_PATH = f"/services/T000/B000/{SLACK_TOKEN}"
HOOK_PATH = "/hooks/agentstatus"
SP_PATH = "/v1/pages/page1/components/cmp456"


def channels(http_base: str, smtp_port: int, *, smtp_auth: bool = True) -> dict[str, Channel]:
    return {
        "pagerduty": PagerDutyChannel("pagerduty", routing_key=ROUTING_KEY,
                                      url=http_base + PD_PATH),
        "slack": SlackChannel("slack", url=http_base + SLACK_PATH),
        "hook": WebhookChannel("hook", url=http_base + HOOK_PATH, secret=HOOK_SECRET),
        "oncall-email": EmailChannel(
            "oncall-email", to=("oncall@example.com",), from_addr="agentstatus@example.com",
            host="127.0.0.1", port=smtp_port,
            username="agentstatus" if smtp_auth else None,
            password=SMTP_PASSWORD if smtp_auth else None, timeout=5.0),
        "status": StatuspageChannel("status", api_key=STATUSPAGE_KEY, page_id="page1",
                                    components={"support-bot": "cmp456"}, url=http_base),
    }


def agent(channel_names: tuple[str, ...], *, on_degraded: bool = False,
          on_recovery: bool = True, agent_id: str = "support-bot",
          name: str = "Support Bot") -> AgentConfig:
    return AgentConfig(
        id=agent_id, name=name,
        url=f"https://support.example.com/v1/chat/completions?key={AGENT_TOKEN}",
        headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
        regions=("us", "eu"),
        alerts=AlertRules(channels=channel_names, on_degraded=on_degraded,
                          on_recovery=on_recovery),
    )


def config(agents: tuple[AgentConfig, ...], chans: dict[str, Channel], *,
           group_wait: float = 0.0, channel_failing_after: float = 300.0) -> Config:
    """Slack and email pages go out one by one at once unless `group_wait` is given."""
    return Config(agents=agents, regions={"us": Region("us"), "eu": Region("eu")},
                  channels=chans, secrets=SECRETS,
                  delivery=DeliveryPolicy(group_wait=group_wait,
                                          channel_failing_after=channel_failing_after))


def stats(verdict: Verdict) -> Stats:
    ok = {Verdict.UP: 10, Verdict.REACHABLE: 10, Verdict.DEGRADED: 9, Verdict.DOWN: 0,
          Verdict.UNKNOWN: 0}[verdict]
    validations = 0 if verdict is Verdict.UNKNOWN else 10
    errors = {"HTTP_503": validations - ok} if validations - ok else {}
    return Stats(verdict=verdict, validations=validations, validations_ok=ok,
                 gold=2 if verdict is not Verdict.UNKNOWN else 0,
                 gold_ok=2 if ok else 0, ttfb_p50=0.2 if ok else None, errors=errors)


def run(agent_id: str, verdict: Verdict, at: float) -> RunResult:
    s = stats(verdict)
    return RunResult(agent_id=agent_id, started_at=at - 1, finished_at=at, overall=s,
                     regions={"us": s, "eu": s})


def db_bytes(path: Path) -> bytes:
    """Everything SQLite wrote: the main file, the WAL and any journal."""
    out = b""
    for p in path.parent.glob(path.name + "*"):
        out += p.read_bytes()
    return out


def pd_events(rx: HttpReceiver) -> list[tuple[str, str]]:
    """(event_action, dedup_key) of every PagerDuty event the receiver got, in order."""
    return [(r.json["event_action"], r.json["dedup_key"]) for r in rx.at(PD_PATH)]
