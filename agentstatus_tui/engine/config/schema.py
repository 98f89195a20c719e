"""The config file as a JSON Schema (`agentstatus schema`), so editors complete keys, show
what each one means and flag mistakes while the file is typed.

It is generated from the loader's own key lists (TOP_KEYS, AGENT_KEYS, …, CHANNEL_KEYS)
and ranges (limits.py): a key the loader learns without a schema entry here is a KeyError
at generation, which a test catches. The loader stays the judge: a schema cannot know
that a channel an agent names is defined, or read `${VAR}` from the environment, so
`${VAR}` is accepted wherever a value may be written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..model import EXPECT_KINDS
from .api import API_KEYS, SCOPES, TOKEN_KEYS
from .channels import CHANNEL_KEYS
from .delivery import ALERTING_KEYS, HEARTBEAT_KEYS, HEARTBEAT_METHODS
from .keymap import BINDING_IDS
from .limits import AGENT, DELIVERY, EMAIL, HEARTBEAT, MAX_TTFB, THRESHOLD, TOP, Range
from .load import (
    AGENT_KEYS,
    ALERT_KEYS,
    GOLD_KEYS,
    NOT_DEFAULTABLE,
    PROBE_ROLES,
    REGION_KEYS,
    RUNBOOK_KEYS,
    TEXT_EXPECTATIONS,
    THRESHOLD_KEYS,
    TOP_KEYS,
)
from .maintenance import DURATION as MAINTENANCE_DURATION
from .maintenance import WINDOW_KEYS
from .paging import ESCALATION_KEYS, FLAPPING_KEYS, PAGING

Schema = dict[str, Any]

SCHEMA_FILENAME = "agents.schema.json"

# `${VAR}`, replaced from the environment when the file is read (also inside text).
ENV_REF: Schema = {"type": "string", "pattern": r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$",
                   "description": "read from the environment variable"}
_NUMBER = r"[0-9]+(\.[0-9]+)?"
_UNIT = r"([mM][sS]|[sSmMhHdDwW])"
DURATION_PATTERN = rf"^\s*({_NUMBER}\s*{_UNIT}\s*)+$|^\s*{_NUMBER}\s*$"
SIZE_PATTERN = rf"^\s*{_NUMBER}\s*([kKmMgG][iI]?[bB]?|[bB])?\s*$"
PERCENT_PATTERN = rf"^\s*{_NUMBER}%\s*$"
SLUG_PATTERN = r"^[a-z0-9-]+$"
CHANNEL_NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"


def _text(description: str) -> Schema:
    return {"type": "string", "description": description}


def _either(description: str, *options: Schema) -> Schema:
    return {"description": description, "anyOf": [*options, ENV_REF]}


def _boolean(description: str) -> Schema:
    return _either(description, {"type": "boolean"})


def _range_words(limit: Range) -> str:
    return f" ({limit.describe()})"


def _integer(description: str, limit: Range) -> Schema:
    return _either(description + _range_words(limit),
                   {"type": "integer", "minimum": limit.low, "maximum": limit.high})


def _duration(description: str, limit: Range) -> Schema:
    """`500ms`, `10s`, `5m`, `1h30m` or plain seconds; a plain number is range-checked
    here, a written one by the loader."""
    return _either(
        description + " — a duration like 500ms, 10s, 5m, 1h or seconds" + _range_words(limit),
        {"type": "number", "minimum": limit.low, "maximum": limit.high},
        {"type": "string", "pattern": DURATION_PATTERN},
    )


def _size(description: str, limit: Range) -> Schema:
    return _either(
        description + " — bytes, or 512KB, 1MB" + _range_words(limit),
        {"type": "integer", "minimum": limit.low, "maximum": limit.high},
        {"type": "string", "pattern": SIZE_PATTERN},
    )


def _ratio(description: str) -> Schema:
    return _either(
        description + " — 0..1 or a percentage like 95%",
        {"type": "number", "minimum": THRESHOLD.low, "maximum": THRESHOLD.high},
        {"type": "string", "pattern": PERCENT_PATTERN},
    )


def _text_list(description: str) -> Schema:
    return {"description": description, "type": "array", "items": {"type": "string"}}


def _text_map(description: str) -> Schema:
    return {"description": description, "type": "object",
            "additionalProperties": {"type": "string"}}


def _url(description: str) -> Schema:
    return {"type": "string", "description": description}


def _object(keys: Iterable[str], fields: Mapping[str, Schema], description: str, *,
            required: Iterable[str] = ()) -> Schema:
    """An object with exactly the loader's `keys` (unknown keys are errors there too);
    a key without an entry in `fields` raises KeyError: the schema must not drift."""
    schema: Schema = {
        "type": "object",
        "description": description,
        "properties": {key: fields[key] for key in keys},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


# ---------------------------------------------------------------- agents

_EXPECT: dict[str, Schema] = {
    **{kind: {"description": {"contains": "the answer contains this text (a list: all of them)",
                              "icontains": "as contains, ignoring case",
                              "not_contains": "the answer does not contain this text"}[kind],
              "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
       for kind in TEXT_EXPECTATIONS},
    "equals": _text("the whole answer (trimmed) equals this text"),
    "regex": _text("the answer matches this regular expression (RE2 syntax)"),
    "json": {"const": True, "description": "the answer is valid JSON (write json: true)"},
    "max_ttfb": _duration("the first byte came within this time", MAX_TTFB),
}

_GOLD: dict[str, Schema] = {
    "prompt": _text("the question sent to the agent"),
    "name": _text("a short name shown in results"),
    "expect": {**_object(EXPECT_KINDS, _EXPECT, "checks the answer must pass (all of them)"),
               "minProperties": 1},
}

_PROBE_MESSAGE: Schema = {
    "anyOf": [
        {"type": "string", "description": "a user message"},
        _object(("role", "content"), {
            "role": {"enum": list(PROBE_ROLES), "description": "the message's role"},
            "content": _text("the message text"),
        }, "one chat message", required=("role", "content")),
    ]
}

_ALERTS: dict[str, Schema] = {
    "channels": _text_list("names under channels: that this agent's alerts go to"),
    "on_down": _boolean("page when the agent goes DOWN (default true)"),
    "on_recovery": _boolean("and when it recovers (default true)"),
    "on_degraded": _boolean("also page on DEGRADED (default false: alert fatigue)"),
    "confirm": _integer("page after this many DOWN runs in a row (default 1)",
                        PAGING["confirm"]),
    "recover_after": _integer("resolve after this many good runs in a row (default 1)",
                              PAGING["recover_after"]),
    "remind_every": _duration("remind chat and email while DOWN and not acknowledged",
                              PAGING["remind_every"]),
    "escalation": {"type": "array", "description": "who else is paged when nobody "
                   "acknowledges: steps in order of `after`",
                   "items": _object(ESCALATION_KEYS, {
                       "after": _duration("how long after the page", PAGING["after"]),
                       "channels": _text_list("names under channels: paged at this step"),
                   }, "one escalation step", required=ESCALATION_KEYS)},
    "flapping": {"description": "this many verdict changes within the window make the "
                 "agent FLAPPING: one page, then quiet until stable (false: off)",
                 "anyOf": [{"type": "boolean"}, _object(FLAPPING_KEYS, {
                     "changes": _integer("verdict changes (default 5)", PAGING["changes"]),
                     "window": _duration("within this time (default 30m)", PAGING["window"]),
                     "stable_for": _duration("quiet until no change came for this long "
                                             "(default 30m)", PAGING["stable_for"]),
                 }, "flapping detection")]},
}

_RUNBOOK: dict[str, Schema] = {
    "contacts": _text_list("who to call, in order"),
    "links": _text_map("name -> URL (logs, deploys, dashboards)"),
    "rollback": _text("the command that rolls the agent back"),
    "common_issues": _text_map("symptom -> what to do"),
}

_AGENT: dict[str, Schema] = {
    "id": {"type": "string", "pattern": SLUG_PATTERN,
           "description": "a unique id: a-z, 0-9 and '-'"},
    "name": _text("the display name (default: the id)"),
    "url": _url("the chat-completions endpoint, e.g. https://host/v1/chat/completions"),
    "headers": _text_map("HTTP headers sent with every request (write secrets as ${VAR})"),
    "model": _text("the model sent in the request body"),
    "stream": _boolean("ask for a streamed (SSE) answer"),
    "regions": _text_list("the regions it is checked from (default: all)"),
    "interval": _duration("how often it is polled", AGENT["interval"]),
    "recheck": _duration("after a worse verdict, the next run comes this soon",
                         AGENT["recheck"]),
    "timeout": _duration("per request", AGENT["timeout"]),
    "validations": _integer("validation requests per run, spread over its regions",
                            AGENT["validations"]),
    "retries": _integer("retries of a 5xx answer or a connection reset", AGENT["retries"]),
    "ttfb_sla": _duration("median time to first byte above this is DEGRADED",
                          AGENT["ttfb_sla"]),
    "max_tokens": _integer("max_tokens of the validation request", AGENT["max_tokens"]),
    "probe": {"description": "the validation request's messages (text: one user message)",
              "anyOf": [{"type": "string"},
                        {"type": "array", "items": _PROBE_MESSAGE, "minItems": 1}]},
    "gold_prompts": {"type": "array", "description": "questions with known answers",
                     "items": _object(GOLD_KEYS, _GOLD, "one gold prompt",
                                      required=("prompt", "expect"))},
    "alerts": _object(ALERT_KEYS, _ALERTS, "who is paged, and on which changes"),
    "runbook": _object(RUNBOOK_KEYS, _RUNBOOK, "shown in the incident checklist"),
    "depends_on": _text_list("ids of agents this one needs: while one of them is DOWN, "
                             "this agent's page is held (it names the parent)"),
    "tags": {"type": "array", "description": "labels silences and maintenance windows can "
             "name (a-z, 0-9 and '-')", "items": {"type": "string", "pattern": SLUG_PATTERN}},
}


# ---------------------------------------------------------------- channels

_CHANNEL_FIELDS: dict[str, Schema] = {
    "to": {"description": "recipient address(es)",
           "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"},
                                          "minItems": 1}]},
    "from": _text("sender address"),
    "host": _text("SMTP server"),
    "port": _integer("SMTP port (default 587, or 465 with ssl)", EMAIL["port"]),
    "starttls": _boolean("STARTTLS after connecting (port 587)"),
    "ssl": _boolean("TLS from the start (port 465)"),
    "username": _text("SMTP login"),
    "password": _text("SMTP password: write ${VAR}"),
    "timeout": _duration("per delivery", EMAIL["timeout"]),
    "routing_key": _text("PagerDuty Events API v2 routing key: write ${VAR}"),
    "url": _url("where to send (for pagerduty and statuspage: overrides the public API)"),
    "secret": _text("signs each body with HMAC-SHA256: write ${VAR}"),
    "headers": _text_map("extra HTTP headers"),
    "api_key": _text("Statuspage API key: write ${VAR}"),
    "page_id": _text("the Statuspage page id"),
    "components": _text_map("agent id -> Statuspage component id"),
}


def _channel() -> Schema:
    types = list(CHANNEL_KEYS)
    variants = []
    for kind, (required, optional) in CHANNEL_KEYS.items():
        fields = {"type": {"const": kind}, **_CHANNEL_FIELDS}
        shape = _object(("type", *required, *optional), fields, f"a {kind} channel",
                        required=("type", *required))
        variants.append({"if": {"properties": {"type": {"const": kind}}}, "then": shape})
    return {
        "type": "object",
        "description": "where alerts go",
        "required": ["type"],
        "properties": {"type": {"enum": types, "description": "the kind of channel"}},
        "allOf": variants,
    }


# ---------------------------------------------------------------- top level

_REGION: dict[str, Schema] = {
    "proxy": _url("requests from this region go through this proxy "
                  "(http, https, socks5, socks5h)"),
    "canary": _url("a URL that must answer through the proxy, or the region's results "
                   "are discarded"),
}

_THRESHOLDS: dict[str, Schema] = {
    "down_below": _ratio("reachability below this is DOWN (default 0.20)"),
    "degraded_below": _ratio("reachability below this is DEGRADED (default 0.95)"),
    "eval_pass_min": _ratio("gold prompts passing below this is DEGRADED (default 0.80)"),
}

_WINDOW: dict[str, Schema] = {
    "start": _text("a one-off window's start: 2026-12-01 02:00 (in timezone) or with an "
                   "offset"),
    "end": _text("a one-off window's end"),
    "cron": _text("a recurring window's starts: a cron expression in timezone's local "
                  "time, e.g. 0 2 * * SUN"),
    "duration": _duration("how long each recurring occurrence lasts", MAINTENANCE_DURATION),
    "timezone": _text("an IANA time zone for cron and start/end (default UTC)"),
    "agents": _text_list("agent ids it applies to"),
    "regions": _text_list("regions it applies to (an agent is quiet when all its DOWN "
                          "regions are)"),
    "tags": _text_list("agent tags it applies to"),
    "reason": _text("why: shown with MAINTENANCE"),
}

_API_TOKEN: dict[str, Schema] = {
    "name": _text("who uses the token (shown in logs)"),
    "token": ENV_REF,
    "scope": {"enum": list(SCOPES), "description": "read (default) or write"},
}


_ALERTING: dict[str, Schema] = {
    "group_wait": _duration("DOWN pages (and recoveries) of agents within this of the first "
                            "go out as one Slack message and one email (0: each at once; "
                            "default 30s)", DELIVERY["group_wait"]),
    "channel_failing_after": _duration("a channel failing this long is announced on the "
                                       "other channels (default 5m)",
                                       DELIVERY["channel_failing_after"]),
}

_HEARTBEAT: dict[str, Schema] = {
    "url": _url("the dead man's switch to ping (Healthchecks.io, Cronitor, ...): "
                "write ${VAR}, the URL is its token"),
    "every": _duration("at most one ping this often (default 1m)", HEARTBEAT["every"]),
    "method": {"enum": [*HEARTBEAT_METHODS, *(m.lower() for m in HEARTBEAT_METHODS)],
               "description": "GET (default) or POST"},
    "timeout": _duration("a ping ends within this (default 10s)", HEARTBEAT["timeout"]),
}


def _top() -> dict[str, Schema]:
    defaults = [k for k in AGENT_KEYS if k not in NOT_DEFAULTABLE]
    return {
        "defaults": _object(defaults, _AGENT, "any agent key except id and name, for every "
                            "agent (headers, alerts and runbook merge key by key)"),
        "thresholds": _object(THRESHOLD_KEYS, _THRESHOLDS, "verdict thresholds"),
        "regions": {
            "type": "object", "description": "where agents are checked from",
            "propertyNames": {"pattern": SLUG_PATTERN},
            "additionalProperties": {"anyOf": [
                _object(REGION_KEYS, _REGION, "one region"), {"type": "null"}]},
        },
        "channels": {
            "type": "object", "description": "alert channels by name",
            "propertyNames": {"pattern": CHANNEL_NAME_PATTERN},
            "additionalProperties": _channel(),
        },
        "agents": {"type": "array", "description": "the agents to monitor", "minItems": 1,
                   "items": _object(AGENT_KEYS, _AGENT, "one agent", required=("id",))},
        "max_in_flight": _integer("a fixed limit on requests in flight at once, over all agents"
                                  " (default: scaled to the agents' load)",
                                  TOP["max_in_flight"]),
        "max_body_bytes": _size("the most of an answer that is read", TOP["max_body_bytes"]),
        "run_deadline": _duration("a run's requests all end within this",
                                  TOP["run_deadline"]),
        "retention": _duration("raw runs are kept this long", TOP["retention"]),
        "theme": _text("dashboard theme: dark, light, high-contrast, monochrome"),
        "bell": _boolean("ring the terminal bell when an agent goes DOWN (default true)"),
        "keymap": {
            "type": "object", "description": "binding id -> key(s) on the dashboard",
            "propertyNames": {"enum": sorted(BINDING_IDS)},
            "additionalProperties": {"type": "string"},
        },
        "data_dir": _text("where history, the alert outbox and incidents live"),
        "api": _object(API_KEYS, {"tokens": {
            "type": "array", "description": "bearer tokens of `agentstatus serve`",
            "items": _object(TOKEN_KEYS, _API_TOKEN, "one API token",
                             required=("name", "token"))}}, "the daemon's HTTP API"),
        "alerting": _object(ALERTING_KEYS, _ALERTING, "how alerts are delivered, over all "
                            "agents"),
        "heartbeat": _object(HEARTBEAT_KEYS, _HEARTBEAT, "a dead man's switch pinged after "
                             "each completed round", required=("url",)),
        "maintenance": {
            "type": "object", "description": "planned maintenance windows by name: pages "
            "are held, agents show MAINTENANCE",
            "propertyNames": {"pattern": SLUG_PATTERN},
            "additionalProperties": _object(WINDOW_KEYS, _WINDOW, "one maintenance window"),
        },
    }


def config_schema() -> Schema:
    """The JSON Schema (draft 2020-12) of the agents config file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "agentstatus agents config",
        **_object(TOP_KEYS, _top(), "Agents to monitor, where they are checked from, and "
                  "who is paged.", required=("agents",)),
    }
