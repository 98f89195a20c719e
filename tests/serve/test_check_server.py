"""`agentstatus check --server`: the verdicts of a running daemon, on its unix socket and
on TCP, with the Nagios line and exit codes of a local check, the same `--json` contract,
and UNKNOWN (3) with the reason when the daemon cannot be asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from daemon_cli import cli
from serve_process import READ_TOKEN, WRITE_TOKEN, ServeProcess, agents_config

from agentstatus_tui.cli.check import agent_line
from agentstatus_tui.cli.check_server import agent_doc_line
from agentstatus_tui.engine.documents import agent_document
from agentstatus_tui.engine.model import AgentConfig, RunResult, Stats, Verdict

pytestmark = pytest.mark.timeout(120)


async def check_both(d: ServeProcess, *extra: str) -> list[tuple[int, str, str]]:
    """`check --server` over the unix socket and over TCP."""
    unix = await cli("check", "--server", str(d.socket), *extra)
    tcp = await cli("check", "--server", d.base, *extra, token=READ_TOKEN)
    return [unix, tcp]


async def manual_run(d: ServeProcess, agent_id: str) -> None:
    async with d.session(WRITE_TOKEN) as s, s.post(
            f"/api/v1/agents/{agent_id}/run?wait=true") as r:
        assert r.status == 200, await r.text()


async def test_each_exit_code_over_the_socket_and_tcp(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/a", Reply("4"))
        text = agents_config({"a": agents.url("/a")}, interval="5m")
        async with ServeProcess(tmp_path, text, socket=True) as d:
            for code, out, err in await check_both(d):
                assert code == 0, (out, err)
                assert out.startswith("AGENTSTATUS OK - 1 UP | up=1;;; degraded=0;;; "
                                      "down=0;;; unknown=0;;;\n"), out
                assert "\na: REACHABLE p50 " in out and "[us=REACHABLE:" in out
                assert "eu=REACHABLE:" in out

            agents.route("/a", Reply(status=503), region="eu")  # one region DOWN
            await manual_run(d, "a")
            for code, out, _ in await check_both(d):
                assert code == 1, out
                assert out.startswith("AGENTSTATUS WARNING - 1 DEGRADED |"), out
                assert "eu=DOWN:HTTP_503" in out and "errors HTTP_503×1" in out

            agents.route("/a", Reply(status=503))  # every region DOWN
            await manual_run(d, "a")
            for code, out, _ in await check_both(d):
                assert code == 2, out
                assert out.startswith("AGENTSTATUS CRITICAL - 1 DOWN |"), out

            async with d.session(WRITE_TOKEN) as s, s.post("/api/v1/agents/a/pause") as r:
                assert r.status == 200
            for code, out, _ in await check_both(d):
                # Paused: UNKNOWN, but counted apart and never failing, as a local check.
                assert code == 0, out
                assert out.startswith("AGENTSTATUS OK - 1 paused | up=0;;; degraded=0;;; "
                                      "down=0;;; unknown=0;;; paused=1;;;\n"), out
                assert "\na: UNKNOWN (paused)" in out
            for code, out, _ in await check_both(d, "a"):  # named: the same
                assert code == 0 and "\na: UNKNOWN (paused)" in out, out
            for code, out, _ in await check_both(d, "nobody"):
                assert code == 3
                assert out.startswith("AGENTSTATUS UNKNOWN - no agent 'nobody' (agents: a)")
            before = len(agents.requests)
            await check_both(d, "--json")
            assert len(agents.requests) == before  # --server never probes an agent

            assert await d.stop() == 0
            unix, tcp = await check_both(d)
            for code, out, err in (unix, tcp):
                assert code == 3
                assert out.startswith("AGENTSTATUS UNKNOWN - ")
                assert "agentstatus: " in err and "Traceback" not in err
            assert "the socket does not exist (is `agentstatus serve` running?)" in unix[1]
            assert f"cannot reach the daemon at {d.base}: Connection refused" in tcp[1]


async def test_json_is_the_local_check_contract(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        agents.route("/down", Reply(status=503))
        agents.route("/half", Reply(status=503), region="eu")
        agents.route("/half", Reply("4"))
        text = agents_config({"ok": agents.url("/ok"), "down": agents.url("/down"),
                              "half": agents.url("/half")}, interval="5m")
        async with ServeProcess(tmp_path, text, socket=True) as d:
            code, out, err = await cli("check", "--server", d.base, "--json", token=READ_TOKEN)
            local_code, local_out, local_err = await cli(
                "check", "--json", "--config", str(d.config), "--data-dir",
                str(tmp_path / "local"), env=d.env)
        assert code == local_code == 2, (err, local_err)
        served, local = json.loads(out), json.loads(local_out)
        assert served["server"] == {"ok": True, "url": d.base}
        assert set(local) - {"alerts"} <= set(served)
        assert [a["id"] for a in served["agents"]] == [a["id"] for a in local["agents"]]
        for mine, theirs in zip(served["agents"], local["agents"], strict=True):
            assert set(theirs) <= set(mine), set(theirs) - set(mine)
            for key in ("id", "name", "verdict", "errors", "retried"):
                assert mine[key] == theirs[key], key
            assert set(mine["ttfb_ms"]) == set(theirs["ttfb_ms"]) == {"p50", "p95"}
            assert set(mine["regions"]) == set(theirs["regions"])
            for name, region in theirs["regions"].items():
                assert set(region) <= set(mine["regions"][name])
                assert mine["regions"][name]["verdict"] == region["verdict"]


async def test_a_refused_token_is_unknown_and_says_so(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"ok": agents.url("/ok")}, interval="5m")
        async with ServeProcess(tmp_path, text) as d:
            code, out, err = await cli("check", "--server", d.base)
            assert code == 3
            assert out.startswith(f"AGENTSTATUS UNKNOWN - the daemon at {d.base} refused "
                                  "the request (401: a valid bearer token is required); "
                                  "give it with $AGENTSTATUS_API_KEY or --token"), out
            wrong = "not-the-token-0123456789"
            code, out, err = await cli("check", "--server", d.base, "--json", token=wrong)
            assert code == 3
            doc = json.loads(out)
            assert doc["agents"] == [] and doc["server"]["ok"] is False
            assert "401" in doc["server"]["error"]
            assert wrong not in out + err
            code, out, _ = await cli("check", "--server", d.base, "--token", READ_TOKEN)
            assert code == 0, out
            assert READ_TOKEN not in out


def _stats(verdict: Verdict, v: int, ok: int, gold: int = 0, gold_ok: int = 0, *,
           p50: float | None = None, p95: float | None = None, **kw: object) -> Stats:
    return Stats(verdict, v, ok, gold, gold_ok, p50, p95, **kw)  # type: ignore[arg-type]


RUNS = {
    "up": RunResult("a", 0.0, 1.0, _stats(Verdict.UP, 4, 4, 2, 2, p50=0.2454, p95=0.4),
                    {"us": _stats(Verdict.UP, 4, 4, 2, 2, p50=0.2454)}),
    "degraded": RunResult(
        "a", 0.0, 1.0, _stats(Verdict.DEGRADED, 4, 3, p50=4.26, p95=9.0,
                              errors={"TIMEOUT": 1}, retried=2),
        {"us": _stats(Verdict.UP, 2, 2, p50=0.3),
         "eu": _stats(Verdict.DOWN, 2, 0, errors={"HTTP_503": 2, "TIMEOUT": 1})}),
    "down": RunResult("a", 0.0, 1.0, _stats(Verdict.DOWN, 2, 0, errors={"HTTP_401": 2}),
                      {"us": _stats(Verdict.DOWN, 2, 0, errors={"HTTP_401": 2})}),
    "canary": RunResult("a", 0.0, 1.0, _stats(Verdict.UNKNOWN, 0, 0),
                        {"ap": _stats(Verdict.UNKNOWN, 0, 0, discarded=True)}),
}


@pytest.mark.parametrize("run", [*RUNS, "none"])
def test_the_server_line_is_the_local_line(run: str):
    """One agent's line from its JSON object reads as the local check's from its run."""
    agent = AgentConfig(id="a", name="Support Bot", url="http://127.0.0.1:1/v1")
    result = RUNS.get(run)
    assert agent_doc_line(agent_document(agent, result)) == agent_line(agent.name, result)
