"""What `check` says about alert delivery: a page that did not go out must be as loud as
the DOWN that caused it (stderr, where cron mails it, and the `alerts` section of
`check --json`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..engine.alerts.outbox import (
    DELIVERED,
    FAILED,
    PENDING,
    AlertHealth,
    AlertRecord,
    AttemptRecord,
)
from ..engine.heartbeat import HeartbeatHealth
from ..engine.secrets import redact
from ..engine.text import iso_utc

LOG_DEPTH = 500  # outbox entries looked at: far more than one check queues


class AlertLog(Protocol):
    def log(self, limit: int = 200) -> list[AlertRecord]: ...

    def attempts(self, alert_id: int) -> list[AttemptRecord]: ...

    def health(self) -> AlertHealth: ...


@dataclass
class FailingChannel:
    """One channel with alerts that did not go out (failing, or not tried before the
    check's deadline)."""

    channel: str
    channel_type: str
    pending: int = 0
    failed: int = 0
    attempts: int = 0
    last_error: str | None = None
    since: float | None = None  # the first failed attempt of its undelivered alerts
    agents: list[str] = field(default_factory=list)
    announced_at: float | None = None  # told on the other channels (failing too long)


@dataclass(frozen=True)
class DeliveryReport:
    channels: int  # configured
    pending: int  # still queued (retried by the next check or the dashboard)
    failed: int  # given up during this check
    delivered: int  # delivered during this check
    failing: tuple[FailingChannel, ...]
    # With a heartbeat: whether this check pinged it (False: the ping failed or the round
    # did not complete), and its stored health after that.
    pinged: bool | None = None
    heartbeat: HeartbeatHealth | None = None


def delivery_report(alerts: AlertLog, started: float, channels: int, *,
                    heartbeat: bool | None = None) -> DeliveryReport:
    """Alerts still pending (any age: paging is failing until they go out), alerts given
    up or delivered since `started` (this check), grouped by channel; and the heartbeat
    (`heartbeat`: this check's ping, as `Monitor.heartbeat_after_round` told)."""
    pending = failed = delivered = 0
    failing: dict[str, FailingChannel] = {}
    for rec in alerts.log(LOG_DEPTH):
        if rec.status == DELIVERED:
            if rec.delivered_at is not None and rec.delivered_at >= started:
                delivered += 1
            continue
        attempts = alerts.attempts(rec.id)
        if rec.status == FAILED and not any(a.at >= started for a in attempts):
            continue  # given up in an earlier run: reported then
        if rec.status not in (PENDING, FAILED):
            continue
        ch = failing.setdefault(rec.channel, FailingChannel(rec.channel, rec.channel_type))
        if rec.status == PENDING:
            pending += 1
            ch.pending += 1
        else:
            failed += 1
            ch.failed += 1
        ch.attempts += rec.attempts
        if rec.agent_id not in ch.agents:
            ch.agents.append(rec.agent_id)
        # Newest first in the log: the first error seen is the latest one.
        if ch.last_error is None and rec.last_error:
            ch.last_error = rec.last_error
        first_failure = next((a.at for a in attempts if a.result != DELIVERED), None)
        if first_failure is not None and (ch.since is None or first_failure < ch.since):
            ch.since = first_failure
    health = alerts.health()
    for f in health.failing:
        if f.channel in failing:
            failing[f.channel].announced_at = f.announced_at
    return DeliveryReport(channels, pending, failed, delivered, tuple(failing.values()),
                          pinged=heartbeat, heartbeat=health.heartbeat)


def alerts_document(report: DeliveryReport, secrets: Iterable[str]) -> dict[str, Any]:
    """The `alerts` section of `check --json`."""
    hide = frozenset(secrets)
    return {
        "channels": report.channels,
        "pending": report.pending,
        "failed": report.failed,
        "delivered": report.delivered,
        "failing": [
            {
                "channel": c.channel,
                "type": c.channel_type,
                "pending": c.pending,
                "failed": c.failed,
                "attempts": c.attempts,
                "last_error": redact(c.last_error, hide) if c.last_error else None,
                "since": iso_utc(c.since) if c.since is not None else None,
                "agents": list(c.agents),
                "announced_at": iso_utc(c.announced_at) if c.announced_at else None,
            }
            for c in report.failing
        ],
        "heartbeat": _heartbeat_document(report, hide),
    }


def _heartbeat_document(report: DeliveryReport, hide: frozenset[str]) -> dict[str, Any] | None:
    """Never the URL: it is the switch's token."""
    hb = report.heartbeat
    if hb is None:
        return None
    return {
        "pinged": bool(report.pinged),
        "failing": hb.failing,
        "last_ok_at": iso_utc(hb.last_ok_at) if hb.last_ok_at is not None else None,
        "failing_since": iso_utc(hb.failing_since) if hb.failing_since is not None else None,
        "last_error": redact(hb.last_error, hide) if hb.last_error else None,
    }


def delivery_lines(report: DeliveryReport, secrets: Iterable[str]) -> list[str]:
    """The stderr lines of `check`; none when every alert went out."""
    hide = frozenset(secrets)
    lines = []
    hb = report.heartbeat
    if report.pinged is False and hb is not None and hb.failing and hb.last_error:
        lines.append(redact(f"agentstatus: HEARTBEAT FAILING: {hb.last_error}", hide))
    if not report.failing:
        return lines
    undelivered = report.pending + report.failed
    head = (f"agentstatus: PAGING FAILING: {undelivered} alert"
            f"{'s' if undelivered != 1 else ''} not delivered "
            f"({report.pending} pending, {report.failed} failed)")
    lines.append(head)
    for c in report.failing:
        bits = [f"{c.channel} ({c.channel_type})"]
        state = ", ".join(x for x in (f"{c.pending} pending" if c.pending else "",
                                      f"{c.failed} failed" if c.failed else "") if x)
        bits.append(state)
        bits.append(f"{c.attempts} attempt{'s' if c.attempts != 1 else ''}")
        if c.since is not None:
            bits.append(f"failing since {iso_utc(c.since).replace('T', ' ')}")
        text = "  " + " · ".join(bits)
        text += f": {c.last_error}" if c.last_error else ": not tried yet"
        lines.append(redact(text, hide))
    return lines
