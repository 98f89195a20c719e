"""The `api:` section of the config: who may use the daemon's HTTP API (`agentstatus serve`).

    api:
      tokens:
        - {name: oncall-bot, token: "${AGENTSTATUS_API_KEY}", scope: write}
        - {name: grafana, token: "${GRAFANA_TOKEN}"}          # scope: read (default)

A token is written as `${VAR}` (a token typed into the file would be shared with everyone
who can read the config) and is a secret like every `${VAR}` value: redacted from logs,
screens and reports.
"""

from __future__ import annotations

import re

from yaml.nodes import Node, ScalarNode

from ..model import ApiScope, ApiToken
from .yaml_lines import INVALID, Reader

API_KEYS = ("tokens",)
TOKEN_KEYS = ("name", "token", "scope")
SCOPES: tuple[ApiScope, ...] = ("read", "write")
TOKEN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")
MIN_TOKEN_LENGTH = 16


def read_api(r: Reader, node: Node, path: str) -> tuple[ApiToken, ...]:
    """The tokens that read cleanly; every problem is reported on `r`."""
    fields = r.mapping(node, path, keys=API_KEYS)
    if not isinstance(fields, dict) or "tokens" not in fields:
        return ()
    items = r.sequence(fields["tokens"].node, fields["tokens"].path)
    if not isinstance(items, list):
        return ()
    tokens: list[ApiToken] = []
    names: set[str] = set()
    for item_node, item_path in items:
        token = _read_token(r, item_node, item_path)
        if token is None:
            continue
        if token.name in names:
            r.error(item_node, item_path, f"duplicate token name '{token.name}'")
            continue
        if any(t.token == token.token for t in tokens):
            r.error(item_node, item_path, "the same token is given twice")
            continue
        names.add(token.name)
        tokens.append(token)
    return tuple(tokens)


def _read_token(r: Reader, node: Node, path: str) -> ApiToken | None:
    fields = r.mapping(node, path, keys=TOKEN_KEYS, required=("name", "token"),
                       allow_null=False)
    if not isinstance(fields, dict) or "name" not in fields or "token" not in fields:
        return None
    name = r.text(fields["name"].node, fields["name"].path)
    if isinstance(name, str) and not TOKEN_NAME.match(name):
        r.error(fields["name"].node, fields["name"].path,
                "a token name may use only letters, digits, '-', '_' and '.' (64 at most)")
        name = INVALID
    scope: str | object = "read"
    if "scope" in fields:
        scope = r.text(fields["scope"].node, fields["scope"].path)
        if isinstance(scope, str) and scope not in SCOPES:
            r.error(fields["scope"].node, fields["scope"].path,
                    f"unknown scope '{scope}' (one of {', '.join(SCOPES)})")
            scope = INVALID
    entry = fields["token"]
    written = entry.node.value if isinstance(entry.node, ScalarNode) else ""
    if isinstance(written, str) and "${" not in written:
        r.error(entry.node, entry.path,
                'write the token as "${VAR}" and set VAR in the environment: a token in '
                "the file is shared with everyone who can read it")
        return None
    value = r.text(entry.node, entry.path)
    if isinstance(value, str):
        r.secrets.add(value)  # whatever else the value holds is never shown either
        if len(value) < MIN_TOKEN_LENGTH:
            r.error(entry.node, entry.path,
                    f"the token is too short (at least {MIN_TOKEN_LENGTH} characters; "
                    "e.g. `openssl rand -hex 32`)")
            return None
    if not isinstance(name, str) or not isinstance(value, str) or scope not in SCOPES:
        return None
    return ApiToken(name=name, token=value, scope="write" if scope == "write" else "read")
