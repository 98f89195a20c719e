"""The product's vocabulary as plain typed data: configuration, verdicts and run results.

Everything here is frozen and free of I/O so every front end (TUI, `check`, a future
service) can share it. Times are epoch seconds (float); durations and latencies are
seconds (float) unless a name says `_ms`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return EMPTY


class Verdict(StrEnum):
    UP = "UP"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"
    UNKNOWN = "UNKNOWN"
    REACHABLE = "REACHABLE"  # UP, but the agent has no gold prompts (no semantic check)

    @property
    def is_up(self) -> bool:
        return self in (Verdict.UP, Verdict.REACHABLE)

    @property
    def is_known(self) -> bool:
        return self is not Verdict.UNKNOWN


# Nagios / monitoring-plugins exit codes, and the "most urgent wins" order (max_state_alt).
EXIT_CODES: Mapping[Verdict, int] = MappingProxyType(
    {Verdict.UP: 0, Verdict.REACHABLE: 0, Verdict.DEGRADED: 1, Verdict.DOWN: 2, Verdict.UNKNOWN: 3}
)
URGENCY: Mapping[Verdict, int] = MappingProxyType(
    {Verdict.UP: 0, Verdict.REACHABLE: 0, Verdict.UNKNOWN: 1, Verdict.DEGRADED: 2, Verdict.DOWN: 3}
)


def most_urgent(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
    """DOWN > DEGRADED > UNKNOWN > UP (monitoring-plugins' max_state_alt); none → UNKNOWN."""
    if not verdicts:
        return Verdict.UNKNOWN
    return max(verdicts, key=lambda v: URGENCY[v])


class ErrorCode(StrEnum):
    """Why a request failed: one code per failed request, shown in the UI and stored.
    HTTP errors are `HTTP_<status>`, see `http_error`."""

    TIMEOUT = "TIMEOUT"
    DNS = "DNS"
    CONNECT = "CONNECT"
    TLS = "TLS"
    PROTOCOL = "PROTOCOL"
    BAD_BODY = "BAD_BODY"
    TOO_LARGE = "TOO_LARGE"
    EVAL_FAIL = "EVAL_FAIL"
    CANARY = "CANARY"  # the region's canary failed: results discarded, region UNKNOWN


def http_error(status: int) -> str:
    return f"HTTP_{status}"


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class Thresholds:
    down_below: float = 0.20
    degraded_below: float = 0.95
    eval_pass_min: float = 0.80


@dataclass(frozen=True)
class Region:
    name: str
    proxy: str | None = None  # http://… or socks5://…
    canary: str | None = None  # URL; if it fails during a run the region is UNKNOWN
    # The proxy as written, `${VAR}` kept (credentials), for display; None = same as proxy.
    proxy_template: str | None = None


ExpectKind = Literal["contains", "icontains", "not_contains", "equals", "regex", "json", "max_ttfb"]
EXPECT_KINDS: tuple[str, ...] = (
    "contains",
    "icontains",
    "not_contains",
    "equals",
    "regex",
    "json",
    "max_ttfb",
)


@dataclass(frozen=True)
class Expectation:
    """One check on a gold prompt's answer. `value` is a str for text checks, a compiled
    pattern for `regex`, True for `json`, seconds (float) for `max_ttfb`."""

    kind: ExpectKind
    value: Any

    def describe(self) -> str:
        v = self.value.pattern if isinstance(self.value, re.Pattern) else self.value
        return f"{self.kind}: {v!r}" if self.kind != "json" else "json"


@dataclass(frozen=True)
class GoldPrompt:
    prompt: str
    expect: tuple[Expectation, ...]
    name: str = ""  # shown in the UI; defaults to the prompt's first words

    @property
    def label(self) -> str:
        return self.name or (self.prompt[:40] + ("…" if len(self.prompt) > 40 else ""))


@dataclass(frozen=True)
class EscalationStep:
    """After a page has been open `after` seconds with nobody acknowledging it, these
    channels are paged too (a step at 0 pages with the first page)."""

    after: float
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Flapping:
    """`changes` overall verdict changes within `window` make an agent FLAPPING: it pages
    once as flapping, then stays quiet until no change came for `stable_for`."""

    changes: int = 5
    window: float = 1800.0
    stable_for: float = 1800.0


@dataclass(frozen=True)
class AlertRules:
    channels: tuple[str, ...] = ()
    on_down: bool = True
    on_recovery: bool = True
    on_degraded: bool = False
    confirm: int = 1  # consecutive DOWN runs before paging
    recover_after: int = 1  # consecutive good runs before resolving
    remind_every: float | None = None  # while DOWN and not acknowledged (chat and email)
    escalation: tuple[EscalationStep, ...] = ()  # ordered by `after`
    flapping: Flapping = field(default_factory=Flapping)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How the outbox delivers, over all agents (`alerting:` at the top level)."""

    # DOWN pages (and recoveries) of several agents within this many seconds of the first
    # go out as one chat message and one email; 0 sends each at once.
    group_wait: float = 30.0
    # A channel failing this long is itself announced on the other channels.
    channel_failing_after: float = 300.0


HeartbeatMethod = Literal["GET", "POST"]


@dataclass(frozen=True)
class HeartbeatConfig:
    """A dead man's switch (`heartbeat:`): pinged after each completed round, so a monitor
    that stops (or cannot probe) pages someone through the switch's service. The URL
    embeds the switch's token: never displayed."""

    url: str
    every: float = 60.0  # at most one ping this often
    method: HeartbeatMethod = "GET"
    timeout: float = 10.0


@dataclass(frozen=True)
class Runbook:
    contacts: tuple[str, ...] = ()
    links: Mapping[str, str] = field(default_factory=_empty)
    rollback: str | None = None
    common_issues: Mapping[str, str] = field(default_factory=_empty)


@dataclass(frozen=True)
class AgentConfig:
    id: str  # [a-z0-9-], unique
    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=_empty)  # resolved values (may hold secrets: never display)
    # The same headers as written in the config, `${VAR}` kept, for display (curl, UI).
    header_templates: Mapping[str, str] = field(default_factory=_empty)
    # The URL as written, `${VAR}` kept (a key in the query string), for display.
    url_template: str | None = None
    model: str | None = None
    stream: bool = False
    regions: tuple[str, ...] = ()  # resolved: never empty after config loading
    interval: float = 60.0
    # After a run whose verdict got worse, the next run comes this soon (unless the
    # interval brings it sooner), so a DOWN is confirmed or dismissed quickly.
    recheck: float = 10.0
    timeout: float = 10.0  # per request
    validations: int = 10  # per run, spread round-robin over regions, ≥ 1 per region
    retries: int = 2  # for 5xx / connection reset
    ttfb_sla: float = 2.0
    max_tokens: int = 16  # for validation probes
    probe_messages: tuple[Mapping[str, str], ...] = field(
        default_factory=lambda: (MappingProxyType({"role": "user", "content": "Hello"}),)
    )
    gold_prompts: tuple[GoldPrompt, ...] = ()
    alerts: AlertRules = field(default_factory=AlertRules)
    runbook: Runbook = field(default_factory=Runbook)
    # Agents this one needs (a gateway): while one of them is DOWN its own page is held.
    depends_on: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # free labels silences and maintenance windows can name


@dataclass(frozen=True)
class EmailChannel:
    name: str
    to: tuple[str, ...]
    from_addr: str
    host: str
    port: int = 587
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    type: Literal["email"] = "email"


@dataclass(frozen=True)
class PagerDutyChannel:
    name: str
    routing_key: str
    url: str = "https://events.pagerduty.com/v2/enqueue"
    type: Literal["pagerduty"] = "pagerduty"


@dataclass(frozen=True)
class SlackChannel:
    name: str
    url: str
    type: Literal["slack"] = "slack"


@dataclass(frozen=True)
class WebhookChannel:
    name: str
    url: str
    secret: str | None = None
    headers: Mapping[str, str] = field(default_factory=_empty)
    type: Literal["webhook"] = "webhook"


@dataclass(frozen=True)
class StatuspageChannel:
    name: str
    api_key: str
    page_id: str
    components: Mapping[str, str] = field(default_factory=_empty)  # agent id -> component id
    url: str = "https://api.statuspage.io"
    type: Literal["statuspage"] = "statuspage"


Channel = EmailChannel | PagerDutyChannel | SlackChannel | WebhookChannel | StatuspageChannel

ApiScope = Literal["read", "write"]


@dataclass(frozen=True)
class MaintenanceWindow:
    """Planned work on some agents (`maintenance:` in the config): their pages are held
    and they show MAINTENANCE. One-off (`start`, `end`: epoch seconds) or recurring (`cron`
    read in `timezone`'s wall-clock time, each occurrence lasting `duration` seconds).
    It applies to the agents it names, those carrying one of its tags, and — like a
    region silence — to an agent whose DOWN regions are all named."""

    name: str
    agents: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    reason: str = ""
    start: float | None = None
    end: float | None = None
    cron: str | None = None
    duration: float = 0.0
    timezone: str = "UTC"


@dataclass(frozen=True)
class ApiToken:
    """A bearer token of the daemon's HTTP API (`api: tokens:`). `token` is a secret."""

    name: str
    token: str = field(repr=False)
    scope: ApiScope = "read"


@dataclass(frozen=True)
class Config:
    agents: tuple[AgentConfig, ...]
    regions: Mapping[str, Region]  # never empty: a config without regions gets {"local": {}}
    channels: Mapping[str, Channel] = field(default_factory=_empty)
    thresholds: Thresholds = field(default_factory=Thresholds)
    # A fixed global limit on requests in flight; None: scaled to the load (probe/pacing).
    max_in_flight: int | None = None
    max_body_bytes: int = 1_048_576  # response-size cap → TOO_LARGE
    run_deadline: float | None = None  # whole-run deadline; None → derived per agent
    retention: float = 30 * 86400.0  # raw runs older than this are pruned
    theme: str | None = None
    bell: bool = True  # the dashboard rings the terminal bell on every DOWN
    keymap: Mapping[str, str] = field(default_factory=_empty)  # binding id -> key(s)
    data_dir: str | None = None
    path: str | None = None  # the file this came from (None for the demo)
    # Every value that came from `${VAR}`: redacted wherever text leaves the engine.
    secrets: frozenset[str] = frozenset()
    api_tokens: tuple[ApiToken, ...] = ()  # the daemon's bearer tokens (`api: tokens:`)
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)  # `alerting:`
    heartbeat: HeartbeatConfig | None = None
    maintenance: tuple[MaintenanceWindow, ...] = ()  # `maintenance:` windows, by name

    def agent(self, agent_id: str) -> AgentConfig:
        for a in self.agents:
            if a.id == agent_id:
                return a
        raise KeyError(agent_id)


class ConfigError(Exception):
    """One or more configuration errors; each line reads `file:line: key.path: message`."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


# --------------------------------------------------------------------------- results

RequestKind = Literal["validation", "gold"]


@dataclass(frozen=True)
class RequestResult:
    """One request of a run, after retries. `error` is None on success."""

    region: str
    kind: RequestKind
    started_at: float  # epoch, when the request got its slot
    ok: bool
    error: str | None = None  # ErrorCode value or HTTP_<n>
    status: int | None = None
    ttfb: float | None = None  # seconds, handed-to-transport → first body byte
    first_token: float | None = None  # streaming only: → first content token
    elapsed: float | None = None  # seconds, whole request
    retried: int = 0  # how many retries this request needed
    answer: str | None = None  # the answer text (validations and gold prompts), trimmed
    detail: str | None = None  # human reason: exception text, failed expectation, body snippet
    gold_index: int | None = None  # which gold prompt, for kind == "gold"


@dataclass(frozen=True)
class Stats:
    """Aggregates of one region's (or all regions') requests in one run."""

    verdict: Verdict
    validations: int = 0
    validations_ok: int = 0
    gold: int = 0
    gold_ok: int = 0
    ttfb_p50: float | None = None  # seconds, over successful requests
    ttfb_p95: float | None = None
    errors: Mapping[str, int] = field(default_factory=_empty)  # final failures by code
    retried: int = 0
    discarded: bool = False  # canary failed: this region's results were thrown away

    @property
    def reachability(self) -> float | None:
        return self.validations_ok / self.validations if self.validations else None

    @property
    def eval_pass(self) -> float | None:
        return self.gold_ok / self.gold if self.gold else None


@dataclass(frozen=True)
class RunResult:
    agent_id: str
    started_at: float
    finished_at: float
    overall: Stats
    regions: Mapping[str, Stats]
    requests: tuple[RequestResult, ...] = ()
    manual: bool = False

    @property
    def verdict(self) -> Verdict:
        return self.overall.verdict

    def last_failure(self) -> RequestResult | None:
        for r in reversed(self.requests):
            if not r.ok:
                return r
        return None
