"""`report` and `history` tell the truth across restarts: quitting the dashboard during an
outage does not end it, restarts do not clutter the verdict changes, the demo's agents
have their names, and 0% uptime without outages is explained."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply

from agentstatus_tui.cli import main
from agentstatus_tui.engine.config.load import load_config_text
from agentstatus_tui.engine.history import uptime
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import RunResult, Stats, Verdict
from agentstatus_tui.engine.monitor import Monitor

CONFIG = """\
defaults: {{validations: 2, retries: 0, timeout: 2s}}
agents:
  - id: broken-bot
    name: Broken Bot
    url: {url}
"""


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def _one_dashboard_session(config_text: str, data: Path) -> None:
    """Open the dashboard's engine, let every agent finish one run, quit."""
    config = load_config_text(config_text, "agents.yaml", {})
    async with Monitor.open(config, data_dir=str(data)) as mon:
        await mon.start()
        while any(st.last is None for st in mon.states.values()):
            await asyncio.sleep(0.02)


async def test_quitting_and_restarting_during_an_outage_keeps_one_ongoing_outage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    async with AgentServer() as server:
        url = server.route("/down", Reply(status=503, body={"error": "overloaded"}))
        text = CONFIG.format(url=url)
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(text)
        for _ in range(3):  # three dashboard sessions, the agent DOWN all along
            await _one_dashboard_session(text, data)

    with Store.open(data) as store:  # what was written: DOWN, UNKNOWN, DOWN, ...
        stored = [t.current for t in store.transitions("broken-bot")]
        points = store.points("broken-bot", 0.0)
    assert stored == [Verdict.DOWN, Verdict.UNKNOWN] * 3
    # The restarts' gaps are milliseconds here (the JSON rounds them to 0.1 s), so the
    # unknown time inside the one outage is checked on the engine's own figures.
    (engine_outage,) = uptime.outages(points, 0.0, time.time())
    assert engine_outage.end is None and engine_outage.unknown > 0

    code, out, _ = await asyncio.to_thread(
        run_cli, capsys, "report", "--json", "--config", str(cfg), "--data-dir", str(data))
    assert code == 0
    (agent,) = json.loads(out)["agents"]
    outages = agent["outages"]
    assert outages["count"] == 1
    assert outages["mttr_s"] is None  # nothing was repaired
    (outage,) = outages["list"]
    assert outage["ongoing"] is True and outage["end"] is None
    assert isinstance(outage["unknown_s"], float)  # rounded to 0.1 s: may read 0.0 here

    code, out, _ = await asyncio.to_thread(
        run_cli, capsys, "report", "--config", str(cfg), "--data-dir", str(data))
    row = next(ln for ln in out.splitlines() if ln.startswith("Broken Bot"))
    assert "1 (ongoing)" in row, out

    code, out, _ = await asyncio.to_thread(
        run_cli, capsys, "history", "broken-bot", "--config", str(cfg), "--data-dir", str(data))
    assert code == 0
    changes = out.split("Verdict changes (newest first)")[1].split("Recent runs")[0]
    rows = [ln for ln in changes.splitlines()[2:] if ln.startswith("  20")]
    # Only the first DOWN and the UNKNOWN of the last quit (still open now) are listed;
    # the restarts in between are folded away.
    assert [r.split()[2:4] for r in rows] == [["DOWN", "UNKNOWN"], ["UNKNOWN", "DOWN"]]
    assert "short UNKNOWN gaps from restarts or pauses not listed: 4 changes" in changes
    assert "one still ongoing" in out


def _run(agent: str, at: float, verdict: Verdict) -> RunResult:
    ok = 0 if verdict is Verdict.DOWN else 10
    stats = Stats(verdict=verdict, validations=10, validations_ok=ok,
                  ttfb_p50=0.2 if ok else None, ttfb_p95=0.3 if ok else None,
                  errors={} if verdict is Verdict.UP else {"EVAL_FAIL": 10})
    return RunResult(agent, at - 1, at, stats, {"us": stats})


def test_report_demo_names_the_agents_and_explains_zero_uptime(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = time.time()
    with Store.open(tmp_path / "demo") as store, store.transaction():
        for minute in range(30):
            at = now - 1800 + minute * 60
            store.record_run(_run("quiz-master", at, Verdict.DEGRADED))
            store.record_run(_run("support-bot", at, Verdict.UP))
    code, out, _ = run_cli(capsys, "report", "--demo", "--data-dir", str(tmp_path))
    assert code == 0
    lines = out.splitlines()
    quiz = next(ln for ln in lines if ln.startswith("Quiz Master"))
    assert quiz.split()[2:5] == ["DEGRADED", "0%*", "0"], quiz
    assert any(ln.startswith("Support Bot") for ln in lines)
    assert not any(ln.startswith(("quiz-master", "support-bot")) for ln in lines)
    assert "* Quiz Master: never UP in this window — DEGRADED all along, never DOWN" in out
