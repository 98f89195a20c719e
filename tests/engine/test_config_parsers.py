"""The config is parsed by libyaml when PyYAML has it (a 500-agent config in a tenth of
the time) and by PyYAML's own parser otherwise or when libyaml refuses a document: both
must give the same node tree, tags and lines included, so every check and every
`file:line` reads the same either way."""

from __future__ import annotations

import pytest
import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from agentstatus_tui.engine.config.load import load_config_text, sample_config_text
from agentstatus_tui.engine.model import ConfigError

pytestmark = pytest.mark.skipif(
    not getattr(yaml, "__with_libyaml__", False), reason="PyYAML built without libyaml"
)

TRICKY = """\
# anchors, merges, block and flow styles, folded and literal text, CRLF-free unicode
defaults: &defaults
  interval: 30s
  timeout: 10
  headers: {Authorization: "Bearer ${TOKEN}", X-Team: 'on-call'}
agents:
  - <<: *defaults
    id: a-1
    name: "Agent \\u00e9 one"
    url: https://example.com/v1/chat/completions
    gold_prompts:
      - prompt: |
          two lines
          of literal text
        expect: [{contains: "4"}, {max_ttfb: 2s}]
      - prompt: >
          folded
          text
    tags: [a, b, c]
  - {id: a-2, url: 'http://x/', enabled: yes, ratio: 95%, nothing: ~, n: 0x1F, f: 1e3}
empty:
"""


def tree(node: Node | None) -> object:
    """A node as comparable data: kind, tag, value and line, all the way down."""
    if node is None:
        return None
    line = node.start_mark.line
    if isinstance(node, MappingNode):
        return ("map", node.tag, line, [(tree(k), tree(v)) for k, v in node.value])
    if isinstance(node, SequenceNode):
        return ("seq", node.tag, line, [tree(n) for n in node.value])
    return ("scalar", node.tag, line, node.value)


@pytest.mark.parametrize("text", [TRICKY, sample_config_text()], ids=["tricky", "sample"])
def test_libyaml_and_pyyaml_read_the_same_nodes(text: str) -> None:
    fast = yaml.compose(text, Loader=yaml.CSafeLoader)
    reference = yaml.compose(text, Loader=yaml.SafeLoader)
    assert tree(fast) == tree(reference)


def test_a_syntax_error_is_reported_by_pyyamls_own_parser() -> None:
    """libyaml words its errors differently; the message and line are PyYAML's."""
    text = "agents:\n  - id: a\n\turl: http://x/\n"
    with pytest.raises(yaml.YAMLError) as reference:
        yaml.compose(text, Loader=yaml.SafeLoader)
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, filename="agents.yaml")
    errors = caught.value.errors
    assert len(errors) == 1 and errors[0].startswith("agents.yaml:3: "), errors
    problem = getattr(reference.value, "problem", None)
    assert problem and problem in errors[0], errors  # libyaml: "found a tab character…"
