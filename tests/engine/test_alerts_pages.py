"""The paging state is a "page" (table `alert_pages`); a file written before the rename
keeps its open pages, so an outage under way still resolves under its key."""

from __future__ import annotations

from pathlib import Path

from alerts_helpers import agent, config

from agentstatus_tui.engine.alerts import outbox
from agentstatus_tui.engine.alerts.center import AlertCenter
from agentstatus_tui.engine.history import db
from agentstatus_tui.engine.history.store import Store

OPEN = ("support-bot", "agentstatus-support-bot-1000", "DOWN", 1000.0, 1001.0)
CLOSED = ("other-bot", "agentstatus-other-bot-500", None, 500.0, 900.0)


def tables(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def old_file(path: Path) -> None:
    """The alerts tables as the first schema wrote them, with one open and one closed page."""
    conn = db.connect(path)
    assert db.migrate(conn, "alerts", outbox.MIGRATIONS[:1]) == 1
    conn.executemany(
        "INSERT INTO alert_incidents(agent_id, dedup_key, alerted, started_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)", [OPEN, CLOSED])
    conn.close()


def test_an_old_file_is_migrated_with_its_pages_kept(tmp_path: Path) -> None:
    path = tmp_path / db.DB_FILENAME
    old_file(path)
    cfg = config((agent(()), agent((), agent_id="other-bot", name="Other Bot")), {})
    with Store(path) as store:
        center = AlertCenter(cfg, store)
        conn = store.conn
        assert "alert_pages" in tables(conn) and "alert_incidents" not in tables(conn)
        rows = conn.execute("SELECT agent_id, dedup_key, alerted, started_at, updated_at"
                            " FROM alert_pages ORDER BY agent_id DESC").fetchall()
        assert [tuple(r) for r in rows] == [OPEN, CLOSED]
        assert conn.execute("SELECT version FROM schema_versions WHERE component = 'alerts'"
                            ).fetchone()[0] == len(outbox.MIGRATIONS)
        # The open page still answers to its key; the closed one is closed.
        assert center.dedup_key("support-bot") == "agentstatus-support-bot-1000"
        assert center.dedup_key("other-bot") is None


def test_a_new_file_has_pages_only(tmp_path: Path) -> None:
    with Store(tmp_path / db.DB_FILENAME) as store:
        AlertCenter(config((agent(()),), {}), store)
        assert "alert_pages" in tables(store.conn)
        assert "alert_incidents" not in tables(store.conn)
