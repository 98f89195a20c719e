"""The `api:` section: bearer tokens for the daemon, read like every other secret."""

from __future__ import annotations

from textwrap import dedent

import pytest

from agentstatus_tui.engine.config.load import load_config_text
from agentstatus_tui.engine.model import ApiToken, ConfigError

AGENTS = "agents:\n  - {id: a, url: 'http://127.0.0.1:9/v1/chat/completions'}\n"
KEY = "k" * 32
ENV = {"AGENTSTATUS_API_KEY": KEY, "GRAFANA_TOKEN": "g" * 20, "SHORT": "abc"}


def load(api: str, env: dict[str, str] = ENV):
    return load_config_text(AGENTS + dedent(api), filename="agents.yaml", env=env)


def errors(api: str, env: dict[str, str] = ENV) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load(api, env)
    return exc.value.errors


def test_tokens_with_scopes_are_read_and_are_secrets():
    config = load("""\
        api:
          tokens:
            - {name: oncall, token: "${AGENTSTATUS_API_KEY}", scope: write}
            - {name: grafana, token: "${GRAFANA_TOKEN}"}
        """)
    assert config.api_tokens == (ApiToken("oncall", KEY, "write"), ApiToken("grafana", "g" * 20))
    assert KEY in config.secrets and "g" * 20 in config.secrets
    assert KEY not in repr(config.api_tokens)


def test_no_api_section_means_no_tokens():
    assert load("").api_tokens == ()


def test_every_token_mistake_is_named_with_its_line():
    found = errors("""\
        api:
          tokens:
            - {name: a, token: "${AGENTSTATUS_API_KEY}", scope: admin}
            - {name: b, token: written-in-the-file-0123456789}
            - {name: c, token: "${SHORT}"}
            - {name: "x y", token: "${GRAFANA_TOKEN}"}
            - {token: "${GRAFANA_TOKEN}"}
            - {name: d, token: "${NOT_SET_ANYWHERE}"}
        """)
    text = "\n".join(found)
    assert "agents.yaml:5: api.tokens[0].scope: unknown scope 'admin' (one of read, write)" in text
    assert 'agents.yaml:6: api.tokens[1].token: write the token as "${VAR}"' in text
    assert "agents.yaml:7: api.tokens[2].token: the token is too short" in text
    assert "agents.yaml:8: api.tokens[3].name: a token name may use only" in text
    assert "agents.yaml:9: api.tokens[4]: missing required key 'name'" in text
    assert "environment variable 'NOT_SET_ANYWHERE' is not set" in text
    assert KEY not in text and "abc" not in text


def test_duplicate_names_and_tokens_are_errors():
    found = "\n".join(errors("""\
        api:
          tokens:
            - {name: a, token: "${AGENTSTATUS_API_KEY}"}
            - {name: a, token: "${GRAFANA_TOKEN}"}
            - {name: b, token: "${AGENTSTATUS_API_KEY}"}
        """))
    assert "duplicate token name 'a'" in found
    assert "the same token is given twice" in found


def test_unknown_api_key_is_an_error():
    assert any("unknown key 'token'" in e for e in errors("api:\n  token: x\n"))
