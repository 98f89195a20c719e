"""`agentstatus silence add | list | expire` end to end over a data dir, and what the
engine then sees in the same file."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from agentstatus_tui.cli import main
from agentstatus_tui.cli.silences import end_time
from agentstatus_tui.engine.alerts.quiet import quiet_for
from agentstatus_tui.engine.alerts.silences import SilenceError
from agentstatus_tui.engine.config.load import load_config
from agentstatus_tui.engine.history.store import Store

CONFIG = """\
regions: {us: {}, eu: {}}
agents:
  - {id: support-bot, url: "https://a.example.com/v1/chat/completions", tags: [batch]}
  - {id: gateway, url: "https://g.example.com/v1/chat/completions"}
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(CONFIG)
    return cfg, tmp_path / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_expire_round_trip(setup: tuple[Path, Path], capsys, monkeypatch):
    cfg, data = setup
    monkeypatch.setenv("AGENTSTATUS_USER", "alice")
    where = ("--config", str(cfg), "--data-dir", str(data))
    before = time.time()
    code, out, err = run(capsys, "silence", "add", "--agent", "support-bot", "--for", "2h",
                         "--reason", "deploy of v2", *where)
    assert (code, err) == (0, "")
    assert out.startswith("silence ") and "agent support-bot quiet until" in out
    assert out.rstrip().endswith("— deploy of v2 (by alice)")
    sid = out.split()[1].rstrip(":")

    code, out, _ = run(capsys, "silence", "add", "--tag", "batch", "--for", "30m",
                       "--reason", "batch rerun", "--author", "bob", "--json", *where)
    tag_doc = json.loads(out)
    assert tag_doc["matcher"] == {"kind": "tag", "value": "batch"}
    assert (tag_doc["author"], tag_doc["state"], tag_doc["expired_at"]) == ("bob", "active", None)

    # The engine reading the same file sees the silence: the agent's pages are held.
    config = load_config(cfg)
    with Store.open(data) as store:
        quiet = quiet_for(store.conn, config, config.agent("support-bot"), time.time())
        assert quiet is not None and (quiet.id, quiet.author) == (sid, "alice")
        assert before + 7200 <= quiet.until <= time.time() + 7200
        assert quiet_for(store.conn, config, config.agent("gateway"), time.time()) is None

    code, out, _ = run(capsys, "silence", "list", "--data-dir", str(data))
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "SILENCES", "STATE", "FROM", "UNTIL", "BY", "REASON"]
    assert [ln.split()[0] for ln in lines[1:]] == [tag_doc["id"], sid]  # soonest end first

    code, out, _ = run(capsys, "silence", "expire", sid, "--data-dir", str(data))
    assert code == 0 and out.startswith(f"silence {sid} expired: agent support-bot pages again")
    code, out, _ = run(capsys, "silence", "list", "--json", "--data-dir", str(data))
    assert [s["id"] for s in json.loads(out)["silences"]] == [tag_doc["id"]]
    code, out, _ = run(capsys, "silence", "list", "--all", "--json", "--data-dir", str(data))
    states = {s["id"]: s["state"] for s in json.loads(out)["silences"]}
    assert states == {sid: "expired", tag_doc["id"]: "active"}
    code, _, err = run(capsys, "silence", "expire", sid, "--data-dir", str(data))
    assert code == 2 and f"silence {sid} has already ended" in err


@pytest.mark.parametrize(("argv", "message"), [
    (("--agent", "support-bt", "--for", "1h", "--reason", "x"),
     "unknown agent 'support-bt' (did you mean 'support-bot'?) (agents: support-bot, gateway)"),
    (("--region", "ap", "--for", "1h", "--reason", "x"),
     "unknown region 'ap' (regions: us, eu)"),
    (("--tag", "nightly", "--for", "1h", "--reason", "x"), "unknown tag 'nightly' (tags: batch)"),
    (("--agent", "gateway", "--reason", "x"), "a silence needs an end: --for 2h or --until 14:00"),
    (("--agent", "gateway", "--for", "1h"), 'a silence needs a reason: --reason "why it is quiet"'),
    (("--agent", "gateway", "--for", "1h", "--reason", "  "), "a silence needs a reason"),
    (("--agent", "gateway", "--for", "soon", "--reason", "x"),
     "--for: not a duration: 'soon' (try 30m, 2h or 1d)"),
    (("--agent", "gateway", "--until", "2001-01-01 10:00", "--reason", "x"),
     "a silence needs an end in the future"),
])
def test_add_refuses_with_a_clear_error(setup, capsys, argv, message):
    cfg, data = setup
    code, out, err = run(capsys, "silence", "add", *argv, "--config", str(cfg),
                         "--data-dir", str(data))
    assert code == 2 and out == ""
    assert err.startswith("agentstatus: ") and message in err
    code, out, _ = run(capsys, "silence", "list", "--all", "--data-dir", str(data))
    assert out.startswith("no silences")


def test_expire_of_an_unknown_id(setup, capsys):
    _, data = setup
    code, _, err = run(capsys, "silence", "expire", "deadbeef", "--data-dir", str(data))
    assert code == 2 and "no silence 'deadbeef'" in err


def test_until_reads_clock_times_and_dates_in_local_time():
    now = datetime(2026, 11, 30, 15, 0).timestamp()  # local
    assert end_time(None, "16:30", now) == datetime(2026, 11, 30, 16, 30).timestamp()
    assert end_time(None, "09:00", now) == datetime(2026, 12, 1, 9, 0).timestamp()  # next one
    assert end_time(None, "2026-12-02 08:15", now) == datetime(2026, 12, 2, 8, 15).timestamp()
    assert end_time("90m", None, now) == now + 5400
    with pytest.raises(SilenceError, match="not a time"):
        end_time(None, "25:00", now)
