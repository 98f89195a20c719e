"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json."""

from __future__ import annotations

from functools import cache
from typing import Any

from .. import __version__

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> Schema:
    return _json(_ref("Error"), description)


NULLABLE_STR: Schema = {"type": ["string", "null"]}
NULLABLE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_NUM: Schema = {"type": ["number", "null"]}
VERDICT: Schema = {"type": "string", "enum": ["UP", "REACHABLE", "DEGRADED", "DOWN", "UNKNOWN"]}
TTFB: Schema = {"type": "object", "properties": {"p50": {"type": ["integer", "null"]},
                                                  "p95": {"type": ["integer", "null"]}}}
QUIETED: Schema = {
    "description": "a silence or maintenance window over the agent now, or null",
    "anyOf": [{"type": "null"},
              {"type": "object", "required": ["until", "reason"],
               "properties": {"until": {"type": "string", "format": "date-time"},
                              "reason": {"type": "string"}}}]}
STATS: Schema = {
    "type": "object",
    "required": ["verdict"],
    "properties": {"verdict": VERDICT, "reachability": NULLABLE_NUM, "eval_pass": NULLABLE_NUM,
                   "ttfb_ms": TTFB, "errors": {"type": "object",
                                               "additionalProperties": {"type": "integer"}},
                   "discarded": {"type": "boolean"}},
}

SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "details": {"type": "array", "items": {"type": "string"}}}}},
    },
    "Agent": {
        "type": "object",
        "description": "The same agent object as `agentstatus check --json`, plus what a "
                       "running monitor knows (uptime, last run, paused).",
        "required": ["id", "name", "verdict", "regions", "paused", "uptime"],
        "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "verdict": VERDICT,
            "reachability": NULLABLE_NUM, "eval_pass": NULLABLE_NUM, "ttfb_ms": TTFB,
            "errors": {"type": "object", "additionalProperties": {"type": "integer"}},
            "retried": {"type": "integer"}, "checked_at": {"type": "string"},
            "regions": {"type": "object", "additionalProperties": STATS},
            "verdict_since": NULLABLE_TIME,
            "uptime": {"type": "object", "properties": {
                w: NULLABLE_NUM for w in ("24h", "7d", "30d")}},
            "last_run_at": NULLABLE_TIME, "paused": {"type": "boolean"},
            "running": {"type": "boolean"}, "next_run_at": NULLABLE_TIME,
            "silenced": QUIETED, "maintenance": QUIETED,
            "flapping": {"type": "boolean", "description": "pages once, then quiet until "
                                                           "stable"},
            "acknowledged": {"type": "boolean", "description": "the open page was "
                                                               "acknowledged"},
            "acknowledged_by": NULLABLE_STR, "acknowledged_at": NULLABLE_TIME,
            "escalation_step": {"type": "integer", "minimum": 0,
                                "description": "escalation steps paged so far"},
            "held": {**NULLABLE_STR, "description": "why a page that is due waits"},
        },
    },
    "AgentList": {"type": "object", "required": ["agents"],
                  "properties": {"generated_at": {"type": "string"},
                                 "agents": {"type": "array", "items": _ref("Agent")}}},
    "RunRecord": {"type": "object", "properties": {
        "agent_id": {"type": "string"}, "region": NULLABLE_STR, "started_at": NULLABLE_TIME,
        "finished_at": NULLABLE_TIME, "verdict": VERDICT, "ttfb_ms": TTFB,
        "reachability": NULLABLE_NUM, "eval_pass": NULLABLE_NUM,
        "errors": {"type": "object"}, "manual": {"type": "boolean"}}},
    "RunList": {"type": "object", "required": ["agent_id", "runs"], "properties": {
        "agent_id": {"type": "string"}, "runs": {"type": "array", "items": _ref("RunRecord")}}},
    "Transition": {"type": "object", "properties": {
        "id": {"type": "integer"}, "agent_id": {"type": "string"}, "region": NULLABLE_STR,
        "at": NULLABLE_TIME, "previous": VERDICT, "current": VERDICT,
        "reason": {"type": "string"}}},
    "TransitionList": {"type": "object", "required": ["transitions"], "properties": {
        "agent_id": {"type": "string"},
        "transitions": {"type": "array", "items": _ref("Transition")}}},
    "OutageList": {"type": "object", "required": ["outages"], "properties": {
        "agent_id": {"type": "string"}, "since": NULLABLE_TIME,
        "outages": {"type": "array", "items": {"type": "object", "properties": {
            "start": NULLABLE_TIME, "end": NULLABLE_TIME, "duration_s": {"type": "number"},
            "ongoing": {"type": "boolean"}}}}}},
    "ManualRun": {"type": "object", "required": ["id", "agent_id", "status"], "properties": {
        "id": {"type": "string"}, "agent_id": {"type": "string"},
        "status": {"type": "string", "enum": ["running", "finished", "failed"]},
        "asked_at": {"type": "string"}, "error": {"type": "string"},
        "run": {"type": ["object", "null"],
                "description": "`agentstatus run --json`'s agent object, with every request"}}},
    "Incident": {"type": "object", "required": ["id", "agent_id", "status"], "properties": {
        "id": {"type": "integer"}, "agent_id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "resolved"]},
        "worst_verdict": VERDICT, "timeline": {"type": "array"}, "steps": {"type": "array"},
        "notes": {"type": "array"}, "markdown": {"type": "string"}}},
    "IncidentList": {"type": "object", "required": ["incidents"], "properties": {
        "incidents": {"type": "array", "items": _ref("Incident")}}},
    "AlertList": {"type": "object", "required": ["alerts"], "properties": {
        "pending": {"type": "integer"}, "failed_last_day": {"type": "integer"},
        "failing": {"type": "array", "items": {"type": "object", "properties": {
            "channel": {"type": "string"}, "since": {"type": "string"},
            "failed_attempts": {"type": "integer"},
            "last_error": NULLABLE_STR, "announced_at": NULLABLE_TIME}}},
        "heartbeat": {"type": ["object", "null"]},
        "alerts": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "agent_id": {"type": "string"},
            "channel": {"type": "string"}, "event": {"type": "string"},
            "status": {"type": "string"}, "attempts": {"type": "integer"},
            "attempt_log": {"type": "array"}}}}}},
    "Silence": {"type": "object", "required": ["id", "matcher", "starts_at", "ends_at",
                                                "reason", "state"], "properties": {
        "id": {"type": "string"},
        "matcher": {"type": "object", "required": ["kind", "value"], "properties": {
            "kind": {"type": "string", "enum": ["agent", "region", "tag"]},
            "value": {"type": "string"}}},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "reason": {"type": "string"}, "author": NULLABLE_STR,
        "created_at": {"type": "string", "format": "date-time"},
        "expired_at": NULLABLE_TIME,
        "state": {"type": "string", "enum": ["active", "pending", "expired"]}}},
    "SilenceList": {"type": "object", "required": ["silences"], "properties": {
        "generated_at": {"type": "string"},
        "silences": {"type": "array", "items": _ref("Silence")}}},
    "Readiness": {"type": "object", "required": ["ready", "checks"], "properties": {
        "ready": {"type": "boolean"}, "checks": {"type": "object"}}},
    "Status": {
        "type": "object", "required": ["version", "started_at", "uptime_s", "ready", "checks"],
        "description": "The daemon's health (`agentstatus status`); `checks` as /readyz.",
        "properties": {
            "version": {"type": "string"}, "pid": {"type": "integer"},
            "started_at": {"type": "string", "format": "date-time"},
            "uptime_s": {"type": "number"}, "ready": {"type": "boolean"},
            "checks": {"type": "object"},
            "listening": {"type": "array", "items": {"type": "string"}},
            "data_dir": {"type": "string", "description": "where the history is kept"},
            "config": {"type": ["string", "null"], "description": "the config file"},
            "events": {"type": "object", "properties": {
                "clients": {"type": "integer"}, "dropped": {"type": "integer"}}},
            "agents": {"type": "object", "properties": {
                "total": {"type": "integer"}, "paused": {"type": "integer"},
                "running": {"type": "integer"},
                "by_verdict": {"type": "object",
                               "additionalProperties": {"type": "integer"}}}},
            "runs": {"type": "object", "properties": {
                "since_start": {"type": "integer"},
                "first_round_done_at": NULLABLE_TIME, "last_finished_at": NULLABLE_TIME,
                "oldest_finished_at": NULLABLE_TIME}},
            "alerts": {"type": "object", "properties": {
                "pending": {"type": "integer"}, "failed_last_day": {"type": "integer"},
                "failing_channels": {"type": "array"}, "last_error": NULLABLE_STR}},
            "store": {"type": "object", "properties": {"writable": {"type": "boolean"}}},
        },
    },
}

AGENT_ID = {"name": "agent_id", "in": "path", "required": True, "schema": {"type": "string"}}
INCIDENT_ID = {"name": "incident_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1}}
LIMIT = {"name": "limit", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
SINCE = {"name": "since", "in": "query", "required": False,
         "description": "ISO 8601 time with a zone, Unix seconds, or a duration ago (24h, 7d)",
         "schema": {"type": "string"}}
AUTH_ERRORS = {"401": _err("no valid bearer token (TCP only)"),
               "403": _err("the token may only read")}
# Answered by the HTTP server itself, before the route's handler: an `Expect` header other
# than 100-continue (the JSON error shape like every other error).
HTTP_ERRORS: Schema = {"417": _err("an Expect header other than 100-continue")}


def _op(summary: str, ok: Schema, *, params: list[Schema] | None = None,
        errors: dict[str, Schema] | None = None, body: Schema | None = None,
        public: bool = False) -> Schema:
    op: Schema = {"summary": summary, "responses": {**ok, **({} if public else AUTH_ERRORS),
                                                    **HTTP_ERRORS, **(errors or {})}}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": False,
                             "content": {"application/json": {"schema": body}}}
    if public:
        op["security"] = []
    return op


NO_AGENT = {"404": _err("no such agent")}
NO_INCIDENT = {"404": _err("no such incident")}
BAD = {"400": _err("a parameter or the body is not valid")}


RECORD: Schema = {"description": "the engine's own record (field names as in the engine), "
                                  "for attached dashboards"}


def _record(description: str) -> Schema:
    return {"200": _json(RECORD, description)}


ALERT_ID = {"name": "alert_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1}}
EPOCH = {"type": "number", "minimum": 0}
INCIDENT_ACTIONS = ["go-to-step", "complete-step", "acknowledge", "post-investigating", "note",
                    "change", "probe", "root-cause", "verify-requested", "followup",
                    "followup-toggle", "followup-delete", "resolve"]


def monitor_paths() -> dict[str, Any]:
    """`/api/v1/monitor/…`: the engine's front-end interface for attached dashboards."""
    m = "/api/v1/monitor"
    rate = {"429": _err("too many at once; see Retry-After")}
    return {
        f"{m}/state": {"get": _op(
            "config (without secrets), every agent's snapshot, alert and store health, and "
            "the id of the last event (follow /api/v1/events from it)",
            _record("the state"))},
        m + "/agents/{agent_id}/transitions": {"get": _op(
            "overall verdict changes, oldest first (the newest `limit`)",
            _record("transitions"), params=[AGENT_ID, LIMIT], errors={**NO_AGENT, **BAD})},
        m + "/agents/{agent_id}/outages": {"get": _op(
            "DOWN stretches overlapping [since, until] (Unix seconds)", _record("outages"),
            params=[AGENT_ID,
                    {"name": "since", "in": "query", "required": False, "schema": EPOCH},
                    {"name": "until", "in": "query", "required": False, "schema": EPOCH}],
            errors={**NO_AGENT, **BAD})},
        m + "/agents/{agent_id}/uptimes": {"get": _op(
            "uptime over 24h, 7d and 30d", _record("uptimes"), params=[AGENT_ID],
            errors=NO_AGENT)},
        m + "/agents/{agent_id}/run": {"post": _op(
            "a manual run, answered when it is finished", _record("the run (or null)"),
            params=[AGENT_ID], errors={**NO_AGENT, **rate,
                                       "503": _err("the daemon stopped the run")})},
        f"{m}/run-all": {"post": _op(
            "every agent now", {"202": _json(RECORD, "started")}, errors=rate)},
        m + "/agents/{agent_id}/paused": {"post": _op(
            "pause or resume polling", _record("null"), params=[AGENT_ID],
            errors={**NO_AGENT, **BAD},
            body={"type": "object", "required": ["paused"],
                  "properties": {"paused": {"type": "boolean"}}})},
        m + "/agents/{agent_id}/probe": {"post": _op(
            "the agent's validation request sent once from a region (no run stored)",
            _record("the probe's reply"), params=[AGENT_ID],
            errors={**NO_AGENT, **BAD, **rate},
            body={"type": "object", "required": ["region"],
                  "properties": {"region": {"type": "string"}}})},
        m + "/agents/{agent_id}/incident": {
            "get": _op("the agent's open incident, or null", _record("the incident"),
                       params=[AGENT_ID], errors=NO_AGENT),
            "post": _op("the agent's open incident, or a new one opened by hand (a drill "
                        "when the agent is healthy)", _record("the incident"),
                        params=[AGENT_ID], errors=NO_AGENT)},
        m + "/agents/{agent_id}/paging": {"get": _op(
            "the agent's paging status: silenced, maintenance, flapping, acknowledged, "
            "escalation, a held page", _record("the paging status"), params=[AGENT_ID],
            errors=NO_AGENT)},
        f"{m}/alerts": {"get": _op("the outbox's alerts, newest first", _record("alerts"),
                                   params=[LIMIT], errors=BAD)},
        f"{m}/alerts/health": {"get": _op("the outbox's delivery health",
                                          _record("alert health"))},
        f"{m}/alerts/status": {"get": _op(
            "pending / delivered / failed of each alert asked about", _record("statuses"),
            params=[{"name": "ids", "in": "query", "required": False,
                     "description": "alert ids, separated by commas",
                     "schema": {"type": "string"}}], errors=BAD)},
        m + "/alerts/{alert_id}/attempts": {"get": _op(
            "one alert's delivery attempts", _record("attempts"), params=[ALERT_ID],
            errors={"404": _err("not an alert id")})},
        f"{m}/silences": {
            "get": _op("silences in force or to come (with include_expired, every one)",
                       _record("silences"),
                       params=[{"name": "include_expired", "in": "query", "required": False,
                                "schema": {"type": "boolean"}}]),
            "post": _op("silence an agent, region or tag until ends_at, the caller as author",
                        _record("the silence"), errors=BAD,
                        body={"type": "object",
                              "required": ["matcher_kind", "matcher_value", "ends_at",
                                           "reason"],
                              "properties": {"matcher_kind": {"type": "string"},
                                             "matcher_value": {"type": "string"},
                                             "ends_at": EPOCH, "reason": {"type": "string"}}})},
        m + "/silences/{silence_id}/expire": {"post": _op(
            "end a silence now", _record("the silence"),
            params=[{"name": "silence_id", "in": "path", "required": True,
                     "schema": {"type": "string"}}],
            errors={"404": _err("no such silence"), "409": _err("already ended")})},
        m + "/incidents/{incident_id}": {"get": _op(
            "one incident's record (timeline, steps, notes, follow-ups, impact)",
            _record("the incident"), params=[INCIDENT_ID], errors=NO_INCIDENT)},
        m + "/incidents/{incident_id}/{action}": {"post": _op(
            "one command of the incident checklist, acting as the caller",
            _record("what the command returns: alert ids queued, the resolution, or null"),
            params=[INCIDENT_ID, {"name": "action", "in": "path", "required": True,
                                  "schema": {"type": "string", "enum": INCIDENT_ACTIONS}}],
            errors={**NO_INCIDENT, **BAD, "409": _err("already resolved")},
            body={"type": "object", "properties": {
                "step": {"type": "integer", "minimum": 1, "maximum": 8},
                "note": {"type": "string"}, "text": {"type": "string"},
                "item": {"type": "string"}, "checked": {"type": "boolean"},
                "region": {"type": "string"}, "summary": {"type": "string"},
                "key": {"type": "string"}, "followup_id": {"type": "integer"},
                "resolution": {"type": "string"}}})},
    }


@cache
def openapi_document() -> dict[str, Any]:
    agent_ok = {"200": _json(_ref("Agent"), "the agent")}
    incident_ok = {"200": _json(_ref("Incident"), "the incident after the action")}
    paths: dict[str, Any] = {
        "/healthz": {"get": _op("alive", {"200": _json({"type": "object"}, "alive")},
                                public=True)},
        "/readyz": {"get": _op("first round done, store writable, no channel failing", {
            "200": _json(_ref("Readiness"), "ready"),
            "503": _json(_ref("Readiness"), "not ready")}, public=True)},
        "/api/v1/status": {"get": _op(
            "the daemon's health: version, uptime, agents by verdict, last run, alerts, store",
            {"200": _json(_ref("Status"), "the daemon's status")})},
        "/metrics": {"get": _op("Prometheus metrics", {"200": {
            "description": "the Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}}}})},
        "/api/v1/agents": {"get": _op("every agent with its full verdict", {
            "200": _json(_ref("AgentList"), "every agent")})},
        "/api/v1/agents/{agent_id}": {"get": _op("one agent", agent_ok, params=[AGENT_ID],
                                                 errors=NO_AGENT)},
        "/api/v1/agents/{agent_id}/runs": {"get": _op(
            "the agent's last runs, newest first", {"200": _json(_ref("RunList"), "runs")},
            params=[AGENT_ID, LIMIT, {"name": "region", "in": "query", "required": False,
                                      "schema": {"type": "string"}}],
            errors={**NO_AGENT, **BAD})},
        "/api/v1/agents/{agent_id}/transitions": {"get": _op(
            "verdict changes (overall and per region) with reasons",
            {"200": _json(_ref("TransitionList"), "transitions, oldest first")},
            params=[AGENT_ID, SINCE, LIMIT], errors={**NO_AGENT, **BAD})},
        "/api/v1/agents/{agent_id}/outages": {"get": _op(
            "DOWN stretches since `since` (default 7 days ago)",
            {"200": _json(_ref("OutageList"), "outages")},
            params=[AGENT_ID, SINCE], errors={**NO_AGENT, **BAD})},
        "/api/v1/agents/{agent_id}/run": {"post": _op(
            "a manual run now (joins a run already in flight)",
            {"202": _json(_ref("ManualRun"), "started; poll the Location"),
             "200": _json(_ref("ManualRun"), "finished (with ?wait=true)")},
            params=[AGENT_ID, {"name": "wait", "in": "query", "required": False,
                               "schema": {"type": "boolean"}}],
            errors={**NO_AGENT, **BAD,
                    "429": _err("too many manual runs of this agent; see Retry-After")})},
        "/api/v1/agents/{agent_id}/pause": {"post": _op("stop polling the agent", agent_ok,
                                                        params=[AGENT_ID], errors=NO_AGENT)},
        "/api/v1/agents/{agent_id}/resume": {"post": _op("poll the agent again", agent_ok,
                                                         params=[AGENT_ID], errors=NO_AGENT)},
        "/api/v1/runs/{run_id}": {"get": _op(
            "a manual run asked for through the API", {"200": _json(_ref("ManualRun"), "run")},
            params=[{"name": "run_id", "in": "path", "required": True,
                     "schema": {"type": "string"}}],
            errors={"404": _err("no such run")})},
        "/api/v1/incidents": {"get": _op(
            "incidents, newest first", {"200": _json(_ref("IncidentList"), "incidents")},
            params=[LIMIT, {"name": "open", "in": "query", "required": False,
                            "schema": {"type": "boolean"}}], errors=BAD)},
        "/api/v1/incidents/{incident_id}": {"get": _op(
            "one incident with its timeline and document",
            {"200": _json(_ref("Incident"), "the incident")},
            params=[INCIDENT_ID], errors=NO_INCIDENT)},
        "/api/v1/incidents/{incident_id}/acknowledge": {"post": _op(
            "acknowledge (PagerDuty acknowledge is queued)", incident_ok,
            params=[INCIDENT_ID], errors={**NO_INCIDENT, **BAD},
            body={"type": "object", "properties": {"note": {"type": "string"}}})},
        "/api/v1/incidents/{incident_id}/note": {"post": _op(
            "add a note", incident_ok, params=[INCIDENT_ID], errors={**NO_INCIDENT, **BAD},
            body={"type": "object", "required": ["text"], "properties": {
                "text": {"type": "string"},
                "step": {"type": "integer", "minimum": 1, "maximum": 8}}})},
        "/api/v1/incidents/{incident_id}/resolve": {"post": _op(
            "resolve: PagerDuty resolve, Slack summary, status page, incident document",
            incident_ok, params=[INCIDENT_ID],
            errors={**NO_INCIDENT, **BAD, "409": _err("already resolved")},
            body={"type": "object", "required": ["resolution"],
                  "properties": {"resolution": {"type": "string"}}})},
        "/api/v1/alerts": {"get": _op(
            "the alert delivery log with every attempt",
            {"200": _json(_ref("AlertList"), "alerts, newest first")},
            params=[LIMIT], errors=BAD)},
        "/api/v1/events": {"get": _op(
            "Server-Sent Events: run_finished, run_started, transition, alert, incident, "
            "paused, paging, store, reloaded, resync. Each but resync has an id; send Last-Event-ID to resume.",
            {"200": {"description": "an event stream",
                     "content": {"text/event-stream": {"schema": {"type": "string"}}}}})},
        "/api/v1/silences": {
            "get": _op("silences in force or to come, the soonest to end first",
                       {"200": _json(_ref("SilenceList"), "silences")},
                       params=[{"name": "all", "in": "query", "required": False,
                                "description": "also the ended and expired ones",
                                "schema": {"type": "boolean"}}], errors=BAD),
            "post": _op(
                "silence an agent, a region or a tag: its pages are held until the end "
                "(it is still polled and recorded)",
                {"201": _json(_ref("Silence"), "the silence added")}, errors=BAD,
                body={"type": "object", "required": ["matcher", "reason"], "properties": {
                    "matcher": {"type": "object", "required": ["kind", "value"],
                                "properties": {
                                    "kind": {"type": "string",
                                             "enum": ["agent", "region", "tag"]},
                                    "value": {"type": "string"}}},
                    "reason": {"type": "string"},
                    "ends_at": {"type": "string", "format": "date-time"},
                    "duration": {"description": "instead of ends_at: 2h, 30m, or seconds",
                                 "type": ["string", "number"]},
                    "author": {"type": "string",
                               "description": "default: the token's name"}}})},
        "/api/v1/silences/{silence_id}": {"delete": _op(
            "expire a silence now (it stays listed with ?all=true)",
            {"200": _json(_ref("Silence"), "the silence, expired")},
            params=[{"name": "silence_id", "in": "path", "required": True,
                     "schema": {"type": "string"}}],
            errors={"404": _err("no such silence"), "409": _err("it has already ended")})},
        "/api/v1/reload": {"post": _op(
            "reload the config file (as SIGHUP does)",
            {"200": _json({"type": "object"}, "reloaded")},
            errors={"422": _err("the new config has errors; the old one keeps running")})},
    }
    paths.update(monitor_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "agentstatus", "version": __version__,
                 "description": "The API of `agentstatus serve`. On TCP every path but "
                                "/healthz, /readyz and this document needs "
                                "`Authorization: Bearer <token>`; on the unix socket the "
                                "socket's file mode decides who may connect."},
        "servers": [{"url": "/"}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }
