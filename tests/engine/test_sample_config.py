"""sample_agents.yaml: what a newcomer copies must load, show every feature and document its variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentstatus_tui.engine.alerts.channels import url_token_parts
from agentstatus_tui.engine.config.load import load_config, sample_config_text
from agentstatus_tui.engine.model import EXPECT_KINDS, ConfigError

REPO_SAMPLE = Path(__file__).resolve().parents[2] / "sample_agents.yaml"


def documented_variables() -> list[str]:
    """The variables the sample's header comment says it needs."""
    header = sample_config_text().split("\n\n")[0:3]
    return re.findall(r"^#\s+([A-Z][A-Z0-9_]+)\s{2,}\S", "\n\n".join(header), re.MULTILINE)


def env_for_sample() -> dict[str, str]:
    # URL-valued variables need a URL; every other value is an opaque token.
    return {
        name: f"https://hooks.example.com/dummy-{name.lower()}"
        if name.endswith("_URL")
        else f"dummy-{name.lower()}-value"
        for name in documented_variables()
    }


def test_top_level_sample_is_the_packaged_one():
    assert REPO_SAMPLE.read_text(encoding="utf-8") == sample_config_text()


def test_sample_loads_with_the_variables_its_header_documents():
    config = load_config(REPO_SAMPLE, env=env_for_sample())
    assert config.path == str(REPO_SAMPLE)
    # Every variable's value, and the token-like parts of the heartbeat's URL (the URL
    # is the switch's token however it is written).
    assert frozenset(env_for_sample().values()) <= config.secrets
    assert config.secrets - frozenset(env_for_sample().values()) <= url_token_parts(
        env_for_sample()["HEARTBEAT_URL"])


def test_every_documented_variable_is_used_and_every_used_one_documented():
    text = sample_config_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)) - {"VAR"}
    assert used == set(documented_variables())
    for name in documented_variables():
        env = env_for_sample()
        del env[name]
        with pytest.raises(ConfigError) as caught:
            load_config(REPO_SAMPLE, env=env)
        assert [e for e in caught.value.errors if f"'{name}' is not set" in e], name


def test_sample_shows_every_feature():
    config = load_config(REPO_SAMPLE, env=env_for_sample())
    assert {c.type for c in config.channels.values()} == {
        "email",
        "pagerduty",
        "slack",
        "webhook",
        "statuspage",
    }
    assert any(r.proxy for r in config.regions.values())
    assert any(r.canary for r in config.regions.values())
    assert any(not r.proxy for r in config.regions.values())
    kinds = {e.kind for a in config.agents for g in a.gold_prompts for e in g.expect}
    assert kinds == set(EXPECT_KINDS)
    assert any(a.stream for a in config.agents)
    assert any(not a.gold_prompts for a in config.agents)  # REACHABLE, explained in a comment
    assert any(len(a.probe_messages) > 1 for a in config.agents)
    assert any(a.runbook.rollback and a.runbook.links and a.runbook.contacts for a in config.agents)
    assert any(a.runbook.common_issues for a in config.agents)
    assert any(a.alerts.on_degraded for a in config.agents)
    assert all(a.alerts.channels for a in config.agents)  # inherited from defaults
    assert config.keymap and config.theme
    assert config.heartbeat is not None and config.delivery.group_wait == 30.0
    assert any(a.tags for a in config.agents)
    assert any(w.cron and w.timezone != "UTC" and w.tags for w in config.maintenance)
    assert any("Authorization" in a.header_templates for a in config.agents)
    # Secrets stay templates where they may be shown.
    for agent in config.agents:
        for template in agent.header_templates.values():
            assert "dummy-" not in template


def test_validate_command_accepts_the_sample(monkeypatch, capsys):
    from agentstatus_tui.cli import main

    for name, value in env_for_sample().items():
        monkeypatch.setenv(name, value)
    assert main(["validate", str(REPO_SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "dummy-" not in out
