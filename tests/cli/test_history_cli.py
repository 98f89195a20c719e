"""`agentstatus history` and `agentstatus report` read what the store kept."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

from agentstatus_tui.cli import main
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import RunResult, Stats, Verdict

UP, DOWN, DEG = Verdict.UP, Verdict.DOWN, Verdict.DEGRADED
SECRET = "tok-9b1e44d0c2a7f3e8"

CONFIG = """\
regions:
  us: {}
  eu: {}
agents:
  - id: support-bot
    name: Support Bot
    url: http://127.0.0.1:9/v1/chat/completions
    headers: {Authorization: "Bearer ${SUPPORT_BOT_TOKEN}"}
  - id: quiet-bot
    name: Quiet Bot
    url: http://127.0.0.1:9/v1/chat/completions
"""


def make_run(agent: str, at: float, verdict: Verdict, regions: dict[str, Verdict]) -> RunResult:
    def stats(v: Verdict) -> Stats:
        ok = 0 if v is DOWN else 10
        return Stats(verdict=v, validations=10, validations_ok=ok, ttfb_p50=0.245 if ok else None,
                     ttfb_p95=0.3 if ok else None, errors={} if ok else {"HTTP_503": 10})

    return RunResult(agent, at - 1, at, stats(verdict), {n: stats(v) for n, v in regions.items()})


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Two hours of support-bot: UP, a 15-minute outage (us and eu DOWN), UP again, and
    an eu-only blip that leaves the agent DEGRADED overall for 10 minutes."""
    d = tmp_path / "data"
    now = time.time()
    start = now - 2 * 3600
    with Store.open(d) as store, store.transaction():
        for minute in range(0, 120):
            at = start + minute * 60
            if 30 <= minute < 45:
                v, regions = DOWN, {"us": DOWN, "eu": DOWN}
            elif 90 <= minute < 100:
                v, regions = DEG, {"us": UP, "eu": DOWN}
            else:
                v, regions = UP, {"us": UP, "eu": UP}
            store.record_run(make_run("support-bot", at, v, regions))
    return d


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SUPPORT_BOT_TOKEN", SECRET)
    path = tmp_path / "agents.yaml"
    path.write_text(CONFIG)
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_history_lists_changes_with_how_long_each_lasted(capsys, data_dir):
    code, out, _ = run_cli(capsys, "history", "support-bot", "--data-dir", str(data_dir), "--json")
    assert code == 0
    doc = json.loads(out)
    changes = [(t["from"], t["to"], t["lasted_s"]) for t in doc["transitions"]]
    assert changes[:5] == [
        ("UNKNOWN", "UP", 30 * 60),
        ("UP", "DOWN", 15 * 60),
        ("DOWN", "UP", 45 * 60),
        ("UP", "DEGRADED", 10 * 60),
        ("DEGRADED", "UP", pytest.approx(changes[4][2])),
    ]
    assert [t["ongoing"] for t in doc["transitions"]] == [False] * 4 + [True]
    assert doc["transitions"][1]["reason"] == "HTTP_503"
    assert doc["verdict"] == "UP"
    assert doc["outages"]["count"] == 1 and doc["outages"]["total_s"] == 900
    assert len(doc["runs"]) == 20
    assert doc["runs"][-1]["ttfb_ms"] == {"p50": 245, "p95": 300}


def test_history_text_names_the_agent_from_the_config_and_hides_nothing_secret(
    capsys, data_dir, config_file
):
    code, out, _ = run_cli(
        capsys, "history", "Support Bot", "--config", str(config_file),
        "--data-dir", str(data_dir), "--runs", "3",
    )
    assert code == 0
    assert out.startswith("Support Bot (support-bot) · UP since")
    assert "UP        DOWN      15m" in out
    assert "1 outage, 15m down (longest 15m)" in out
    assert len([line for line in out.splitlines() if "245ms" in line]) == 3
    assert SECRET not in out


def test_history_of_one_region(capsys, data_dir):
    code, out, _ = run_cli(
        capsys, "history", "support-bot", "--region", "eu", "--data-dir", str(data_dir), "--json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["region"] == "eu"
    # eu was DOWN twice (the outage and the blip); overall only once.
    assert [t["to"] for t in doc["transitions"]] == ["UP", "DOWN", "UP", "DOWN", "UP"]
    assert doc["outages"]["count"] == 2


def test_history_since_limits_the_window(capsys, data_dir):
    code, out, _ = run_cli(
        capsys, "history", "support-bot", "--since", "15m", "--data-dir", str(data_dir), "--json"
    )
    doc = json.loads(out)
    assert code == 0
    assert doc["transitions"] == [] and doc["uptime"] == 1.0


def test_unknown_agent_or_region_is_exit_2_with_a_message(capsys, data_dir):
    code, out, err = run_cli(capsys, "history", "nope", "--data-dir", str(data_dir))
    assert (code, out) == (2, "")
    assert "nope" in err and "support-bot" in err
    code, _, err = run_cli(
        capsys, "history", "support-bot", "--region", "ap", "--data-dir", str(data_dir)
    )
    assert code == 2 and "ap" in err and "eu, us" in err


def test_bad_since_is_a_usage_error(capsys, data_dir):
    with pytest.raises(SystemExit) as exc:
        main(["report", "--since", "soon", "--data-dir", str(data_dir)])
    assert exc.value.code == 2
    assert "not a duration" in capsys.readouterr().err


def test_report_text_json_and_store_order(capsys, data_dir):
    code, out, _ = run_cli(capsys, "report", "--since", "7d", "--data-dir", str(data_dir))
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("support-bot"))
    # Known time is the ~2 hours since the first run: 15 min DOWN, 10 min DEGRADED.
    _, verdict, uptime, outages = line.split()[:4]
    assert (verdict, outages) == ("UP", "1")
    assert 77 < float(uptime.rstrip("%")) < 81
    code, out, _ = run_cli(capsys, "report", "--json", "--data-dir", str(data_dir))
    doc = json.loads(out)
    [agent] = doc["agents"]
    assert agent["id"] == "support-bot" and agent["verdict"] == "UP"
    assert agent["outages"]["count"] == 1 and agent["outages"]["mttr_s"] == 900
    assert agent["regions"]["eu"]["outages"]["count"] == 2
    assert 0.77 < agent["uptime"] < 0.81


def test_report_csv_opens_cleanly_in_a_spreadsheet(capsys, data_dir, config_file):
    code, out, _ = run_cli(
        capsys, "report", "--since", "7d", "--csv", "--config", str(config_file),
        "--data-dir", str(data_dir),
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    header, *body = rows
    assert header[:5] == ["agent_id", "name", "verdict", "uptime_percent", "outages"]
    assert [r[0] for r in body] == ["support-bot", "quiet-bot"]  # config order, every agent
    assert all(len(r) == len(header) for r in body)
    bot = dict(zip(header, body[0], strict=True))
    assert bot["name"] == "Support Bot"
    assert 77 < float(bot["uptime_percent"]) < 81
    assert int(bot["outages"]) == 1 and float(bot["mttr_s"]) == 900
    quiet = dict(zip(header, body[1], strict=True))
    assert quiet["verdict"] == "UNKNOWN" and quiet["uptime_percent"] == ""
    assert SECRET not in out


def test_report_of_an_empty_store_says_how_to_fill_it(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "report", "--data-dir", str(tmp_path / "empty"))
    assert code == 0 and "agentstatus check" in out


def test_data_dir_comes_from_the_environment(capsys, data_dir, monkeypatch):
    monkeypatch.setenv("AGENTSTATUS_DATA_DIR", str(data_dir))
    code, out, _ = run_cli(capsys, "report", "--json")
    assert code == 0 and json.loads(out)["agents"][0]["id"] == "support-bot"
