"""Which agents an engineer paused (table `paused_agents`): a pause is kept in the store,
so it outlives the process that took it — a daemon or a dashboard restarted keeps not
polling the agent until someone resumes it. Migrated under the component name "pauses"."""

from __future__ import annotations

import sqlite3

from . import db

COMPONENT = "pauses"
MIGRATIONS = (
    """
    CREATE TABLE paused_agents (
        agent_id TEXT PRIMARY KEY,
        paused_at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
)


def migrate(conn: sqlite3.Connection) -> None:
    db.migrate(conn, COMPONENT, MIGRATIONS)


def paused(conn: sqlite3.Connection) -> dict[str, float]:
    """Every paused agent and when it was paused."""
    return {r[0]: float(r[1]) for r in
            conn.execute("SELECT agent_id, paused_at FROM paused_agents")}


def set_paused(conn: sqlite3.Connection, agent_id: str, is_paused: bool, at: float) -> None:
    """Record a pause (the first pause's time is kept) or a resume."""
    if is_paused:
        conn.execute("INSERT INTO paused_agents(agent_id, paused_at) VALUES (?, ?)"
                     " ON CONFLICT(agent_id) DO NOTHING", (agent_id, at))
    else:
        conn.execute("DELETE FROM paused_agents WHERE agent_id = ?", (agent_id,))
