"""The `channels:` section of the config: where alerts go (email, PagerDuty, Slack, webhook, Statuspage)."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from yaml.nodes import Node, ScalarNode

from ..model import (
    Channel,
    EmailChannel,
    PagerDutyChannel,
    SlackChannel,
    StatuspageChannel,
    WebhookChannel,
)
from .limits import EMAIL
from .yaml_lines import INVALID, Entry, Reader, did_you_mean

CHANNEL_NAME = re.compile(r"[A-Za-z0-9_.-]+\Z")
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")

# type -> (required keys, optional keys); `type` itself is always allowed.
CHANNEL_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "email": (
        ("to", "from", "host"),
        ("port", "starttls", "ssl", "username", "password", "timeout"),
    ),
    "pagerduty": (("routing_key",), ("url",)),
    "slack": (("url",), ()),
    "webhook": (("url",), ("secret", "headers")),
    "statuspage": (("api_key", "page_id"), ("components", "url")),
}


ComponentRef = tuple[Entry, str]  # a statuspage `components:` entry and its mapping's path


def read_channels(
    r: Reader, node: Node, path: str
) -> tuple[dict[str, Channel], list[str], list[ComponentRef]]:
    """Every channel that reads cleanly; every channel name as written (agents may name a
    channel that has its own error without a second error); and the `components:`
    entries of statuspage channels, whose agent ids are checked once agents are known."""
    channels: dict[str, Channel] = {}
    components: list[ComponentRef] = []
    entries = r.mapping(node, path)
    if not isinstance(entries, dict):
        return channels, [], components
    for name, entry in entries.items():
        if not CHANNEL_NAME.match(name):
            r.error(
                entry.key_node,
                path,
                f"channel name '{name}' may use only letters, digits, '-', '_' and '.'",
            )
        channel = _read_channel(r, name, entry, components)
        if channel is not None:
            channels[name] = channel
    return channels, list(entries), components


def _read_channel(
    r: Reader, name: str, entry: Entry, components: list[ComponentRef]
) -> Channel | None:
    node, path = entry.node, entry.path
    fields = r.mapping(node, path, allow_null=False)
    if fields is INVALID:
        return None
    assert isinstance(fields, dict)
    if "type" not in fields:
        r.error(node, path, f"missing required key 'type' (one of {', '.join(CHANNEL_KEYS)})")
        return None
    kind = r.text(fields["type"].node, fields["type"].path)
    if kind is INVALID:
        return None
    assert isinstance(kind, str)
    if kind not in CHANNEL_KEYS:
        r.error(
            fields["type"].node,
            fields["type"].path,
            f"unknown channel type '{kind}'{did_you_mean(kind, CHANNEL_KEYS)}"
            f" (one of {', '.join(CHANNEL_KEYS)})",
        )
        return None
    required, optional = CHANNEL_KEYS[kind]
    fields = r.check_keys(
        node, path, fields, keys=("type", *required, *optional), required=required
    )
    before = r.error_count
    values: dict[str, Any] = {}
    for key, field in fields.items():
        if key == "type" or r.is_null(field.node):
            continue
        if key == "components":
            value = _components(r, field, components)
        else:
            read = _FIELD_READERS.get((kind, key)) or _FIELD_READERS[("*", key)]
            value = read(r, field.node, field.path)
        if value is not INVALID:
            values[key] = value
    if r.error_count > before or any(k not in values for k in required):
        return None
    return _BUILDERS[kind](r, name, fields, values)


def _components(r: Reader, field: Entry, pending: list[ComponentRef]) -> dict[str, str] | object:
    entries = r.mapping(field.node, field.path)
    if not isinstance(entries, dict):
        return INVALID
    pending.extend((e, field.path) for e in entries.values())
    out = {key: r.text(e.node, e.path) for key, e in entries.items()}
    return INVALID if INVALID in out.values() else out


def _email_address(r: Reader, node: Node, path: str) -> str | object:
    value = r.text(node, path)
    if isinstance(value, str) and ("@" not in value or any(c.isspace() for c in value.strip())):
        return r.error(node, path, f"not an email address: {r.shown(node)}")
    return value.strip() if isinstance(value, str) else value


def _email_list(r: Reader, node: Node, path: str) -> tuple[str, ...] | object:
    items = r.sequence(node, path, allow_single=True)
    if not isinstance(items, list):
        return INVALID
    if not items:
        return r.error(node, path, "needs at least one address")
    out = [_email_address(r, n, p) for n, p in items]
    return INVALID if INVALID in out else tuple(str(a) for a in out)


def read_headers(r: Reader, node: Node, path: str) -> dict[str, tuple[str, str, str]] | object:
    """Headers as `lower-case name -> (name, template, value)`: the template is the text
    as written (`${VAR}` kept, safe to show); names compare case-insensitively, so an
    agent's `authorization` overrides a default `Authorization`."""
    entries = r.mapping(node, path)
    if not isinstance(entries, dict):
        return INVALID
    out: dict[str, tuple[str, str, str]] = {}
    ok = True
    for name, entry in entries.items():
        if not HEADER_NAME.match(name):
            r.error(entry.key_node, path, f"not a valid HTTP header name: {name!r}")
            ok = False
            continue
        if name.lower() in out:
            r.error(entry.key_node, path, f"header '{name}' is set twice (names ignore case)")
            ok = False
            continue
        value = r.text(entry.node, entry.path, allow_empty=True)
        if not isinstance(value, str):
            ok = False
            continue
        if "\n" in value or "\r" in value:
            # Never echo the value: it may hold a token from the environment.
            r.error(entry.node, entry.path, "a header value must be a single line")
            ok = False
            continue
        template = entry.node.value if isinstance(entry.node, ScalarNode) else value
        out[name.lower()] = (name, template, value)
    return out if ok else INVALID


def _port(r: Reader, node: Node, path: str) -> object:
    return r.integer(node, path, EMAIL["port"])


def _secret_text(r: Reader, node: Node, path: str) -> object:
    return r.text(node, path)


_FIELD_READERS: dict[tuple[str, str], Callable[[Reader, Node, str], object]] = {
    ("email", "to"): _email_list,
    ("email", "from"): _email_address,
    ("email", "host"): lambda r, n, p: r.text(n, p),
    ("email", "port"): _port,
    ("email", "starttls"): lambda r, n, p: r.boolean(n, p),
    ("email", "ssl"): lambda r, n, p: r.boolean(n, p),
    ("email", "username"): lambda r, n, p: r.text(n, p),
    ("email", "password"): _secret_text,
    ("email", "timeout"): lambda r, n, p: r.duration(n, p, EMAIL["timeout"]),
    ("*", "url"): lambda r, n, p: r.url(n, p),
    ("*", "routing_key"): _secret_text,
    ("*", "secret"): _secret_text,
    ("*", "api_key"): _secret_text,
    ("*", "page_id"): lambda r, n, p: r.text(n, p),
    ("*", "headers"): read_headers,
}


def _email(r: Reader, name: str, fields: dict[str, Entry], v: dict[str, Any]) -> Channel | None:
    ssl, starttls = v.get("ssl", False), v.get("starttls", False)
    if ssl and starttls:
        r.error(
            fields["ssl"].node,
            fields["ssl"].path,
            "choose ssl (port 465) or starttls (port 587), not both",
        )
        return None
    if "password" in v and "username" not in v:
        r.error(fields["password"].node, fields["password"].path, "a password needs a username")
        return None
    return EmailChannel(
        name=name,
        to=v["to"],
        from_addr=v["from"],
        host=v["host"],
        port=v.get("port", 465 if ssl else 587),
        starttls=starttls,
        ssl=ssl,
        username=v.get("username"),
        password=v.get("password"),
        timeout=v.get("timeout", 10.0),
    )


def _pagerduty(r: Reader, name: str, fields: dict[str, Entry], v: dict[str, Any]) -> Channel:
    extra = {"url": v["url"]} if "url" in v else {}
    return PagerDutyChannel(name=name, routing_key=v["routing_key"], **extra)


def _slack(r: Reader, name: str, fields: dict[str, Entry], v: dict[str, Any]) -> Channel:
    return SlackChannel(name=name, url=v["url"])


def _webhook(r: Reader, name: str, fields: dict[str, Entry], v: dict[str, Any]) -> Channel:
    headers = {n: value for n, _, value in v.get("headers", {}).values()}
    return WebhookChannel(
        name=name, url=v["url"], secret=v.get("secret"), headers=MappingProxyType(headers)
    )


def _statuspage(r: Reader, name: str, fields: dict[str, Entry], v: dict[str, Any]) -> Channel:
    extra = {"url": v["url"].rstrip("/")} if "url" in v else {}
    return StatuspageChannel(
        name=name,
        api_key=v["api_key"],
        page_id=v["page_id"],
        components=MappingProxyType(dict(v.get("components", {}))),
        **extra,
    )


_BUILDERS: dict[str, Callable[[Reader, str, dict[str, Entry], dict[str, Any]], Channel | None]] = {
    "email": _email,
    "pagerduty": _pagerduty,
    "slack": _slack,
    "webhook": _webhook,
    "statuspage": _statuspage,
}
