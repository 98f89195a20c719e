"""Configs that would hurt the monitor are refused with one clear error each: numbers out
of range, merge-key and alias bombs, aliases that never end, and files that are not text."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentstatus_tui.engine.config.load import check_config_file, load_config, load_config_text
from agentstatus_tui.engine.config.yaml_size import MAX_VALUES
from agentstatus_tui.engine.model import ConfigError

AGENT = "  - id: bot\n    url: https://bot.example.com/v1/chat/completions\n"
MAIL = ("channels:\n  mail: {type: email, to: [a@example.com], from: b@example.com,"
        " host: 127.0.0.1, %s}\n")


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "agents.yaml", {})
    return caught.value.errors


# --------------------------------------------------------------------------- ranges

RANGE_CASES = [
    ("agent", "validations: 200000",
     "validations: must be between 1 and 1000 (each is one request per run), got '200000'"),
    ("agent", "interval: 1ms",
     "interval: must be between 1s and 1d (more often than once a second floods the agent),"
     " got '1ms'"),
    ("agent", "interval: 99999999999d", "interval: must be between 1s and 1d"),
    ("agent", "timeout: 1e308", "timeout: must be between 100ms and 10m, got '1e308'"),
    ("agent", "timeout: 50ms", "timeout: must be between 100ms and 10m, got '50ms'"),
    ("agent", "timeout: " + "9" * 5000, "timeout: must be between 100ms and 10m, got '999"),
    ("agent", "validations: " + "9" * 5000, "validations: must be between 1 and 1000"),
    ("agent", "retries: 11", "retries: must be between 0 and 10, got '11'"),
    ("agent", "ttfb_sla: 1h", "ttfb_sla: must be between 1ms and 10m, got '1h'"),
    ("agent", "max_tokens: 0x7fffffffffffffff", "max_tokens: must be between 1 and 100000"),
    ("agent", 'gold_prompts: [{prompt: hi, expect: {max_ttfb: 1d}}]',
     "gold_prompts[0].expect.max_ttfb: must be between 1ms and 10m, got '1d'"),
    ("top", "max_in_flight: 1000000", "max_in_flight: must be between 1 and 10000"),
    ("top", "max_body_bytes: 1GB",
     "max_body_bytes: must be between 1KB and 64MB (each request in flight may hold this"
     " much), got '1GB'"),
    ("top", "max_body_bytes: 10", "max_body_bytes: must be between 1KB and 64MB"),
    ("top", "run_deadline: 2h", "run_deadline: must be between 1s and 1h, got '2h'"),
    ("top", "retention: 1m", "retention: must be between 1h and 3650d, got '1m'"),
    ("top", "retention: 99999999999d", "retention: must be between 1h and 3650d"),
    ("top", "thresholds: {degraded_below: 2}",
     "thresholds.degraded_below: must be between 0 and 1, got '2'"),
    ("top", MAIL % "port: 70000", "channels.mail.port: must be between 1 and 65535"),
    ("top", MAIL % "timeout: 1e308", "channels.mail.timeout: must be between 1s and 10m"),
]


@pytest.mark.parametrize(("where", "line", "expected"), RANGE_CASES,
                         ids=[c[1][:30] for c in RANGE_CASES])
def test_every_number_has_a_range_and_the_error_names_it(where: str, line: str,
                                                         expected: str) -> None:
    if where == "agent":
        text = f"agents:\n{AGENT}    {line}\n"
        prefix = "agents.yaml:4: agents[0]."
    else:
        text = f"{line}\nagents:\n{AGENT}"
        prefix = "agents.yaml:"
    (error,) = errors(text)
    assert error.startswith(prefix), error
    assert expected in error, error
    assert len(error) < 200  # a 5000-digit number is not echoed whole


@pytest.mark.parametrize(
    "line",
    ["validations: 1000", "interval: 1s", "interval: 1d", "timeout: 100ms", "timeout: 10m",
     "retries: 0", "max_tokens: 100000", "ttfb_sla: 1ms"],
)
def test_the_ends_of_each_range_are_allowed(line: str) -> None:
    load_config_text(f"agents:\n{AGENT}    {line}\n", "agents.yaml", {})


# --------------------------------------------------------------------------- YAML bombs


def merge_bomb(levels: int = 9, fan: int = 10) -> str:
    """Each level merges the one below `fan` times: fan**levels expansions in ~1 kB."""
    level = "&m0 {timeout: 5s}"
    for i in range(1, levels + 1):
        level = f"&m{i} {{<<: [{', '.join([level] + [f'*m{i - 1}'] * (fan - 1))}]}}"
    return f"defaults: {{<<: {level}}}\nagents:\n{AGENT}"


def laughs() -> str:
    """A thousand agents (aliases) of a thousand gold prompts of a thousand texts each."""
    words = ", ".join(["a"] * 1000)
    prompts = ", ".join(["*g"] * 999)
    agents = ", ".join(["*bot"] * 999)
    return (
        "agents: [&bot {id: bot, url: 'https://bot.example.com/',"
        f" gold_prompts: [&g {{prompt: hi, expect: {{contains: [{words}]}}}}, {prompts}]}},"
        f" {agents}]\n"
    )


def test_a_merge_key_bomb_is_refused_before_it_is_expanded() -> None:
    text = merge_bomb()
    assert len(text) < 1200
    (error,) = errors(text)
    assert error.startswith("agents.yaml:")
    assert f"config too large: its aliases and merge keys (<<) expand to more than" \
           f" {MAX_VALUES:,} values" in error


def test_a_billion_laughs_of_aliases_is_refused() -> None:
    (error,) = errors(laughs())
    assert error.startswith("agents.yaml:1: agents")
    assert "config too large" in error


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f"defaults: &r {{timeout: 5s, <<: *r}}\nagents:\n{AGENT}", "agents.yaml:1: defaults.<<"),
        (f"agents:\n{AGENT}    runbook: &r {{links: {{a: b}}, common_issues: *r}}\n",
         "agents.yaml:4: agents[0].runbook.common_issues"),
        ("agents: &r [*r]\n", "agents.yaml:1: agents[0]"),
    ],
    ids=["self-merge", "self-mapping", "self-list"],
)
def test_an_alias_inside_its_own_anchor_is_an_error(text: str, where: str) -> None:
    (error,) = errors(text)
    assert error.startswith(where + ": "), error
    assert "config too deeply merged: an alias is used inside its own anchor" in error


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000,
     "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 200)) + "agents: []\n",
     "x: " + "[" * 100 + "]" * 100],
    ids=["unclosed-lists", "deep-mappings", "deep-lists"],
)
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    (error,) = errors(text)
    assert "nested too deeply" in error or "invalid YAML" in error, error


def test_merges_and_aliases_of_a_real_size_still_work() -> None:
    config = load_config_text(merge_bomb(levels=3, fan=10), "agents.yaml", {})
    assert config.agents[0].timeout == 5.0


# --------------------------------------------------------------------------- the file itself


def test_a_binary_file_is_a_clean_error_in_validate_and_load(tmp_path: Path) -> None:
    path = tmp_path / "agents.yaml"
    path.write_bytes(b"agents:\n  - id: a\n\xff\xfe\x00binary\x89PNG\n")
    found, unset = check_config_file(path)
    assert found == [f"{path}:3: (top level): the file is not UTF-8 text"]
    assert unset == []
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.errors == found


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "agents.yaml"
    path.write_bytes(b"# " + b"x" * (9 * 1024**2) + b"\nagents: []\n")
    found, _ = check_config_file(path)
    assert found == [f"{path}:1: (top level): config too large: more than 8 MB"]
