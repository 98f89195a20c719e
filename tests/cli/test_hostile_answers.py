"""Agents whose answers attack the judge: cron's `check` still finishes, stores every
agent and pages as usual; only the hostile agents' gold prompts fail."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path

from agent_server import AgentServer, Reply, closed_port
from receivers import HttpReceiver

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """\
defaults: {{validations: 1, retries: 0, timeout: 5s}}
run_deadline: 20s
channels:
  hook: {{type: webhook, url: "{hook}"}}
agents:
  - id: redos
    url: {redos}
    gold_prompts: [{{prompt: "say a", expect: {{regex: "(a+)+$"}}}}]
  - id: deep-json
    url: {deep}
    gold_prompts: [{{prompt: "json please", expect: {{json: true}}}}]
  - id: healthy
    url: {healthy}
    gold_prompts: [{{prompt: "json please", expect: {{json: true, regex: "^\\\\{{"}}}}]
  - id: gone
    url: {gone}
    alerts: {{channels: [hook]}}
"""


async def run_check(
    *argv: str, limit: float = 50.0, launcher: tuple[str, ...] = ("-m", "agentstatus_tui")
) -> tuple[int, str, str]:
    """`agentstatus check` in its own process, killed if it outlives `limit` seconds."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *launcher, "check", *argv,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), limit)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"check still running after {limit:.0f}s") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_check_survives_a_redos_and_a_deeply_nested_answer(tmp_path: Path) -> None:
    async with AgentServer() as server, HttpReceiver() as hook:
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(
            hook=hook.url("/hook"),
            redos=server.route("/redos", Reply("a" * 40 + "!")),
            deep=server.route("/deep", Reply("[" * 100_000 + "]" * 100_000)),
            healthy=server.route("/healthy", Reply('{"n": 4}')),
            gone=f"http://127.0.0.1:{closed_port()}/v1/chat/completions",
        ))
        data = tmp_path / "data"
        code, out, err = await run_check("--json", "--config", str(cfg), "--data-dir", str(data),
                                         "--alert-deadline", "15")
    assert "Traceback" not in err, err
    assert code == 2, err  # `gone` is DOWN
    agents = {a["id"]: a for a in json.loads(out)["agents"]}
    assert agents["healthy"]["verdict"] == "UP"
    assert agents["gone"]["verdict"] == "DOWN"
    for hostile in ("redos", "deep-json"):
        assert agents[hostile]["errors"] == {"EVAL_FAIL": 1}, agents[hostile]
        assert agents[hostile]["reachability"] == 1.0
    # Stored like any run, and the DOWN agent paged as on any other day.
    with sqlite3.connect(data / "agentstatus.db") as db:
        stored = {row[0] for row in db.execute("SELECT agent_id FROM runs")}
    assert stored == {"redos", "deep-json", "healthy", "gone"}
    assert [r.json["event"] for r in hook.at("/hook")] == ["trigger"]


# The check runs in its own interpreter and reports its own peak memory on the way out.
MEASURED = (
    "import resource, runpy, sys\n"
    "sys.argv = ['agentstatus', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('agentstatus_tui', run_name='__main__')\n"
    "finally:\n"
    "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "    print(f'PEAK_RSS_KB {peak}', file=sys.stderr)\n"
)

BOMBS_CONFIG = CONFIG + "".join(
    f"""\
  - id: bomb-{i}
    url: {{bomb}}
    validations: 2
"""
    for i in range(5)
)


async def test_five_bombs_a_redos_and_deep_json_beside_a_healthy_agent(tmp_path: Path) -> None:
    """All the hostile answers at once: `check` finishes inside its deadline, the healthy
    agent stays UP, the bombs are TOO_LARGE, and memory stays flat: undecoded, each bomb
    is 1,000 MiB. The goal is under 100 MB for the whole process (88 MB measured on a
    quiet machine, 116 MB beside two CPU hogs, where more bombs are read at once and the
    allocator holds more); the bound here leaves room for such a machine."""
    from agent_server import gzip_bomb

    bomb = Reply(body=gzip_bomb(1000), headers={"Content-Encoding": "gzip"})
    async with AgentServer() as server, HttpReceiver() as hook:
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(BOMBS_CONFIG.format(
            hook=hook.url("/hook"),
            redos=server.route("/redos", Reply("a" * 40 + "!")),
            deep=server.route("/deep", Reply("[" * 100_000 + "]" * 100_000)),
            healthy=server.route("/healthy", Reply('{"n": 4}')),
            gone=f"http://127.0.0.1:{closed_port()}/v1/chat/completions",
            bomb=server.route("/bomb", bomb),
        ))
        code, out, err = await run_check(
            "--json", "--config", str(cfg), "--data-dir", str(tmp_path / "data"),
            "--alert-deadline", "15", launcher=("-c", MEASURED))
    assert "Traceback" not in err, err
    assert code == 2, err
    agents = {a["id"]: a for a in json.loads(out)["agents"]}
    assert agents["healthy"]["verdict"] == "UP"
    for i in range(5):
        assert agents[f"bomb-{i}"]["errors"] == {"TOO_LARGE": 2}, agents[f"bomb-{i}"]
    for hostile in ("redos", "deep-json"):
        assert agents[hostile]["errors"] == {"EVAL_FAIL": 1}, agents[hostile]
    peak_kb = int(err.rsplit("PEAK_RSS_KB ", 1)[1].split()[0])
    print(f"check peak RSS {peak_kb / 1024:.0f} MB, healthy p50 {agents['healthy']['ttfb_ms']['p50']} ms")
    assert peak_kb < 160 * 1024, f"check peaked at {peak_kb / 1024:.0f} MB"
