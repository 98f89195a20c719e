"""The JSON API under /api/v1 (described by /api/v1/openapi.json), /healthz and /readyz."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..engine.config.yaml_lines import parse_duration
from ..engine.documents import incident_document
from ..engine.incidents.document import render
from ..engine.text import iso_utc_now
from . import documents, engine_reads, silences_api
from .auth import caller
from .errors import ApiError
from .feed import Frame, bound_send_buffer
from .ids import whole_number
from .openapi import openapi_document

if TYPE_CHECKING:
    from .daemon import Daemon

log = logging.getLogger("agentstatus.serve")

DAEMON: web.AppKey[Daemon] = web.AppKey("daemon")
MAX_LIMIT = 1000
MAX_TEXT = 10_000  # characters of a note or a resolution


def routes() -> web.RouteTableDef:
    r = web.RouteTableDef()
    r.get("/healthz")(healthz)
    r.get("/readyz")(readyz)
    r.get("/api/v1/openapi.json")(openapi)
    r.get("/api/v1/agents")(list_agents)
    r.get("/api/v1/agents/{agent_id}")(get_agent)
    r.get("/api/v1/agents/{agent_id}/runs")(agent_runs)
    r.get("/api/v1/agents/{agent_id}/transitions")(agent_transitions)
    r.get("/api/v1/agents/{agent_id}/outages")(agent_outages)
    r.post("/api/v1/agents/{agent_id}/run")(run_agent)
    r.post("/api/v1/agents/{agent_id}/pause")(pause_agent)
    r.post("/api/v1/agents/{agent_id}/resume")(resume_agent)
    r.get("/api/v1/runs/{run_id}")(get_run)
    r.get("/api/v1/incidents")(list_incidents)
    r.get("/api/v1/incidents/{incident_id}")(get_incident)
    r.post("/api/v1/incidents/{incident_id}/acknowledge")(acknowledge_incident)
    r.post("/api/v1/incidents/{incident_id}/note")(note_incident)
    r.post("/api/v1/incidents/{incident_id}/resolve")(resolve_incident)
    r.get("/api/v1/alerts")(list_alerts)
    r.get("/api/v1/events")(events)
    r.post("/api/v1/reload")(reload_config)
    silences_api.add_routes(r)
    return r


def _daemon(request: web.Request) -> Daemon:
    return request.app[DAEMON]


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json",
                        headers=headers)


# ---------------------------------------------------------------- parameters


def _int(request: web.Request, name: str, default: int, *, lo: int = 1,
         hi: int = MAX_LIMIT) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number") from None
    if not lo <= value <= hi:
        raise ApiError(400, f"{name} must be between {lo} and {hi}")
    return value


def since_param(request: web.Request, default_ago: float | None) -> float | None:
    """`since`: an ISO 8601 time, epoch seconds, or a duration ago (`24h`, `7d`)."""
    raw = request.query.get("since")
    now = time.time()
    if raw is None or not raw.strip():
        return None if default_ago is None else now - default_ago
    text = raw.strip()
    ago = parse_duration(text)
    if ago is not None:
        return now - ago
    try:
        value = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, "since must be an ISO 8601 time, epoch seconds or a "
                                "duration such as 24h or 7d") from None
        if parsed.tzinfo is None:
            raise ApiError(400, "since needs a time zone (e.g. 2026-01-31T12:00:00Z)") from None
        value = parsed.timestamp()
    if not math.isfinite(value) or not 0 <= value <= now + 86400 * 366:
        raise ApiError(400, "since is out of range")
    return value


def _agent_id(request: web.Request) -> str:
    agent_id = request.match_info["agent_id"]
    if engine_reads.agent(_daemon(request).monitor, agent_id) is None:
        raise ApiError(404, f"no agent '{agent_id[:100]}'")
    return agent_id


def _incident_id(request: web.Request) -> int:
    raw = request.match_info["incident_id"]
    number = whole_number(raw)
    if number is None:
        raise ApiError(404, f"no incident '{raw[:40]}'")
    return number


async def _body(request: web.Request) -> dict[str, Any]:
    """A JSON object body (empty body: {}); anything else is 400."""
    try:
        raw = await request.read()
    except web.RequestPayloadError:  # e.g. a Content-Encoding the body is not in
        raise ApiError(400, "the body cannot be decoded (see its Content-Encoding)") from None
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body must be JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def _text(data: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ApiError(400, f"'{key}' is required")
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"'{key}' must be text")
    if len(value) > MAX_TEXT:
        raise ApiError(400, f"'{key}' is longer than {MAX_TEXT} characters")
    if required and not value.strip():
        raise ApiError(400, f"'{key}' must not be empty")
    return value


# ---------------------------------------------------------------- health


async def healthz(request: web.Request) -> web.Response:
    return ok({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    checks = _daemon(request).readiness()
    ready = all(c["ok"] for c in checks.values())
    return ok({"ready": ready, "checks": checks}, status=200 if ready else 503)


async def openapi(request: web.Request) -> web.Response:
    return ok(openapi_document())


# ---------------------------------------------------------------- agents


async def list_agents(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    mon = daemon.monitor

    def view(agent_id: str) -> engine_reads.AgentView | None:
        return engine_reads.agent(mon, agent_id)

    found = (daemon.agent_docs.get(a, view) for a in engine_reads.known_ids(mon))
    docs = b",".join(doc for doc in found if doc is not None)
    head = json.dumps({"generated_at": iso_utc_now()})[:-1].encode()
    return web.Response(body=head + b', "agents": [' + docs + b"]}",
                        content_type="application/json")


async def get_agent(request: web.Request) -> web.Response:
    agent_id = _agent_id(request)
    daemon = _daemon(request)
    mon = daemon.monitor
    body = daemon.agent_docs.get(agent_id, lambda a: engine_reads.agent(mon, a))
    assert body is not None
    return web.Response(body=body, content_type="application/json")


async def agent_runs(request: web.Request) -> web.Response:
    agent_id = _agent_id(request)
    limit = _int(request, "limit", 50)
    region = request.query.get("region") or None
    mon = _daemon(request).monitor
    view = engine_reads.agent(mon, agent_id)
    if region is not None and view is not None and region not in view.agent.regions:
        raise ApiError(404, f"agent '{agent_id}' has no region '{region[:60]}'")
    found = engine_reads.runs(mon, agent_id, limit, region)
    return ok({"agent_id": agent_id, "runs": [documents.run_record(r) for r in found]})


async def agent_transitions(request: web.Request) -> web.Response:
    agent_id = _agent_id(request)
    since = since_param(request, None)
    limit = _int(request, "limit", 200)
    found = engine_reads.transitions(_daemon(request).monitor, agent_id, since, limit)
    return ok({"agent_id": agent_id, "transitions": [documents.transition(t) for t in found]})


async def agent_outages(request: web.Request) -> web.Response:
    agent_id = _agent_id(request)
    since = since_param(request, 7 * 86400.0)
    assert since is not None
    found = await engine_reads.outages(_daemon(request).monitor, agent_id, since)
    return ok({"agent_id": agent_id, "since": documents.iso(since),
               "outages": [documents.outage(o) for o in found]})


async def run_agent(request: web.Request) -> web.Response:
    """The seed's manual run: 202 and a run id, or with ?wait=true 200 and the run."""
    agent_id = _agent_id(request)
    wait = request.query.get("wait", "false").lower()
    if wait not in ("true", "false", "1", "0", "yes", "no"):
        raise ApiError(400, "wait must be true or false")
    daemon = _daemon(request)
    retry_after = daemon.run_limit.take(agent_id)
    if retry_after is not None:
        seconds = max(1, math.ceil(retry_after))
        raise ApiError(429, f"too many manual runs of '{agent_id}'; retry in {seconds}s",
                       headers={"Retry-After": str(seconds)})
    who = caller(request).name
    log.info("manual run of %s asked by %s", agent_id, who)
    run = daemon.runs.start(agent_id, daemon.monitor)
    if wait in ("true", "1", "yes"):
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.shield(run.task)
        return ok(daemon.runs.document(run, daemon.monitor), status=200)
    return ok(daemon.runs.document(run, daemon.monitor), status=202,
              headers={"Location": f"/api/v1/runs/{run.id}"})


async def get_run(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    run = daemon.runs.get(request.match_info["run_id"])
    if run is None:
        raise ApiError(404, "no such run (run ids are kept for the last 1000 manual runs)")
    return ok(daemon.runs.document(run, daemon.monitor))


async def pause_agent(request: web.Request) -> web.Response:
    return await _pause(request, True)


async def resume_agent(request: web.Request) -> web.Response:
    return await _pause(request, False)


async def _pause(request: web.Request, paused: bool) -> web.Response:
    agent_id = _agent_id(request)
    daemon = _daemon(request)
    await daemon.monitor.set_paused(agent_id, paused)
    log.info("%s %s by %s", "paused" if paused else "resumed", agent_id, caller(request).name)
    view = engine_reads.agent(daemon.monitor, agent_id)
    assert view is not None
    return ok(documents.agent(view))


# ---------------------------------------------------------------- incidents


async def list_incidents(request: web.Request) -> web.Response:
    limit = _int(request, "limit", 50)
    open_only = request.query.get("open", "false").lower() in ("true", "1", "yes")
    mon = _daemon(request).monitor
    now = time.time()
    found = engine_reads.incidents(mon, open_only=open_only, limit=limit)
    return ok({"generated_at": iso_utc_now(),
               "incidents": [incident_document(i, now) for i in found]})


async def _incident_doc(daemon: Daemon, incident_id: int) -> dict[str, Any]:
    mon = daemon.monitor
    record = await engine_reads.incident_record(mon, incident_id)
    if record is None:
        raise ApiError(404, f"no incident {incident_id}")
    now = time.time()
    markdown = render(record, now=now, secrets=engine_reads.config(mon).secrets)
    return documents.incident(record, now, markdown)


async def get_incident(request: web.Request) -> web.Response:
    return ok(await _incident_doc(_daemon(request), _incident_id(request)))


async def _open_incident(request: web.Request) -> tuple[Daemon, int]:
    daemon = _daemon(request)
    incident_id = _incident_id(request)
    if await engine_reads.incident_record(daemon.monitor, incident_id) is None:
        raise ApiError(404, f"no incident {incident_id}")
    return daemon, incident_id


async def acknowledge_incident(request: web.Request) -> web.Response:
    daemon, incident_id = await _open_incident(request)
    note = _text(await _body(request), "note", required=False)
    who = caller(request).name
    engine_reads.checklist(daemon.monitor, who).acknowledge(incident_id, note or None)
    await engine_reads.paging_follows(daemon.monitor, incident_id)
    log.info("incident %d acknowledged by %s", incident_id, who)
    return ok(await _incident_doc(daemon, incident_id))


async def note_incident(request: web.Request) -> web.Response:
    daemon, incident_id = await _open_incident(request)
    data = await _body(request)
    text = _text(data, "text", required=True)
    step = data.get("step")
    if step is not None and (not isinstance(step, int) or isinstance(step, bool)
                             or not 1 <= step <= 8):
        raise ApiError(400, "'step' must be a checklist step number, 1 to 8")
    assert text is not None
    engine_reads.checklist(daemon.monitor, caller(request).name).add_note(incident_id, text,
                                                                          step)
    return ok(await _incident_doc(daemon, incident_id))


async def resolve_incident(request: web.Request) -> web.Response:
    daemon, incident_id = await _open_incident(request)
    record = await engine_reads.incident_record(daemon.monitor, incident_id)
    if record is not None and not record.incident.is_open:
        raise ApiError(409, f"incident {incident_id} is already resolved")
    resolution = _text(await _body(request), "resolution", required=True)
    assert resolution is not None
    who = caller(request).name
    engine_reads.checklist(daemon.monitor, who).resolve(incident_id, resolution)
    await engine_reads.paging_follows(daemon.monitor, incident_id)
    log.info("incident %d resolved by %s", incident_id, who)
    return ok(await _incident_doc(daemon, incident_id))


# ---------------------------------------------------------------- alerts, events, reload


async def list_alerts(request: web.Request) -> web.Response:
    limit = _int(request, "limit", 100)
    mon = _daemon(request).monitor
    secrets = engine_reads.config(mon).secrets
    health = engine_reads.alert_health(mon)
    alerts = [documents.alert(a, await engine_reads.alert_attempts(mon, a.id), secrets)
              for a in await engine_reads.alert_log(mon, limit)]
    return ok({"generated_at": iso_utc_now(), "pending": health.pending,
               "failed_last_day": health.failed,
               "failing": documents.failing_channels(health, secrets),
               "heartbeat": documents.heartbeat(health, secrets), "alerts": alerts})


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events; `Last-Event-ID` resumes; a comment heartbeat keeps proxies
    from closing an idle stream."""
    daemon = _daemon(request)
    resp = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    })
    await resp.prepare(request)
    bound_send_buffer(request.transport)
    client = daemon.feed.attach(request.headers.get("Last-Event-ID"))
    try:
        await _write(resp, b": connected\n\n", daemon)
        for f in client.replay:
            await _write(resp, f.data, daemon)
        last_sent = max((f.id for f in client.replay if f.id is not None), default=None)
        while True:
            item: Frame | None
            if client.queue.empty():  # (a timeout is armed only when it must wait)
                try:
                    async with asyncio.timeout(daemon.heartbeat):
                        item = await client.queue.get()
                except TimeoutError:
                    await _write(resp, b": heartbeat\n\n", daemon)
                    continue
            else:
                item = client.queue.get_nowait()
            if item is None:
                break
            if item.id is not None and last_sent is not None and item.id <= last_sent:
                continue  # already sent in the replay
            await _write(resp, item.data, daemon)
    except TimeoutError:
        log.info("an event client read nothing for %gs: its stream is ended",
                 daemon.write_timeout)
    except ConnectionResetError:
        pass
    finally:
        daemon.feed.detach(client)
        if client.dropped:
            log.info("an event client could not keep up: told to resync and dropped")
    return resp


async def _write(resp: web.StreamResponse, data: bytes, daemon: Daemon) -> None:
    """A write that gives up on a reader that stopped reading (then the stream ends).
    `asyncio.timeout`, not `wait_for`: no task per write for every client."""
    async with asyncio.timeout(daemon.write_timeout):
        await resp.write(data)


async def reload_config(request: web.Request) -> web.Response:
    errors = await _daemon(request).reload(reason=f"asked by {caller(request).name}")
    if errors:
        raise ApiError(422, "the new config has errors; the old one keeps running",
                       code="invalid_config", details=errors)
    return ok({"reloaded": True, "agents": len(engine_reads.agents(_daemon(request).monitor))})


