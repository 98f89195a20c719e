"""`agentstatus incidents [--json]` and `agentstatus incident ID` read the shared store."""

from __future__ import annotations

import json

import pytest
from incident_fixtures import agent

from agentstatus_tui.cli import main
from agentstatus_tui.engine.history import db
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.incidents.checklist import Checklist
from agentstatus_tui.engine.incidents.tracker import IncidentTracker
from agentstatus_tui.engine.model import Config, Region

T0 = 1_790_000_000.0


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    config = Config(agents=(agent("search", "Search Agent"), agent("billing", "Billing Helper")),
                    regions={"us": Region("us")})
    store = Store(tmp_path / db.DB_FILENAME)
    clock = [T0]
    tracker = IncidentTracker(config, store, clock=lambda: clock[0])
    desk = Checklist(tracker, user="alice", data_dir=tmp_path)
    first = desk.open("search")
    desk.set_root_cause(first.id, key="auth", text="token rotated without updating the agent")
    clock[0] += 125
    desk.resolve(first.id, "new token deployed")
    desk.open("billing")
    store.close()
    return tmp_path


def test_incidents_json_lists_newest_first(data_dir, capsys) -> None:
    assert main(["incidents", "--data-dir", str(data_dir), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [i["agent_id"] for i in doc["incidents"]] == ["billing", "search"]
    billing, search = doc["incidents"]
    assert billing["status"] == "open" and billing["resolved_at"] is None
    assert search["status"] == "resolved"
    assert search["duration_s"] == 125
    assert search["root_cause"] == "Authentication failure: token rotated without updating the agent"
    assert search["resolved_by"] == "alice"
    assert search["document"].endswith("-incident-1-search.md")


def test_incidents_table_and_one_document(data_dir, capsys) -> None:
    assert main(["incidents", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "Search Agent" in out and "resolved: Authentication failure" in out
    assert "open, step 1 Acknowledge" in out
    assert main(["incident", "1", "--data-dir", str(data_dir)]) == 0
    doc = capsys.readouterr().out
    assert doc.startswith("# Incident #1: Search Agent, opened by hand")
    assert "## Timeline" in doc and "New token deployed." in doc
    assert main(["incident", "99", "--data-dir", str(data_dir)]) == 1
    assert "no incident #99" in capsys.readouterr().err
