"""`agentstatus schema`: the config's JSON Schema accepts the sample and the README's
examples, rejects what the loader rejects, and is generated from the loader's own key
lists and ranges so the two cannot drift apart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from agentstatus_tui.cli import main
from agentstatus_tui.engine.config import limits, schema
from agentstatus_tui.engine.config.api import API_KEYS, SCOPES, TOKEN_KEYS
from agentstatus_tui.engine.config.channels import CHANNEL_KEYS
from agentstatus_tui.engine.config.keymap import BINDING_IDS
from agentstatus_tui.engine.config.load import (
    AGENT_KEYS,
    ALERT_KEYS,
    GOLD_KEYS,
    NOT_DEFAULTABLE,
    PROBE_ROLES,
    REGION_KEYS,
    RUNBOOK_KEYS,
    THRESHOLD_KEYS,
    TOP_KEYS,
    load_config_text,
)
from agentstatus_tui.engine.config.yaml_lines import parse_duration
from agentstatus_tui.engine.model import EXPECT_KINDS, ConfigError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schema.config_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def problems(doc: Any, validator: jsonschema.Draft202012Validator = VALIDATOR) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_sample_config_is_valid():
    for path in (ROOT / "sample_agents.yaml", ROOT / "agentstatus_tui/data/sample_agents.yaml"):
        assert problems(yaml.safe_load(path.read_text())) == [], path


def test_the_readmes_example_configs_are_valid():
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    docs = [yaml.safe_load(b) for b in blocks]
    docs = [d for d in docs if isinstance(d, dict)]
    assert len(docs) >= 3
    # The first is a whole config; the others show one section each.
    assert problems(docs[0]) == []
    fragments = jsonschema.Draft202012Validator({k: v for k, v in SCHEMA.items()
                                                 if k != "required"})
    for doc in docs[1:]:
        assert problems(doc, fragments) == [], doc
    assert "# yaml-language-server: $schema=" in (ROOT / "README.md").read_text()


def _props(node: dict[str, Any]) -> set[str]:
    return set(node["properties"])


def test_the_schemas_keys_are_the_loaders_keys():
    top = SCHEMA["properties"]
    assert _props(SCHEMA) == set(TOP_KEYS)
    assert SCHEMA["required"] == ["agents"]
    agent = top["agents"]["items"]
    assert _props(agent) == set(AGENT_KEYS)
    assert _props(top["defaults"]) == set(AGENT_KEYS) - set(NOT_DEFAULTABLE)
    assert _props(top["thresholds"]) == set(THRESHOLD_KEYS)
    assert _props(top["regions"]["additionalProperties"]["anyOf"][0]) == set(REGION_KEYS)
    gold = agent["properties"]["gold_prompts"]["items"]
    assert _props(gold) == set(GOLD_KEYS)
    assert _props(gold["properties"]["expect"]) == set(EXPECT_KINDS)
    assert _props(agent["properties"]["alerts"]) == set(ALERT_KEYS)
    assert _props(agent["properties"]["runbook"]) == set(RUNBOOK_KEYS)
    message = agent["properties"]["probe"]["anyOf"][1]["items"]["anyOf"][1]
    assert message["properties"]["role"]["enum"] == list(PROBE_ROLES)
    channel = top["channels"]["additionalProperties"]
    assert channel["properties"]["type"]["enum"] == list(CHANNEL_KEYS)
    for variant in channel["allOf"]:
        kind = variant["if"]["properties"]["type"]["const"]
        required, optional = CHANNEL_KEYS[kind]
        assert _props(variant["then"]) == {"type", *required, *optional}
        assert variant["then"]["required"] == ["type", *required]
    assert _props(top["api"]) == set(API_KEYS)
    token = top["api"]["properties"]["tokens"]["items"]
    assert _props(token) == set(TOKEN_KEYS)
    assert token["properties"]["scope"]["enum"] == list(SCOPES)
    assert set(top["keymap"]["propertyNames"]["enum"]) == BINDING_IDS


def test_the_schemas_ranges_are_the_loaders_ranges():
    agent = SCHEMA["properties"]["agents"]["items"]["properties"]
    for key, limit in limits.AGENT.items():
        number = agent[key]["anyOf"][0]
        assert (number["minimum"], number["maximum"]) == (limit.low, limit.high), key
    for key, limit in limits.TOP.items():
        number = SCHEMA["properties"][key]["anyOf"][0]
        assert (number["minimum"], number["maximum"]) == (limit.low, limit.high), key


def test_a_key_the_loader_learns_without_a_schema_entry_stops_generation(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(schema, "AGENT_KEYS", (*AGENT_KEYS, "brand_new_key"))
    with pytest.raises(KeyError, match="brand_new_key"):
        schema.config_schema()


URL = "https://agent.example.com/v1/chat/completions"


@pytest.mark.parametrize("text", [
    f"defaults: {{intervall: 60s}}\nagents: [{{id: a, url: {URL}}}]\n",
    f"agents: [{{id: a, url: {URL}, validations: 0}}]\n",
    f"agents: [{{id: a, url: {URL}, interval: soon}}]\n",
    f"agents: [{{id: Bad_Id, url: {URL}}}]\n",
    f"agents: [{{id: a, url: {URL}, gold_prompts: [{{prompt: hi, expect: {{contain: '4'}}}}]}}]\n",
    f"agents: [{{id: a, url: {URL}, probe: [{{role: robot, content: hi}}]}}]\n",
    f"channels: {{s: {{type: slak, url: {URL}}}}}\nagents: [{{id: a, url: {URL}}}]\n",
    f"channels: {{m: {{type: email, to: a@b.c, from: x@y.z}}}}\nagents: [{{id: a, url: {URL}}}]\n",
    f"channels: {{s: {{type: slack, url: {URL}, channel: ops}}}}\nagents: [{{id: a, url: {URL}}}]\n",
    f"thresholds: {{down_below: 1.5}}\nagents: [{{id: a, url: {URL}}}]\n",
    f"keymap: {{rerun-everything: R}}\nagents: [{{id: a, url: {URL}}}]\n",
    "agents: []\n",
])
def test_what_the_loader_rejects_the_schema_rejects(text: str):
    with pytest.raises(ConfigError):
        load_config_text(text, "agents.yaml", {})
    assert problems(yaml.safe_load(text)), text


@pytest.mark.parametrize("written", ["500ms", "10s", "5m", "1h30m", "2.5", "10 s", "1D", "90"])
def test_every_duration_the_loader_reads_matches_the_schema(written: str):
    assert parse_duration(written) is not None
    assert re.search(schema.DURATION_PATTERN, written)


def test_variables_are_accepted_where_numbers_and_booleans_go():
    doc = {"channels": {"m": {"type": "email", "to": "a@b.c", "from": "x@y.z",
                              "host": "smtp", "port": "${SMTP_PORT}", "starttls": "${TLS}"}},
           "agents": [{"id": "a", "url": "${AGENT_URL}", "validations": "${N}"}]}
    assert problems(doc) == []


def test_schema_command_prints_it_and_writes_it(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(SCHEMA))
    target = tmp_path / "agents.schema.json"
    assert main(["schema", str(target)]) == 0
    assert json.loads(target.read_text()) == json.loads(json.dumps(SCHEMA))
