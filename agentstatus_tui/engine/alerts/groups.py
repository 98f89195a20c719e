"""Grouping chat and email pages (table `alert_groups`): agents going DOWN within
`group_wait` of each other arrive as one Slack message and one email listing them all.

Each agent keeps its own outbox row (its log line, its incident's timeline); what groups
them is stored beside the rows, written in the same transaction that queues them:

- The first groupable row of a channel and event opens a group due `group_wait` later;
  rows queued before then join it and wait until the same moment.
- When it is due, whichever delivery lane (of whichever process) claims it first leases
  every member that is at the head of its own lane, in one write transaction, and sends
  one message for all of them. The others find them leased, then delivered. A crash
  before the send leaves the group queued, due, and sent once by the next process.

PagerDuty keeps one incident per agent (its dedup key is the agent's page), Statuspage one
component per agent, and webhooks one event per agent (machine consumers: a receiver
routes, dedups or opens a ticket per agent and incident key), so only Slack and email
group. Only pages from verdict changes group (trigger and resolve); a person's words
(acknowledge, notes), reminders and escalations go out alone and at once."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable

from ..history import db
from .messages import AlertFacts

COMPONENT = "alert_groups"
MIGRATIONS = (
    """
    CREATE TABLE alert_groups (
        alert_id INTEGER PRIMARY KEY,   -- an alert_outbox row
        group_id INTEGER NOT NULL,      -- the id of the group's first row
        channel TEXT NOT NULL,
        event TEXT NOT NULL,
        due_at REAL NOT NULL            -- when the group goes out (its first + group_wait)
    );
    CREATE INDEX alert_groups_group ON alert_groups(group_id);
    CREATE INDEX alert_groups_open ON alert_groups(channel, event, due_at);
    """,
)

GROUPED_TYPES = ("slack", "email")
GROUPED_EVENTS = ("trigger", "resolve")


def migrate(conn: sqlite3.Connection) -> None:
    db.migrate(conn, COMPONENT, MIGRATIONS)


def groupable(channel_type: str, facts: AlertFacts) -> bool:
    return (channel_type in GROUPED_TYPES and facts.event in GROUPED_EVENTS
            and facts.text is None)


def join(conn: sqlite3.Connection, alert_id: int, channel: str, event: str, now: float,
         group_wait: float) -> float:
    """Put a just-queued row into the open group of its channel and event, or open one;
    returns when the group is due. The caller holds the write transaction."""
    r = conn.execute(
        "SELECT g.group_id, g.due_at FROM alert_groups g JOIN alert_outbox o"
        " ON o.id = g.alert_id WHERE g.channel = ? AND g.event = ? AND g.due_at > ?"
        " AND g.alert_id = g.group_id AND o.status = 'pending' AND o.attempts = 0"
        " AND o.lease_until IS NULL ORDER BY g.group_id DESC LIMIT 1",
        (channel, event, now),
    ).fetchone()
    group_id, due = (int(r["group_id"]), float(r["due_at"])) if r else (alert_id, now + group_wait)
    conn.execute("INSERT INTO alert_groups(alert_id, group_id, channel, event, due_at)"
                 " VALUES (?, ?, ?, ?, ?)", (alert_id, group_id, channel, event, due))
    conn.execute("UPDATE alert_outbox SET next_attempt_at = ? WHERE id = ?", (due, alert_id))
    return due


def claim(conn: sqlite3.Connection, group_id: int, head_id: int, until: float, now: float,
          *, flush: bool,
          transaction: Callable[[], contextlib.AbstractContextManager[object]]) -> list[int]:
    """Lease `head_id` and every other member of its group that is pending, not leased,
    due (or, with `flush`, still only waiting for the group) and first in its own lane.
    Returns the ids leased in queue order (the message lists agents in that order, however
    the lane that sends it); empty when the head was taken meanwhile."""
    with transaction():
        rows = conn.execute(
            "SELECT o.id FROM alert_groups g JOIN alert_outbox o ON o.id = g.alert_id"
            " WHERE g.group_id = ? AND o.status = 'pending'"
            " AND (o.lease_until IS NULL OR o.lease_until <= ?)"
            " AND (o.next_attempt_at <= ? OR (? AND o.attempts = 0) OR o.id = ?)"
            " AND NOT EXISTS (SELECT 1 FROM alert_outbox p WHERE p.status = 'pending'"
            "   AND p.channel = o.channel AND p.agent_id = o.agent_id AND p.id < o.id)"
            " ORDER BY o.id",
            (group_id, now, now, int(flush), head_id),
        ).fetchall()
        ids = [int(r["id"]) for r in rows]
        if head_id not in ids:
            return []
        marks = ",".join("?" * len(ids))
        conn.execute(f"UPDATE alert_outbox SET lease_until = ? WHERE id IN ({marks})",
                     (until, *ids))
    return ids


def group_of(conn: sqlite3.Connection, alert_id: int) -> int | None:
    r = conn.execute("SELECT group_id FROM alert_groups WHERE alert_id = ?",
                     (alert_id,)).fetchone()
    return None if r is None else int(r["group_id"])
