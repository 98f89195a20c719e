"""`report --exclude-maintenance`: maintenance time is left out of uptime and outages, a
column says how much, and without the flag the report is as before."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentstatus_tui.cli import main
from agentstatus_tui.engine.history.excluded import leave_out
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.history.uptime import summarize
from agentstatus_tui.engine.model import RunResult, Stats, Verdict

HOUR = 3600.0
U, D, N = Verdict.UP, Verdict.DOWN, Verdict.UNKNOWN


def test_leave_out_turns_intervals_unknown_and_hands_the_verdict_back():
    points = [(0.0, U), (50.0, D), (70.0, U)]
    assert leave_out(points, [(40.0, 60.0)], 100.0) == [
        (0.0, U), (40.0, N), (60.0, D), (70.0, U)]
    assert leave_out(points, [(45.0, 80.0)], 100.0) == [(0.0, U), (45.0, N), (80.0, U)]
    # Reaching the window's end: nothing is handed back (an outage there stays ongoing).
    assert leave_out(points, [(60.0, 100.0)], 100.0) == [(0.0, U), (50.0, D), (60.0, N)]
    s = summarize(leave_out(points, [(40.0, 60.0)], 100.0), 0.0, 100.0)
    assert (s.known, s.down, s.outage_count) == (80.0, 10.0, 1)


def _run(agent_id: str, at: float, verdict: Verdict) -> RunResult:
    ok = 0 if verdict is D else 1
    stats = Stats(verdict, validations=1, validations_ok=ok)
    return RunResult(agent_id, at, at + 1, stats, {"us": stats})


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_leaves_a_known_maintenance_window_out(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]):
    now = time.time()
    start = now - 10 * HOUR
    data = tmp_path / "data"
    with Store.open(data) as store:
        # UP for 4h, DOWN for 1h (inside the 2h30m maintenance window), UP since.
        for at, verdict in ((start, U), (start + 4 * HOUR, D), (start + 5 * HOUR, U),
                            (now - 60, U)):
            store.record_run(_run("db", at, verdict))
            store.record_run(_run("web", at, verdict))
    window = (start + 4 * HOUR - 1800 + 1, start + 6 * HOUR + 1)  # 2h30m, runs end at +1s
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(f"""\
regions: {{us: {{}}}}
agents:
  - {{id: db, url: "https://db.example.com/v1/chat/completions", tags: [storage]}}
  - {{id: web, url: "https://web.example.com/v1/chat/completions"}}
maintenance:
  db-upgrade:
    start: "{_iso(window[0])}"
    end: "{_iso(window[1])}"
    tags: [storage]
    reason: db upgrade
""")
    base = ("report", "--config", str(cfg), "--data-dir", str(data), "--since", "12h")

    code, out, _ = run_cli(capsys, *base, "--json")
    assert code == 0
    plain = {a["id"]: a for a in json.loads(out)["agents"]}
    assert plain["db"]["outages"]["count"] == 1
    assert plain["db"]["uptime"] == pytest.approx(0.9, abs=1e-4)
    assert "maintenance_excluded_s" not in plain["db"]  # default unchanged

    code, out, _ = run_cli(capsys, *base, "--json", "--exclude-maintenance")
    assert code == 0
    left = {a["id"]: a for a in json.loads(out)["agents"]}
    db, web = left["db"], left["web"]
    assert db["maintenance_excluded_s"] == pytest.approx(9000.0, abs=0.5)
    assert db["regions"]["us"]["maintenance_excluded_s"] == pytest.approx(9000.0, abs=0.5)
    assert db["outages"]["count"] == 0 and db["uptime"] == 1.0
    # `web` has no window: the same figures as without the flag (a moment later: "now"
    # moved on), nothing left out.
    assert web["maintenance_excluded_s"] == 0.0
    assert web["uptime"] == pytest.approx(plain["web"]["uptime"], abs=1e-4)
    assert web["outages"]["count"] == 1

    code, out, _ = run_cli(capsys, *base, "--exclude-maintenance")
    header = next(ln for ln in out.splitlines() if ln.startswith("AGENT"))
    assert header.split()[-1] == "MAINT"
    db_row = next(ln for ln in out.splitlines() if ln.startswith("db "))
    assert db_row.split()[2] == "100%" and db_row.endswith("2h 30m")
    web_row = next(ln for ln in out.splitlines() if ln.startswith("web "))
    assert web_row.split()[-1] == "-"

    code, out, _ = run_cli(capsys, *base, "--csv", "--exclude-maintenance")
    head, *rows = out.splitlines()
    assert head.endswith(",maintenance_excluded_s")
    assert rows[0].startswith("db,") and rows[0].endswith(",9000")

    code, out, _ = run_cli(capsys, *base)
    assert "MAINT" not in out
