"""The facts of one alert, and each channel's payload built from them (PagerDuty Events
API v2, Slack incoming webhook, generic webhook JSON, email text, Statuspage PATCH).

Facts are what the outbox stores: plain data without any channel secret. A payload is
built from them only when it is sent, so routing keys never touch the store."""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..model import EmailChannel, PagerDutyChannel, RunResult, Verdict
from ..secrets import redact
from ..text import duration, iso_utc, percent

TEST_TEXT = "[TEST] agentstatus test alert — no action needed"
SOURCE = f"agentstatus@{socket.gethostname()}"
_SUMMARY_MAX = 1024  # PagerDuty rejects longer summaries


@dataclass(frozen=True)
class AlertFacts:
    event: str  # trigger / acknowledge / resolve / notify / remind / test
    agent_id: str
    agent_name: str
    at: float
    verdict: str | None = None
    previous: str | None = None
    dedup_key: str | None = None
    severity: str = "critical"
    regions: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, int] = field(default_factory=dict)
    reachability: float | None = None
    eval_pass: float | None = None
    started_at: float | None = None
    duration_s: float | None = None
    escalation: bool = False
    text: str | None = None  # manual / test message
    agent_url: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)  # keep region order as configured

    @classmethod
    def from_json(cls, raw: str) -> AlertFacts:
        data = json.loads(raw)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def redacted(self, secrets: frozenset[str] | set[str]) -> AlertFacts:
        """A copy safe to store and show: every secret value masked."""
        return AlertFacts.from_json(redact(self.to_json(), secrets))


def safe_url(url: str | None, secrets: frozenset[str] | set[str]) -> str | None:
    """The agent URL without credentials or query string (tokens hide there)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return redact(urlunsplit((parts.scheme, host, parts.path, "", "")), secrets)


def facts_from_run(facts: AlertFacts, result: RunResult | None) -> AlertFacts:
    """Add the run's regional verdicts and error codes to `facts`."""
    if result is None:
        return facts
    o = result.overall
    return AlertFacts(
        **{
            **asdict(facts),
            "regions": {n: str(s.verdict) for n, s in result.regions.items()},
            "errors": dict(o.errors),
            "reachability": o.reachability,
            "eval_pass": o.eval_pass,
        }
    )


# --------------------------------------------------------------------------- text


def tag(f: AlertFacts) -> str:
    """The bracketed word that leads subjects and headlines."""
    if f.event == "trigger":
        return f"[{f.verdict}]"
    return {
        "resolve": "[RECOVERED]" if f.text is None else "[RESOLVED]",
        "acknowledge": "[ACK]",
        "notify": "[NOTE]",
        "remind": "[REMINDER]",
        "test": "[TEST]",
        "channel_failing": "[PAGING FAILING]",
        "channel_recovered": "[PAGING OK]",
    }.get(f.event, f"[{f.event.upper()}]")


def headline(f: AlertFacts) -> str:
    if f.event == "test":
        return TEST_TEXT
    if f.text:
        return f.text
    if f.event == "trigger":
        was = f" (was {f.previous})" if f.previous else ""
        return f"{tag(f)} {f.agent_name} is {f.verdict}{was}"
    if f.event == "resolve":
        return (f"{tag(f)} {f.agent_name} is {f.verdict or 'UP'} again after "
                f"{duration(f.duration_s, exact=True, none='unknown time')}")
    return f"{tag(f)} {f.agent_name}"


def regions_line(f: AlertFacts) -> str:
    return ", ".join(f"{n}: {v}" for n, v in f.regions.items()) or "-"


def errors_line(f: AlertFacts) -> str:
    return ", ".join(f"{c} ×{n}" for c, n in f.errors.items()) or "none"


def fact_lines(f: AlertFacts) -> list[str]:
    """The facts every human-readable channel repeats, one per line."""
    lines = [f"Agent: {f.agent_name} ({f.agent_id})"]
    if f.verdict:
        lines.append(f"Verdict: {f.verdict}" + (f" (was {f.previous})" if f.previous else ""))
    if f.regions:
        lines.append(f"Regions: {regions_line(f)}")
    if f.errors or f.event == "trigger":
        lines.append(f"Errors: {errors_line(f)}")
    if f.reachability is not None:
        lines.append(f"Reachability: {percent(f.reachability)}")
    if f.eval_pass is not None:
        lines.append(f"Eval pass: {percent(f.eval_pass)}")
    if f.event == "resolve" and f.duration_s is not None:
        lines.append(f"Outage lasted: {duration(f.duration_s, exact=True)}"
                     + (f" (since {iso_utc(f.started_at)})" if f.started_at else ""))
    lines.append(f"Time: {iso_utc(f.at)}")
    if f.dedup_key:
        lines.append(f"Incident: {f.dedup_key}")
    if f.agent_url:
        lines.append(f"URL: {f.agent_url}")
    return lines


# --------------------------------------------------------------------------- payloads


def pagerduty_body(f: AlertFacts, channel: PagerDutyChannel) -> dict[str, Any]:
    """Events API v2. acknowledge / resolve carry only the key and the action."""
    body: dict[str, Any] = {
        "routing_key": channel.routing_key,
        "event_action": "trigger" if f.event == "test" else f.event,
        "dedup_key": f.dedup_key,
    }
    if body["event_action"] != "trigger":
        return body
    body["payload"] = {
        "summary": headline(f)[:_SUMMARY_MAX],
        "source": SOURCE,
        "severity": f.severity,
        "timestamp": iso_utc(f.at),
        "component": f.agent_id,
        "group": "agentstatus",
        "class": f"verdict {f.verdict}" if f.verdict else "test",
        "custom_details": {
            "verdict": f.verdict,
            "previous": f.previous,
            "regions": dict(f.regions),
            "errors": dict(f.errors),
            "reachability": f.reachability,
            "eval_pass": f.eval_pass,
            "url": f.agent_url,
        },
    }
    return body


def slack_body(f: AlertFacts) -> dict[str, Any]:
    text = headline(f)
    if f.event in ("trigger", "resolve") and not f.text:
        lines = fact_lines(f)
    else:  # a person's words: keep the context short
        lines = [ln for ln in fact_lines(f) if ln.startswith(("Agent:", "Verdict:", "Incident:"))]
    section = "\n".join([f"*{_mrkdwn(text)}*",
                          *(_mrkdwn(ln) for ln in lines if not ln.startswith("Time:"))])
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            {"type": "context",
             "elements": [{"type": "mrkdwn", "text": f"agentstatus · {iso_utc(f.at)}"}]},
        ],
    }


def _mrkdwn(s: str) -> str:
    # Slack treats &, < and > as control characters in mrkdwn.
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_body(f: AlertFacts) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event": f.event,
        "agent": {"id": f.agent_id, "name": f.agent_name},
        "verdict": f.verdict,
        "previous": f.previous,
        "regions": dict(f.regions),
        "errors": dict(f.errors),
        "at": iso_utc(f.at),
        "incident": f.dedup_key,
        "severity": f.severity,
        "summary": headline(f),
    }
    if f.event == "resolve":
        body["duration_s"] = None if f.duration_s is None else round(f.duration_s, 3)
    if f.text:
        body["text"] = f.text
    if f.details:
        body["details"] = dict(f.details)
    return body


def email_message(f: AlertFacts, channel: EmailChannel) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = TEST_TEXT if f.event == "test" else f"{tag(f)} {f.agent_name}"
    msg["From"] = channel.from_addr
    msg["To"] = ", ".join(channel.to)
    lines = [headline(f), "", *fact_lines(f)]
    if f.details:
        lines += ["", *(f"{k}: {v}" for k, v in f.details.items())]
    lines += ["", "-- ", "agentstatus"]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def statuspage_status(f: AlertFacts) -> str | None:
    """The component status an alert sets, or None when it leaves the page alone."""
    if f.event == "trigger":
        return "degraded_performance" if f.verdict == Verdict.DEGRADED else "major_outage"
    if f.event == "resolve":
        return "operational"
    return None


def statuspage_body(f: AlertFacts) -> dict[str, Any] | None:
    status = statuspage_status(f)
    return None if status is None else {"component": {"status": status}}
