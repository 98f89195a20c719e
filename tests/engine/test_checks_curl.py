"""The Reproduce step's curl command: exact request, secrets as $VAR, runnable as pasted."""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import subprocess

import pytest
from agent_server import AgentServer, Echo

from agentstatus_tui.engine.model import AgentConfig, Region
from agentstatus_tui.engine.probe.curl import curl_command
from agentstatus_tui.engine.probe.request import request_body

SECRET = "sk-live-abc123-very-secret"


def agent(**kw: object) -> AgentConfig:
    opts: dict[str, object] = {
        "headers": {"Authorization": f"Bearer {SECRET}", "X-Team": 'a "quoted" $team'},
        "header_templates": {"Authorization": "Bearer ${SUPPORT_BOT_TOKEN}",
                             "X-Team": 'a "quoted" $team'},
        "model": "gpt-4o-mini",
        "timeout": 7.5,
        "url": "https://agent.example.com/v1/chat/completions",
    }
    opts.update(kw)
    return AgentConfig(id="a", name="A", **opts)  # type: ignore[arg-type]


def test_curl_shows_the_variable_never_the_secret() -> None:
    cmd = curl_command(agent(), Region("eu"))
    assert SECRET not in cmd
    assert '-H "Authorization: Bearer $SUPPORT_BOT_TOKEN"' in cmd
    assert '-H "X-AgentStatus-Region: eu"' in cmd
    assert "--max-time 7.5" in cmd
    assert cmd.startswith("curl -sS -X POST https://agent.example.com/v1/chat/completions")


def test_curl_body_is_the_exact_validation_body() -> None:
    a = agent(stream=True)
    words = shlex.split(curl_command(a, None).replace("\\\n", " "))
    body = words[words.index("-d") + 1]
    assert json.loads(body) == request_body(a)
    assert json.loads(body)["stream"] is True and "-N" in words


def test_literal_dollars_and_quotes_survive_the_shell() -> None:
    words = shlex.split(curl_command(agent(), None).replace("\\\n", " "), posix=True)
    # shlex does not expand variables; a shell would expand $SUPPORT_BOT_TOKEN only.
    assert 'X-Team: a \\"quoted\\" \\$team' in curl_command(agent(), None)
    assert any(w.startswith("X-Team:") for w in words)


@pytest.mark.parametrize(
    ("proxy", "flag"),
    [("http://proxy.internal:3128", "--proxy http://proxy.internal:3128"),
     ("socks5://127.0.0.1:1080", "--socks5-hostname 127.0.0.1:1080")],
)
def test_curl_goes_through_the_region_proxy(proxy: str, flag: str) -> None:
    assert flag in curl_command(agent(), Region("eu", proxy=proxy))


def test_header_without_template_is_hidden() -> None:
    a = agent(header_templates={})
    cmd = curl_command(a, None)
    assert SECRET not in cmd and "$AGENTSTATUS_HIDDEN" in cmd


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_pasted_curl_sends_the_same_request() -> None:
    async with AgentServer() as server:
        url = server.route("/v1/chat/completions", Echo())
        a = agent(url=url)
        cmd = curl_command(a, Region("us"))
        proc = await asyncio.create_subprocess_shell(
            cmd, stdout=subprocess.PIPE, env={"SUPPORT_BOT_TOKEN": SECRET, "PATH": "/usr/bin:/bin"}
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0, out
        [rec] = server.requests
        assert rec.headers["Authorization"] == f"Bearer {SECRET}"
        assert rec.headers["X-Team"] == 'a "quoted" $team'  # literal, not expanded
        assert rec.region == "us"
        assert rec.body == request_body(a)


def test_curl_shows_secrets_in_the_url_and_proxy_as_variables():
    from agentstatus_tui.engine.config.load import load_config_text

    env = {"K": "sekrit-key-123", "T": "tok-abcdef-999", "PX": "proxypass-777"}
    config = load_config_text(
        'regions:\n  eu: {proxy: "socks5://u:${PX}@127.0.0.1:1080"}\n'
        "agents:\n  - id: a\n"
        '    url: "https://x.example.com/v1/chat/completions?key=${K}"\n'
        '    headers: {Authorization: "Bearer ${T}"}\n',
        "a.yaml", env=env,
    )
    agent = config.agents[0]
    assert agent.url.endswith("key=sekrit-key-123")  # requests use the real value …
    text = curl_command(agent, config.regions["eu"])
    assert '"https://x.example.com/v1/chat/completions?key=$K"' in text  # … curl shows $K
    assert '--proxy "socks5h://u:$PX@127.0.0.1:1080"' in text
    assert all(secret not in text for secret in env.values())
