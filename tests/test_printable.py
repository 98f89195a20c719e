"""Control and bidi-override characters never reach the terminal raw: not from a config's
names and runbook, not from an agent's answer or error body, on the CLI or the dashboard."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from agent_server import AgentServer, Received, Reply
from aiohttp import web
from screen_text import shown

from agentstatus_tui.cli import main
from agentstatus_tui.engine.config.load import load_config, load_config_text
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.engine.printable import printable
from agentstatus_tui.ui.app import AgentStatusApp

RLO = "\u202e"  # right-to-left override: shows what follows reversed
ESC = "\x1b"
# Everything a terminal or a bidi renderer would act on rather than show.
UNSAFE = (ESC, "\x07", "\x9b", "\r", RLO, "\u2066", "\u200f", "\u2028", "\x00")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"evil{RLO}gnp.exe", "evil\\u202egnp.exe"),
        (f"{ESC}]0;pwned\x07{ESC}[2J", "\\x1b]0;pwned\\x07\\x1b[2J"),
        ("csi\x9b31m", "csi\\x9b31m"),
        ("a\r\nb\rc", "a\nb\\x0dc"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("שלום عربي 👨‍👩‍👧 日本", "שלום عربي 👨‍👩‍👧 日本"),  # scripts and ZWJ emoji untouched
    ],
)
def test_unsafe_characters_are_escaped_and_text_is_not(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_a_single_line_escapes_tabs_and_newlines_too() -> None:
    assert printable("a\tb\nc", multiline=False) == "a\\x09b\\x0ac"


# YAML allows no raw control characters: "\x1b" in double quotes is ESC.
CONFIG = f"""\
agents:
  - id: spoof
    name: "Support{RLO}toB\\x1b[31m"
    url: {{url}}
    validations: 1
    retries: 0
    gold_prompts:
      - {{{{name: "gold{RLO}", prompt: "raw{RLO} prompt is sent as written", expect: {{{{contains: x}}}}}}}}
    runbook:
      contacts: ["@alice{RLO}"]
      links: {{{{"logs\\x1b": "https://logs{RLO}"}}}}
      rollback: "kubectl\\x1b[2K undo\\nsecond line"
      common_issues: {{{{"HTTP 500{RLO}": "check\\x1b[1A"}}}}
"""


def test_config_display_strings_are_escaped_once_when_loaded() -> None:
    agent = load_config_text(CONFIG.format(url="http://127.0.0.1:9/"), "agents.yaml", {}).agents[0]
    assert agent.id == "spoof"
    assert agent.name == "Support\\u202etoB\\x1b[31m"
    (gold,) = agent.gold_prompts
    assert gold.name == "gold\\u202e"
    assert gold.prompt == f"raw{RLO} prompt is sent as written"  # the request is not altered
    rb = agent.runbook
    assert rb.contacts == ("@alice\\u202e",)
    assert dict(rb.links) == {"logs\\x1b": "https://logs\\u202e"}
    assert rb.rollback == "kubectl\\x1b[2K undo\nsecond line"
    assert dict(rb.common_issues) == {"HTTP 500\\u202e": "check\\x1b[1A"}


async def hostile(request: web.Request, rec: Received) -> web.StreamResponse:
    # An error body that would retitle the terminal, clear it and reverse what follows.
    return web.Response(status=500, text=f"{ESC}]0;pwned\x07{ESC}[2J{RLO}rorre", content_type="text/plain")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_nothing_unsafe_reaches_the_cli_or_the_dashboard(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []
    async with AgentServer() as server:
        server.route("/bad", hostile)
        server.route("/answer", Reply(f"x {ESC}[2J{RLO}dlrow"))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(url=server.url("/bad")) + f"""\
  - id: answers
    name: "Answers{RLO}"
    url: {server.url("/answer")}
    validations: 1
""")
        base = ["--config", str(cfg), "--data-dir", str(tmp_path / "data")]
        for argv in (["check"], ["check", "--json"], ["run", "spoof"], ["run", "answers"],
                     ["run", "answers", "--json"]):
            await asyncio.to_thread(main, [*argv, *base])
            out = capsys.readouterr()
            seen += [out.out, out.err]
        async with Monitor.open(load_config(cfg), data_dir=str(tmp_path / "data")) as monitor:
            app = AgentStatusApp(monitor)
            async with app.run_test(size=(160, 50)) as pilot:
                await monitor.run_now("spoof")
                # The name in the grid, escaped; then the incident panel's runbook.
                seen.append(await shown(pilot, app, "Support\\u202etoB"))
                await pilot.press("i", "6")
                seen.append(await shown(pilot, app, "kubectl\\x1b[2K undo"))
                await pilot.press("escape", "q")
    cli = "".join(seen[:10])
    assert "Support\\u202etoB" in cli, "the name is shown, escaped"
    assert "\\x1b]0;pwned" in cli, "the error body is shown, escaped"
    assert "dlrow" in cli, "the answer is shown"
    for text in seen:
        for char in UNSAFE:
            assert char not in text, f"{char!r} shown raw"
