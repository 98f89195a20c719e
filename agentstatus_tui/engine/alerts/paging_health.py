"""Paging health: a channel failing for longer than `alerting.channel_failing_after` is
itself announced on the other channels ("slack delivery failing since 07:14", with its
last error), once, and its recovery is announced when it delivers again.

A channel is failing while its latest delivery attempt failed and it has alerts not
delivered (the header's PAGING FAILING, `Outbox.health().failing`); since its first failed
attempt of those alerts. What was announced is stored (table `alert_channel_failures`)
and written in the same transaction as the notices it queues, so the dashboard, `serve`
and cron `check` on one data dir announce each failure and each recovery once, across
restarts.

The notices go to every other configured channel but the status page: to PagerDuty as an
incident of its own (trigger, then resolve, severity warning), to Slack, email and
webhooks as `channel_failing` / `channel_recovered` events."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..history import db
from ..model import Channel, Config
from ..text import clock, duration, iso_utc
from .messages import AlertFacts
from .outbox import ChannelFailure, NewAlert

COMPONENT = "channel_failures"
MIGRATIONS = (
    """
    CREATE TABLE alert_channel_failures (
        channel TEXT PRIMARY KEY,
        since REAL NOT NULL,          -- its first failed attempt of this failure
        announced_at REAL NOT NULL,
        dedup_key TEXT NOT NULL,      -- the PagerDuty incident of the announcement
        last_error TEXT               -- redacted, as announced
    );
    """,
)

FAILING, RECOVERED = "channel_failing", "channel_recovered"
AGENT_PREFIX = "channel:"  # the log's "agent" of a notice: never an agent id (no ':')
NOT_TOLD = ("statuspage",)  # the public page shows agents, not our plumbing


@dataclass(frozen=True)
class Announced:
    channel: str
    since: float
    announced_at: float
    dedup_key: str
    last_error: str | None


def migrate(conn: sqlite3.Connection) -> None:
    db.migrate(conn, COMPONENT, MIGRATIONS)


def announced(conn: sqlite3.Connection) -> dict[str, Announced]:
    rows = conn.execute("SELECT channel, since, announced_at, dedup_key, last_error"
                        " FROM alert_channel_failures")
    return {r["channel"]: Announced(**dict(r)) for r in rows}


def failing_since(conn: sqlite3.Connection, channel: str) -> float | None:
    """The channel's first failed attempt since it last delivered: when this failure
    began (alerts it gave up on in an earlier failure do not move it back)."""
    r = conn.execute(
        "SELECT MIN(at) AS at FROM alert_attempts WHERE channel = ? AND result != 'delivered'"
        " AND at > COALESCE((SELECT MAX(at) FROM alert_attempts WHERE channel = ?"
        " AND result = 'delivered'), 0)", (channel, channel)).fetchone()
    return None if r is None or r["at"] is None else float(r["at"])


def _overdue(conn: sqlite3.Connection, config: Config, failing: Sequence[ChannelFailure],
             told: Mapping[str, Announced], now: float) -> list[tuple[ChannelFailure, float]]:
    out = []
    for f in failing:
        if f.channel in told or f.channel not in config.channels:
            continue
        since = failing_since(conn, f.channel)
        if since is not None and now - since >= config.delivery.channel_failing_after:
            out.append((f, since))
    return out


def due(conn: sqlite3.Connection, config: Config, failing: Sequence[ChannelFailure],
        told: Mapping[str, Announced], now: float) -> bool:
    """Whether `review` has anything to do (read without the write lock)."""
    names = {f.channel for f in failing}
    return (any(name not in names for name in told)
            or bool(_overdue(conn, config, failing, told, now)))


def review(conn: sqlite3.Connection, config: Config, failing: Sequence[ChannelFailure],
           now: float) -> list[NewAlert]:
    """The notices to queue now, with the stored announcements updated. The caller holds
    the write transaction and queues the notices in it."""
    told = announced(conn)
    names = {f.channel for f in failing}
    out: list[NewAlert] = []
    for f, since in _overdue(conn, config, failing, told, now):
        channel = config.channels[f.channel]
        key = f"agentstatus-channel-{f.channel}-{int(since)}"
        conn.execute("INSERT INTO alert_channel_failures(channel, since, announced_at,"
                     " dedup_key, last_error) VALUES (?, ?, ?, ?, ?)",
                     (f.channel, since, now, key, f.last_error))
        out += _notices(config, channel, FAILING, key, since, f.last_error,
                        f.failed_attempts, now)
    for name, a in told.items():
        if name in names:
            continue
        conn.execute("DELETE FROM alert_channel_failures WHERE channel = ?", (name,))
        recovered = config.channels.get(name)
        if recovered is not None:
            out += _notices(config, recovered, RECOVERED, a.dedup_key, a.since, a.last_error,
                            None, now)
    return out


def headline(channel: Channel, event: str, since: float, error: str | None,
             now: float) -> str:
    if event == FAILING:
        return (f"{channel.name} ({channel.type}) delivery failing since "
                f"{clock(since, seconds=False)}: {error or 'no answer'}")
    return (f"{channel.name} ({channel.type}) delivers again (it failed for "
            f"{duration(now - since, exact=True)})")


def _notices(config: Config, failed: Channel, event: str, key: str, since: float,
             error: str | None, attempts: int | None, now: float) -> list[NewAlert]:
    text = headline(failed, event, since, error, now)
    details: dict[str, object] = {"channel": failed.name, "type": failed.type,
                                  "failing_since": iso_utc(since)}
    if event == FAILING:
        details |= {"last_error": error, "failed_attempts": attempts}
    else:
        details["failed_for_s"] = round(now - since, 3)
    out = []
    for name, channel in config.channels.items():
        if name == failed.name or channel.type in NOT_TOLD:
            continue
        kind = event
        if channel.type == "pagerduty":  # an incident of its own: trigger, then resolve
            kind = "trigger" if event == FAILING else "resolve"
        facts = AlertFacts(
            event=kind, agent_id=AGENT_PREFIX + failed.name,
            agent_name=f"{failed.name} delivery", at=now, dedup_key=key,
            severity="warning" if kind == "trigger" else "info", text=text,
            started_at=since, duration_s=now - since if event == RECOVERED else None,
            details=details,
        ).redacted(config.secrets)
        out.append(NewAlert(facts.agent_id, name, channel.type, kind, facts, dedup_key=key))
    return out
