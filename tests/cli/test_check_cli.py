"""`agentstatus check`, `run` and `validate` as scripts and cron see them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from agent_server import AgentServer, Echo, closed_port

from agentstatus_tui.cli import main
from agentstatus_tui.cli.check import nagios_line
from agentstatus_tui.engine.model import Verdict

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-live-0123456789abcdef-cli"


def run_cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentstatus_tui", *argv],
        capture_output=True, text=True, timeout=90, env=env, stdin=subprocess.DEVNULL,
    )


def test_check_demo_json_contract_and_exit_code(tmp_path: Path):
    out = run_cli("check", "--demo", "--json", "--data-dir", str(tmp_path))
    assert out.returncode == 2, out.stderr  # some demo agents are DOWN
    doc = json.loads(out.stdout)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["generated_at"])
    by_id = {a["id"]: a for a in doc["agents"]}
    expected = {
        "support-bot": "UP", "stream-writer": "UP", "search-agent": "UP",
        "billing-helper": "UP", "crm-sync": "DOWN", "quiz-master": "DEGRADED",
        "legacy-gateway": "DOWN",
    }
    for agent_id, verdict in expected.items():
        assert by_id[agent_id]["verdict"] == verdict, agent_id
    assert by_id["night-owl"]["verdict"] in ("UP", "DOWN")  # it blinks by the wall clock
    for a in doc["agents"]:
        assert set(a) >= {"id", "name", "verdict", "reachability", "eval_pass", "retried",
                          "ttfb_ms", "errors", "regions"}
        assert a["verdict"] in {v.value for v in Verdict}
        assert set(a["ttfb_ms"]) == {"p50", "p95"}
        for region in a["regions"].values():
            assert set(region) >= {"verdict", "reachability", "eval_pass", "ttfb_ms", "errors"}
    # The seed's regional example, live: ap is slow for search-agent only.
    assert by_id["search-agent"]["regions"]["ap"]["verdict"] == "DEGRADED"
    assert by_id["search-agent"]["regions"]["us"]["verdict"] == "UP"
    assert by_id["crm-sync"]["eval_pass"] is None  # no gold prompts
    assert by_id["crm-sync"]["errors"] == {"HTTP_401": 6}
    assert by_id["crm-sync"]["ttfb_ms"] == {"p50": None, "p95": None}
    assert by_id["quiz-master"]["errors"].get("EVAL_FAIL", 0) > 0


def test_nagios_first_line_and_most_urgent_wins():
    line = nagios_line([Verdict.DOWN, Verdict.DEGRADED, Verdict.UP, Verdict.UP, Verdict.REACHABLE,
                        Verdict.UP])
    assert line == ("AGENTSTATUS CRITICAL - 1 DOWN, 1 DEGRADED, 4 UP | "
                    "up=4;;; degraded=1;;; down=1;;; unknown=0;;;")
    assert nagios_line([Verdict.UNKNOWN, Verdict.UP]).startswith("AGENTSTATUS UNKNOWN - 1 UNKNOWN, 1 UP")
    assert nagios_line([Verdict.UP]).startswith("AGENTSTATUS OK - 1 UP |")


CONFIG = """\
defaults: {{validations: 2, retries: 0, timeout: 1s, interval: 60s}}
agents:
  - id: echo
    name: Echo Agent
    url: {echo}
    headers: {{Authorization: "Bearer ${{ECHO_TOKEN}}"}}
  - id: gone
    url: {gone}
"""


async def test_check_exit_codes_and_no_secret_in_any_output(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]):
    async with AgentServer() as server:
        server.route("/echo", Echo())
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(echo=server.url("/echo"),
                                     gone=f"http://127.0.0.1:{closed_port()}/v1/chat/completions"))
        monkeypatch.setenv("ECHO_TOKEN", SECRET)
        base = ["--config", str(cfg), "--data-dir", str(tmp_path / "data")]

        code = await asyncio.to_thread(main, ["check", *base])
        text = capsys.readouterr().out
        assert code == 2
        assert text.splitlines()[0].startswith("AGENTSTATUS CRITICAL - 1 DOWN, 1 UP")
        assert "CONNECT" in text

        code = await asyncio.to_thread(main, ["check", "--json", *base])
        doc = json.loads(capsys.readouterr().out)
        assert code == 2
        assert {a["id"]: a["verdict"] for a in doc["agents"]} == {"echo": "REACHABLE",
                                                                 "gone": "DOWN"}
        assert doc["agents"][1]["errors"] == {"CONNECT": 2}

        code = await asyncio.to_thread(main, ["run", "echo", *base])
        report = capsys.readouterr().out
        assert code == 0
        assert re.search(r"local +validation +200 ", report)
        code = await asyncio.to_thread(main, ["run", "echo", "--json", *base])
        run_json = capsys.readouterr().out
        first = json.loads(run_json)["agents"][0]["requests"][0]
        assert first["ok"] is True
        # The agent echoed the Authorization header back: shown, with the value masked …
        assert "Authorization: Bearer ••••••" in first["answer"]

        # … but never the secret value, anywhere a person or a file can see.
        assert all(SECRET not in s for s in (text, report, run_json, json.dumps(doc)))
        for f in (tmp_path / "data").rglob("*"):
            if f.is_file():
                assert SECRET.encode() not in f.read_bytes(), f


def test_validate_sample_and_a_broken_config(tmp_path: Path):
    sample = ROOT / "sample_agents.yaml"
    needed = re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", sample.read_text())
    bare = {k: v for k, v in os.environ.items() if k not in needed}
    # On a fresh machine without the secrets the file is valid; the unset ones are listed.
    ok = run_cli("validate", str(sample), env=bare)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"{sample}: OK")
    assert "agents[0].headers.Authorization: ${SUPPORT_BOT_TOKEN}" in ok.stdout
    strict = run_cli("validate", "--require-env", str(sample), env=bare)
    assert strict.returncode == 2
    assert "${SUPPORT_BOT_TOKEN} is not set" in strict.stderr
    # With its environment, the counts.
    env = {**bare, **{name: ("https://hooks.example.com/x" if name.endswith("_URL")
                             else "dummy-value-for-validate") for name in needed}}
    full = run_cli("validate", "--require-env", str(sample), env=env)
    assert full.returncode == 0, full.stderr
    assert re.search(r"OK — \d+ agents, \d+ regions, \d+ channels", full.stdout)
    assert "dummy-value-for-validate" not in full.stdout

    bad = tmp_path / "agents.yaml"
    bad.write_text(
        "defaults: {intervall: 60s}\n"
        "agents:\n"
        "  - id: a\n"
        "    url: http://127.0.0.1:1/v1/chat/completions\n"
        "    gold_prompts:\n"
        "      - prompt: hi\n"
        "        expect: {contain: '4'}\n"
    )
    out = run_cli("validate", str(bad))
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert any(re.match(r".*agents\.yaml:1: defaults: unknown key .intervall. \(did you mean .interval.\?\)", ln)
               for ln in lines), out.stderr
    assert any(re.match(r".*agents\.yaml:7: agents\[0\]\.gold_prompts\[0\]\.expect.*contain.*"
                        r"did you mean 'contains'", ln) for ln in lines), out.stderr
    assert "Traceback" not in out.stderr


def test_no_config_says_how_to_start(tmp_path: Path):
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "PATH": "/usr/bin:/bin"}
    out = run_cli("check", "--data-dir", str(tmp_path / "d"), env=env)
    assert out.returncode == 3
    assert "--demo" in out.stderr
    # `init` writes the file the dashboard looks for, and the message says so.
    looked_for = tmp_path / "cfg" / "agentstatus" / "agents.yaml"
    assert f"looked for {looked_for}" in out.stderr
    assert "init      (writes a commented agents.yaml there)" in out.stderr
    assert "sample_agents.yaml" not in out.stderr
    init = run_cli("init", env=env)
    assert init.returncode == 0, init.stderr
    assert looked_for.is_file()


def test_help_shows_the_command_as_optional():
    out = run_cli("--help")
    assert out.returncode == 0
    usage = out.stdout.split("\n\n")[0]
    assert "[COMMAND ...]" in usage, usage
    assert "Without a COMMAND it opens the dashboard" in out.stdout
    sub = run_cli("check", "--help")
    assert sub.stdout.startswith("usage: agentstatus check"), sub.stdout


def test_run_unknown_agent(tmp_path: Path):
    cfg = tmp_path / "agents.yaml"
    cfg.write_text("agents:\n  - id: a\n    url: http://127.0.0.1:1/v1/chat/completions\n")
    out = run_cli("run", "nope", "--config", str(cfg), "--data-dir", str(tmp_path / "d"))
    assert out.returncode == 2
    assert "no agent 'nope'" in out.stderr


def test_common_options_before_or_after_the_subcommand():
    from agentstatus_tui.cli import build_parser

    parser = build_parser()
    before = parser.parse_args(["--data-dir", "/x", "--config", "a.yaml", "report"])
    after = parser.parse_args(["report", "--data-dir", "/x", "--config", "a.yaml"])
    neither = parser.parse_args(["report"])
    assert (before.data_dir, before.config) == ("/x", "a.yaml")
    assert (after.data_dir, after.config) == ("/x", "a.yaml")
    assert (neither.data_dir, neither.config, neither.demo) == (None, None, False)


def test_init_writes_the_sample_once_and_it_validates(tmp_path: Path):
    target = tmp_path / "cfg" / "agents.yaml"
    first = run_cli("init", str(target))
    assert first.returncode == 0, first.stderr
    assert target.read_text() == (ROOT / "sample_agents.yaml").read_text()
    again = run_cli("init", str(target))
    assert again.returncode == 1 and "not overwriting" in again.stderr
    checked = run_cli("validate", str(target))
    assert checked.returncode == 0, checked.stderr
    printed = run_cli("init", "--stdout")
    assert printed.stdout == target.read_text()


def test_validate_lists_unset_variables_even_when_the_file_has_errors(tmp_path: Path):
    bad = tmp_path / "agents.yaml"
    bad.write_text(
        "defaults: {intervall: 60s}\n"
        "agents:\n"
        "  - id: a\n"
        "    url: http://127.0.0.1:1/v1/chat/completions\n"
        '    headers: {Authorization: "Bearer ${VALIDATE_TOKEN_NOT_SET}"}\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "VALIDATE_TOKEN_NOT_SET"}
    out = run_cli("validate", str(bad), env=env)
    assert out.returncode == 2
    assert "unknown key 'intervall'" in out.stderr
    assert "agents[0].headers.Authorization: ${VALIDATE_TOKEN_NOT_SET}" in out.stdout
    assert "Not set in this environment (1;" in out.stdout


def test_validate_counts_read_as_words(tmp_path: Path):
    one = tmp_path / "agents.yaml"
    one.write_text("agents:\n  - id: a\n    url: http://127.0.0.1:9/v1/chat/completions\n")
    done = run_cli("validate", str(one))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("OK — 1 agent, 1 region, 0 channels"), done.stdout
