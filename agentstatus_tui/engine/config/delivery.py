"""The `alerting:` and `heartbeat:` sections of the config: how the outbox delivers over
all agents, and the dead man's switch the monitor pings.

    alerting:
      group_wait: 30s              # DOWN pages within this of the first: one chat message
      channel_failing_after: 5m    # a channel failing this long is announced elsewhere
    heartbeat:
      url: "${HEARTBEAT_URL}"      # Healthchecks.io, Cronitor, a PagerDuty heartbeat, ...
      every: 1m                    # at most one ping this often
      method: GET                  # or POST
"""

from __future__ import annotations

from typing import get_args

from yaml.nodes import Node

from ..model import DeliveryPolicy, HeartbeatConfig, HeartbeatMethod
from .limits import DELIVERY, HEARTBEAT
from .yaml_lines import Reader, did_you_mean

ALERTING_KEYS = ("group_wait", "channel_failing_after")
HEARTBEAT_KEYS = ("url", "every", "method", "timeout")
HEARTBEAT_METHODS: tuple[str, ...] = get_args(HeartbeatMethod)


def heartbeat_secrets(heartbeat: HeartbeatConfig | None) -> frozenset[str]:
    """The switch's URL is its token, written literally or as `${VAR}`: the URL and its
    token-like parts join the config's secrets, so no screen, log or payload shows them."""
    if heartbeat is None:
        return frozenset()
    from ..alerts.channels import url_secrets

    return url_secrets(heartbeat.url)


def read_alerting(r: Reader, node: Node, path: str) -> DeliveryPolicy:
    """The policy with every key that reads cleanly; each problem is reported on `r`."""
    fields = r.mapping(node, path, keys=ALERTING_KEYS)
    if not isinstance(fields, dict):
        return DeliveryPolicy()
    values: dict[str, float] = {}
    for key, entry in fields.items():
        if r.is_null(entry.node):
            continue
        seconds = r.duration(entry.node, entry.path, DELIVERY[key])
        if isinstance(seconds, float):
            values[key] = seconds
    return DeliveryPolicy(**values)


def read_heartbeat(r: Reader, node: Node, path: str) -> HeartbeatConfig | None:
    """The heartbeat, or None when it is left out, null or has an error (reported)."""
    if r.is_null(node):
        return None
    fields = r.mapping(node, path, keys=HEARTBEAT_KEYS, required=("url",), allow_null=False)
    if not isinstance(fields, dict) or "url" not in fields:
        return None
    before = r.error_count
    url = r.url(fields["url"].node, fields["url"].path)
    seconds: dict[str, float] = {}
    for key in ("every", "timeout"):
        entry = fields.get(key)
        if entry is not None and not r.is_null(entry.node):
            value = r.duration(entry.node, entry.path, HEARTBEAT[key])
            if isinstance(value, float):
                seconds[key] = value
    method: HeartbeatMethod = "GET"
    entry = fields.get("method")
    if entry is not None and not r.is_null(entry.node):
        written = r.text(entry.node, entry.path)
        if isinstance(written, str):
            if written.upper() == "POST":
                method = "POST"
            elif written.upper() != "GET":
                r.error(entry.node, entry.path,
                        f"unknown method '{written}'{did_you_mean(written, HEARTBEAT_METHODS)}"
                        f" (one of {', '.join(HEARTBEAT_METHODS)})")
    if r.error_count > before or not isinstance(url, str):
        return None
    return HeartbeatConfig(url=url, method=method, **seconds)
