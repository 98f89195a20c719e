"""A secret comes back in other spellings than it was written: percent-encoded in a URL,
inside Basic auth's base64, JSON-escaped in a body. None of them reaches the CLI, the
store or the dashboard's detail pane and Reproduce step."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from agent_server import AgentServer, Received
from aiohttp import web
from screen_text import shown

from agentstatus_tui.cli import main
from agentstatus_tui.engine.config.load import load_config
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.engine.secrets import MASK, redact
from agentstatus_tui.ui.app import AgentStatusApp

QUERY_KEY = "q2secret|PIPE^44ee"
SPACED_KEY = "p@ss w/rd+x:1-zz"  # a URL cannot hold it raw: a header or a body can
SLASH_KEY = "p@ss/w:rd+x-zz?&"
BASIC_PASS = "basic-pass|77aa"
JSON_KEY = 'js"on\\key-42bb'
SECRETS = {"QUERY_KEY": QUERY_KEY, "SPACED_KEY": SPACED_KEY, "SLASH_KEY": SLASH_KEY,
           "BASIC_PASS": BASIC_PASS, "JSON_KEY": JSON_KEY}

CONFIG = """\
defaults: {{validations: 1, retries: 0, timeout: 2s, interval: 1h}}
agents:
  - id: query
    url: "{agent}?key=${{QUERY_KEY}}&other=${{SLASH_KEY}}"
    headers: {{X-Key: "${{JSON_KEY}}", X-Spaced: "${{SPACED_KEY}}"}}
  - id: basic
    url: "http://ops:${{BASIC_PASS}}@{host}/leaky"
"""


def travelling(secret: str) -> list[str]:
    """Texts that carry `secret` the ways it travels."""
    out = [secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
           quote(secret, safe="/:@"), json.dumps({"e": secret})]
    out += [base64.b64encode(f"{user}:{secret}".encode()).decode() for user in ("ops", "o", "op")]
    return out


def forms(secret: str) -> set[str]:
    """Every spelling of `secret` that must never be seen (for base64, the part that
    depends on the secret alone)."""
    *texts, _ = travelling(secret)
    return {secret, *texts[1:5], json.dumps(secret)[1:-1]} | {
        base64.b64encode(f"{user}:{secret}".encode()).decode()[8:-4] for user in ("ops", "o", "op")
    }


async def leaky(request: web.Request, rec: Received) -> web.StreamResponse:
    # It quotes back the URL as it arrived (percent-encoded), the Basic credentials and,
    # JSON-escaped, a header value.
    body = {"error": f"denied {request.raw_path} auth={request.headers.get('Authorization')}"
                     f" key={request.headers.get('X-Key')} {request.headers.get('X-Spaced')}"}
    return web.json_response(body, status=401)


@pytest.mark.parametrize("secret", list(SECRETS.values()))
def test_every_spelling_of_a_secret_is_masked(secret: str) -> None:
    for text in travelling(secret):
        masked = redact(text, SECRETS.values())
        assert MASK in masked, text
        assert not any(form in masked for form in forms(secret)), masked


def test_mixed_percent_encoding_and_lower_case_hex_are_masked() -> None:
    assert redact("key=q2secret%7cPIPE^44ee;", [QUERY_KEY]) == f"key={MASK};"
    assert redact("p%40ss+w/rd%2bx:1-zz", [SPACED_KEY]) == MASK


def test_short_values_and_ordinary_text_are_left_alone() -> None:
    assert redact("a 1 b", ["1", "abc"]) == "a 1 b"
    text = "The answer is 4. Basic dXNlcjpwYXNz is fine."
    assert redact(text, SECRETS.values()) == text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_no_spelling_of_a_secret_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    data = tmp_path / "data"
    seen: list[str] = []
    async with AgentServer() as server:
        server.route("/leaky", leaky)
        url = server.url("/leaky")
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CONFIG.format(agent=url, host=url.split("/")[2]))
        base = ["--config", str(cfg), "--data-dir", str(data)]
        for argv in (["check", "--json"], ["run", "query"], ["run", "query", "--json"],
                     ["run", "basic", "--json"]):
            await asyncio.to_thread(main, [*argv, *base])
            out = capsys.readouterr()
            seen += [out.out, out.err]

        config = load_config(cfg)
        async with Monitor.open(config, data_dir=str(data)) as monitor:
            app = AgentStatusApp(monitor)
            async with app.run_test(size=(160, 50)) as pilot:
                await monitor.run_now("query")
                seen.append(await shown(pilot, app, "HTTP_401"))
                await pilot.press("i", "4", "s")  # the incident's Reproduce step, sent now
                seen.append(await shown(pilot, app, "denied /leaky?key="))  # the body, shown
                await pilot.press("escape", "q")

    sent = [r.headers.get("Authorization", "") for r in server.requests]
    assert any(a.startswith("Basic ") for a in sent), "the basic agent sent its credentials"
    assert any("denied" in s for s in seen[:-2]), "the agent's answer was in the CLI output"
    screens = "\n".join(seen)
    for name, value in SECRETS.items():
        for form in forms(value):
            assert form not in screens, f"{name} shown as {form!r}"
    for f in (p for p in data.rglob("*") if p.is_file()):
        raw = f.read_bytes()
        for name, value in SECRETS.items():
            for form in forms(value):
                assert form.encode() not in raw, f"{name} as {form!r} in {f.name}"
