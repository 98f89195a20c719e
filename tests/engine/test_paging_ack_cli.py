"""`agentstatus ack AGENT` end to end: a cron `check` pages a DOWN agent, `ack` sends
PagerDuty's acknowledge under the page's key and records who acknowledged it, with the
note on the incident; the next `check --json` says so per agent (`acknowledged`,
`silenced`, `maintenance`, `flapping`, `escalation_step`); an agent without an open page
has nothing to acknowledge."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from alerts_helpers import PD_PATH, ROUTING_KEY
from receivers import HttpReceiver, Reply

from agentstatus_tui.cli import main
from agentstatus_tui.engine.alerts import pages
from agentstatus_tui.engine.history import db

CONFIG = """\
channels:
  pagerduty: {{type: pagerduty, routing_key: "${{PD_KEY}}", url: "{base}{pd}"}}
agents:
  - id: search
    name: Search Agent
    url: {base}/search/v1/chat/completions
    retries: 0
    alerts: {{channels: [pagerduty]}}
  - id: billing
    name: Billing Helper
    url: {base}/billing/v1/chat/completions
    alerts: {{channels: [pagerduty]}}
"""


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_ack_acknowledges_the_page_in_pagerduty_and_records_who(
        http: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PD_KEY", ROUTING_KEY)
    monkeypatch.setenv("AGENTSTATUS_USER", "alice")
    http.default("/search/v1/chat/completions", Reply(503, "overloaded"))
    http.default("/billing/v1/chat/completions", Reply(200, json.dumps(
        {"choices": [{"message": {"role": "assistant", "content": "hi"}}]})))
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(CONFIG.format(base=http.url(), pd=PD_PATH))
    data = str(tmp_path / "data")
    common = ("--config", str(cfg), "--data-dir", data)

    assert await cli("check", *common) == 2
    capsys.readouterr()
    assert await cli("ack", "search", "--note", "looking at the app logs", *common) == 0
    out = capsys.readouterr().out
    assert await cli("ack", "billing", *common) == 1
    err = capsys.readouterr().err

    (trigger, ack) = (r.json for r in http.at(PD_PATH))
    assert (trigger["event_action"], ack["event_action"]) == ("trigger", "acknowledge")
    assert trigger["dedup_key"] == ack["dedup_key"]
    assert out.startswith(f"Search Agent: page {ack['dedup_key']} acknowledged by alice")
    assert "pagerduty delivered" in out
    assert ROUTING_KEY not in out
    assert "nothing to acknowledge: Billing Helper has no open page" in err
    assert await cli("check", "--json", *common) == 2
    doc = {a["id"]: a for a in json.loads(capsys.readouterr().out)["agents"]}
    search, billing = doc["search"], doc["billing"]
    assert (search["acknowledged"], search["acknowledged_by"]) == (True, "alice")
    assert search["acknowledged_at"].endswith("Z")
    assert (search["silenced"], search["maintenance"], search["flapping"]) == (
        None, None, False)
    assert search["escalation_step"] == 0  # no escalation configured
    assert (billing["acknowledged"], billing["held"]) == (False, None)
    assert len(http.at(PD_PATH)) == 2  # the second check paged nobody again

    conn = db.connect(Path(data) / db.DB_FILENAME)
    row = pages.read(conn, "search")
    assert (row.acked_by, row.ack_note) == ("alice", "looking at the app logs")
    timeline = [r[0] for r in conn.execute("SELECT text FROM incident_timeline ORDER BY id")]
    conn.close()
    assert any("acknowledged by alice" in t for t in timeline)
