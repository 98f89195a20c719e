"""`/api/v1/monitor/…`: the engine's front-end interface (`engine/frontend.py`) over HTTP,
for dashboards attached to the daemon. Bodies are the engine's own records in JSON
(`engine/wire.py`, secrets masked), so an attached dashboard rebuilds exactly what a local
Monitor would have handed it. Reads are GET (a read token will do), everything that
changes something is POST (a write token). Incident commands act as the caller: the
token's name on TCP, the unix user on the socket."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..engine import wire
from ..engine.alerts.silences import NoSuchSilence, SilenceError
from ..engine.incidents.document import CHANGE_ITEMS
from ..engine.incidents.rootcause import CAUSES
from ..engine.incidents.store import STEPS
from . import engine_reads
from .api import DAEMON, MAX_TEXT, _body, _int
from .auth import caller
from .errors import ApiError
from .ids import whole_number

if TYPE_CHECKING:
    from ..engine.incidents.checklist import Checklist
    from ..engine.monitor import Monitor
    from .daemon import Daemon

log = logging.getLogger("agentstatus.serve")

PREFIX = "/api/v1/monitor"
CHANGE_KEYS = frozenset(key for key, _label in CHANGE_ITEMS)
CAUSE_KEYS = frozenset(c.key for c in CAUSES)


def routes() -> web.RouteTableDef:
    r = web.RouteTableDef()
    r.get(f"{PREFIX}/state")(state)
    r.get(PREFIX + "/agents/{agent_id}/transitions")(transitions)
    r.get(PREFIX + "/agents/{agent_id}/outages")(outages)
    r.get(PREFIX + "/agents/{agent_id}/uptimes")(uptimes)
    r.get(PREFIX + "/agents/{agent_id}/paging")(paging)
    r.post(PREFIX + "/agents/{agent_id}/run")(run_now)
    r.post(f"{PREFIX}/run-all")(run_all)
    r.post(PREFIX + "/agents/{agent_id}/paused")(set_paused)
    r.post(PREFIX + "/agents/{agent_id}/probe")(send_probe)
    r.get(PREFIX + "/agents/{agent_id}/incident")(current_incident)
    r.post(PREFIX + "/agents/{agent_id}/incident")(open_incident)
    r.get(f"{PREFIX}/alerts")(alert_log)
    r.get(f"{PREFIX}/alerts/health")(alert_health)
    r.get(f"{PREFIX}/alerts/status")(alert_status)
    r.get(PREFIX + "/alerts/{alert_id}/attempts")(alert_attempts)
    r.get(f"{PREFIX}/silences")(silences)
    r.post(f"{PREFIX}/silences")(add_silence)
    r.post(PREFIX + "/silences/{silence_id}/expire")(expire_silence)
    r.get(PREFIX + "/incidents/{incident_id}")(incident)
    r.post(PREFIX + "/incidents/{incident_id}/{action}")(incident_action)
    return r


def _daemon(request: web.Request) -> Daemon:
    return request.app[DAEMON]


def _send(daemon: Daemon, body: Any, status: int = 200) -> web.Response:
    data = wire.to_json(body, engine_reads.config(daemon.monitor).secrets)
    return web.Response(status=status, body=data, content_type="application/json")


def _agent(request: web.Request) -> tuple[Daemon, str]:
    daemon = _daemon(request)
    agent_id = request.match_info["agent_id"]
    if engine_reads.agent(daemon.monitor, agent_id) is None:
        raise ApiError(404, f"no agent '{agent_id[:100]}'")
    return daemon, agent_id


def _float(request: web.Request, name: str, default: float) -> float:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be Unix seconds") from None
    if not math.isfinite(value) or not 0 <= value <= time.time() + 86400 * 366:
        raise ApiError(400, f"{name} is out of range")
    return value


def _whole(raw: str, what: str) -> int:
    number = whole_number(raw)
    if number is None:
        raise ApiError(404, f"no {what} '{raw[:40]}'")
    return number


def _rate_limited(daemon: Daemon, key: str, what: str) -> None:
    retry_after = daemon.run_limit.take(key)
    if retry_after is not None:
        seconds = max(1, math.ceil(retry_after))
        raise ApiError(429, f"too many {what}; retry in {seconds}s",
                       headers={"Retry-After": str(seconds)})


# ---------------------------------------------------------------- reads


async def state(request: web.Request) -> web.Response:
    """Everything an attached dashboard starts from, consistent with the event feed: no
    await between reading the snapshots and the last event id."""
    daemon = _daemon(request)
    mon = daemon.monitor
    failure = mon.store_failure
    body = {
        "config": wire.config_wire(engine_reads.config(mon)),
        "agents": [wire.snapshot_wire(s) for s in engine_reads.agents(mon)],
        "alert_health": _health(mon),
        "store_failure": None if failure is None else {"path": str(failure.path),
                                                       "cause": failure.cause},
        "last_event_id": daemon.feed.last_id,
    }
    return _send(daemon, body)


def _health(mon: Monitor) -> Any:
    try:
        return engine_reads.alert_health(mon)
    except Exception:  # a busy store: the dashboard shows "alerts: ?"
        return None


async def transitions(request: web.Request) -> web.Response:
    daemon, agent_id = _agent(request)
    limit = _int(request, "limit", 200)
    return _send(daemon, await daemon.monitor.transitions(agent_id, limit=limit))


async def outages(request: web.Request) -> web.Response:
    daemon, agent_id = _agent(request)
    now = time.time()
    since = _float(request, "since", now - 7 * 86400)
    until = _float(request, "until", now)
    if until < since:
        raise ApiError(400, "until is before since")
    return _send(daemon, await daemon.monitor.outages(agent_id, since, until))


async def uptimes(request: web.Request) -> web.Response:
    daemon, agent_id = _agent(request)
    return _send(daemon, dict(await daemon.monitor.uptimes(agent_id)))


async def paging(request: web.Request) -> web.Response:
    daemon, agent_id = _agent(request)
    return _send(daemon, await daemon.monitor.paging(agent_id))


async def alert_log(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    return _send(daemon, await daemon.monitor.alert_log(_int(request, "limit", 100)))


async def alert_health(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    return _send(daemon, await daemon.monitor.alert_health())


async def alert_status(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    raw = request.query.get("ids", "")
    ids = [whole_number(p.strip()) for p in raw.split(",") if p.strip()]
    if len(ids) > 1000 or None in ids:
        raise ApiError(400, "ids must be up to 1000 alert ids, separated by commas")
    found = await daemon.monitor.alert_status([i for i in ids if i is not None])
    return _send(daemon, {str(k): v for k, v in found.items()})


async def alert_attempts(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    alert_id = _whole(request.match_info["alert_id"], "alert")
    return _send(daemon, await daemon.monitor.alert_attempts(alert_id))


async def current_incident(request: web.Request) -> web.Response:
    daemon, agent_id = _agent(request)
    return _send(daemon, await daemon.monitor.current_incident(agent_id))


async def incident(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    incident_id = _whole(request.match_info["incident_id"], "incident")
    record = await engine_reads.incident_record(daemon.monitor, incident_id)
    if record is None:
        raise ApiError(404, f"no incident {incident_id}")
    return _send(daemon, record)


# ---------------------------------------------------------------- silences


async def silences(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    every = request.query.get("include_expired", "false").lower() in ("true", "1", "yes")
    return _send(daemon, await daemon.monitor.silences(include_expired=every))


async def add_silence(request: web.Request) -> web.Response:
    """A silence as the dashboard's form asks for it; a refusal (an unknown name, no
    reason, no future end) is 400 with the engine's own words."""
    daemon = _daemon(request)
    data = await _body(request)
    kind, value = _text(data, "matcher_kind"), _text(data, "matcher_value")
    reason = _text(data, "reason")
    ends_at = data.get("ends_at")
    if isinstance(ends_at, bool) or not isinstance(ends_at, int | float) \
            or not math.isfinite(ends_at):
        raise ApiError(400, "'ends_at' must be Unix seconds", code="silence")
    try:
        found = await daemon.monitor.add_silence(kind or "", value or "", float(ends_at),
                                                 reason or "", caller(request).name)
    except SilenceError as exc:
        raise ApiError(400, str(exc), code="silence") from None
    log.info("silence %s added by %s", found.id, caller(request).name)
    return _send(daemon, found)


async def expire_silence(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    silence_id = request.match_info["silence_id"][:100]
    try:
        found = await daemon.monitor.expire_silence(silence_id)
    except NoSuchSilence as exc:
        raise ApiError(404, str(exc), code="no_silence") from None
    except SilenceError as exc:
        raise ApiError(409, str(exc), code="silence") from None
    log.info("silence %s expired by %s", silence_id, caller(request).name)
    return _send(daemon, found)


# ---------------------------------------------------------------- commands


async def run_now(request: web.Request) -> web.Response:
    """A manual run, answered when it is finished (its result, or null)."""
    daemon, agent_id = _agent(request)
    _rate_limited(daemon, agent_id, f"manual runs of '{agent_id}'")
    log.info("manual run of %s asked by %s", agent_id, caller(request).name)
    run = daemon.runs.start(agent_id, daemon.monitor)
    try:
        result = await asyncio.shield(run.task)
    except asyncio.CancelledError:
        raise ApiError(503, "the run was cancelled (the daemon is stopping or reloading)",
                       code="unavailable") from None
    return _send(daemon, result)


async def run_all(request: web.Request) -> web.Response:
    """Every agent now (each joins a run already in flight); answered at once."""
    daemon = _daemon(request)
    _rate_limited(daemon, "*", "runs of every agent")
    log.info("a run of every agent asked by %s", caller(request).name)
    for agent_id in engine_reads.known_ids(daemon.monitor):
        daemon.runs.start(agent_id, daemon.monitor)
    return _send(daemon, None, status=202)


async def set_paused(request: web.Request) -> web.Response:
    daemon, agent_id = _agent(request)
    paused = (await _body(request)).get("paused")
    if not isinstance(paused, bool):
        raise ApiError(400, "'paused' must be true or false")
    await daemon.monitor.set_paused(agent_id, paused)
    log.info("%s %s by %s", "paused" if paused else "resumed", agent_id, caller(request).name)
    return _send(daemon, None)


async def send_probe(request: web.Request) -> web.Response:
    """The agent's validation request sent once from a region (the incident's Reproduce)."""
    daemon, agent_id = _agent(request)
    region = (await _body(request)).get("region")
    view = engine_reads.agent(daemon.monitor, agent_id)
    if not isinstance(region, str) or view is None or region not in view.agent.regions:
        raise ApiError(400, "'region' must be one of the agent's regions")
    _rate_limited(daemon, f"{agent_id}/probe", f"probes of '{agent_id}'")
    return _send(daemon, await daemon.monitor.send_probe(agent_id, region))


async def open_incident(request: web.Request) -> web.Response:
    daemon, agent_id = _agent(request)
    view = engine_reads.agent(daemon.monitor, agent_id)
    assert view is not None
    checklist = engine_reads.checklist(daemon.monitor, caller(request).name)
    found = checklist.open(agent_id, view.verdict)
    return _send(daemon, checklist.record(found.id))


def _text(data: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ApiError(400, f"'{key}' must be text of at most {MAX_TEXT} characters")
    return value


def _number(data: dict[str, Any], key: str, lo: int = 1, hi: int = 10**12) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ApiError(400, f"'{key}' must be a whole number from {lo} to {hi}")
    return value


def _flag(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, f"'{key}' must be true or false")
    return value


Action = Callable[["Checklist", int, dict[str, Any]], Any]


def _change(c: Checklist, i: int, d: dict[str, Any]) -> None:
    item = _text(d, "item")
    if item not in CHANGE_KEYS:
        raise ApiError(400, f"'item' must be one of {', '.join(sorted(CHANGE_KEYS))}")
    c.set_change(i, item, checked=_flag(d, "checked"), note=_text(d, "note", optional=True))


def _root_cause(c: Checklist, i: int, d: dict[str, Any]) -> None:
    key = _text(d, "key", optional=True)
    if key is not None and key not in CAUSE_KEYS:
        raise ApiError(400, f"'key' must be one of {', '.join(sorted(CAUSE_KEYS))}")
    text = _text(d, "text", optional=True)
    if key is None and not (text or "").strip():
        raise ApiError(400, "a root cause needs 'key' (a table row) or 'text'")
    c.set_root_cause(i, key=key, text=text)


def _resolve(c: Checklist, i: int, d: dict[str, Any]) -> Any:
    if c.record(i).incident.resolved_at is not None:
        raise ApiError(409, f"incident {i} is already resolved")
    return c.resolve(i, _text(d, "resolution") or "")


def _followup(c: Checklist, i: int, d: dict[str, Any]) -> int:
    followup_id = _number(d, "followup_id")
    if followup_id not in {f.id for f in c.record(i).followups}:
        raise ApiError(404, f"incident {i} has no follow-up {followup_id}")
    return followup_id


def _nothing(_: object) -> None:
    return None


STEP_COUNT = len(STEPS)

ACTIONS: dict[str, Action] = {
    "go-to-step": lambda c, i, d: _nothing(c.go_to(i, _number(d, "step", 1, STEP_COUNT))),
    "complete-step": lambda c, i, d: c.complete(i, _number(d, "step", 1, STEP_COUNT)),
    "acknowledge": lambda c, i, d: c.acknowledge(i, _text(d, "note", optional=True)),
    "post-investigating": lambda c, i, d: c.post_investigating(i),
    "note": lambda c, i, d: c.add_note(i, _text(d, "text") or ""),
    "change": _change,
    "probe": lambda c, i, d: c.record_probe(i, _text(d, "region") or "", _text(d, "summary") or ""),
    "root-cause": _root_cause,
    "verify-requested": lambda c, i, d: c.verify_requested(i),
    "followup": lambda c, i, d: _nothing(c.add_followup(i, _text(d, "text") or "")),
    "followup-toggle": lambda c, i, d: c.toggle_followup(i, _followup(c, i, d)),
    "followup-delete": lambda c, i, d: c.delete_followup(i, _followup(c, i, d)),
    "resolve": _resolve,
}


async def incident_action(request: web.Request) -> web.Response:
    """One checklist command on an incident; answers what the command returns (alert ids
    queued, the resolution) or null."""
    daemon = _daemon(request)
    incident_id = _whole(request.match_info["incident_id"], "incident")
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        raise ApiError(404, f"no incident command '{request.match_info['action'][:40]}'")
    if await engine_reads.incident_record(daemon.monitor, incident_id) is None:
        raise ApiError(404, f"no incident {incident_id}")
    data = await _body(request)
    checklist = engine_reads.checklist(daemon.monitor, caller(request).name)
    result = action(checklist, incident_id, data)
    if request.match_info["action"] in ("acknowledge", "resolve"):
        await engine_reads.paging_follows(daemon.monitor, incident_id)
    return _send(daemon, result)

