"""`recheck:` — how soon a worse verdict is looked at again — per agent or in defaults,
with its range checked."""

from __future__ import annotations

import pytest

from agentstatus_tui.engine.config.load import load_config_text
from agentstatus_tui.engine.model import ConfigError

URL = "http://127.0.0.1:9/v1/chat/completions"


def test_recheck_defaults_to_10s_and_is_set_in_defaults_or_per_agent():
    config = load_config_text(
        f"defaults: {{recheck: 20s}}\n"
        f"agents:\n"
        f"  - {{id: a, url: {URL}}}\n"
        f"  - {{id: b, url: {URL}, recheck: 5s}}\n",
        "agents.yaml", {})
    assert [a.recheck for a in config.agents] == [20.0, 5.0]
    plain = load_config_text(f"agents:\n  - {{id: a, url: {URL}}}\n", "agents.yaml", {})
    assert plain.agents[0].recheck == 10.0


@pytest.mark.parametrize("written", ["500ms", "2h"])
def test_recheck_out_of_range_is_an_error_naming_the_line_and_key(written: str):
    with pytest.raises(ConfigError) as caught:
        load_config_text(f"agents:\n  - id: a\n    url: {URL}\n    recheck: {written}\n",
                         "agents.yaml", {})
    assert caught.value.errors == [
        f"agents.yaml:4: agents[0].recheck: must be between 1s and 1h (more often than once "
        f"a second floods the agent), got '{written}'"]
