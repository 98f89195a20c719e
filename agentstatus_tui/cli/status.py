"""`agentstatus status`: the health of a running `agentstatus serve` — uptime, version,
agents by verdict, the first round and the last run, pending and failing alerts, the
store, where it listens. Exit 0 ready, 1 answering but not ready, 2 the token was
refused, 3 no daemon answers."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from typing import Any

from ..engine.text import duration, stamp
from .daemon_client import (
    DaemonError,
    DaemonRefused,
    add_server_options,
    client_from_args,
    dumps,
)

EXIT_READY, EXIT_NOT_READY, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 1, 2, 3


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "status",
        parents=parents,
        help="the health of a running `agentstatus serve` (exit 0 ready, 1 not ready, "
        "2 token refused, 3 not answering)",
        description="Ask a running `agentstatus serve` how it is: version, uptime, where it "
        "listens, agents by verdict, the first round and the last run, pending and failing "
        "alerts, whether its store is writable. Exit 0 when it is ready, 1 when it answers "
        "but is not ready (first round not done, store not writable, a channel failing), "
        "2 when it refuses the token, 3 when nothing answers.",
    )
    p.add_argument("--server", metavar="URL|SOCKET",
                   help="http(s)://HOST:PORT or a unix socket's path (default: the socket "
                   "`agentstatus serve` uses for this data dir)")
    p.add_argument("--json", action="store_true",
                   help="print the daemon's status document (GET /api/v1/status)")
    add_server_options(p, what="to answer")
    p.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    try:
        with client_from_args(args) as client:
            where = str(client.target)
            _, doc = client.get("/api/v1/status")
    except DaemonRefused as exc:
        return _failed(args, str(exc), EXIT_REFUSED)
    except DaemonError as exc:
        return _failed(args, str(exc), EXIT_UNREACHABLE)
    if not isinstance(doc, dict):
        return _failed(args, f"the daemon at {where} answered a status that is not an "
                             "object", EXIT_UNREACHABLE)
    ready = doc.get("ready") is True
    if args.json:
        print(dumps(doc))
    else:
        print(report(doc, where))
    return EXIT_READY if ready else EXIT_NOT_READY


def _failed(args: argparse.Namespace, reason: str, code: int) -> int:
    if args.json:
        print(dumps({"ready": False, "error": reason}))
    print(f"agentstatus: {reason}", file=sys.stderr)
    return code


def report(doc: dict[str, Any], where: str, now: float | None = None) -> str:
    """The status document for a person, one fact a line."""
    now = time.time() if now is None else now
    ready = doc.get("ready") is True
    lines = [f"agentstatus serve {doc.get('version', '?')} at {where}: "
             f"{'ready' if ready else 'NOT READY'}"]
    started = _ts(doc.get("started_at"))
    lines.append(f"  up        {duration(doc.get('uptime_s'))} (since {stamp(started)}), "
                 f"pid {doc.get('pid', '?')}")
    listening = doc.get("listening") or []
    lines.append(f"  listening {', '.join(map(str, listening)) or 'unknown'}")
    agents = doc.get("agents")
    if isinstance(agents, dict):
        by = agents.get("by_verdict") or {}
        counts = ", ".join(f"{n} {v}" for v, n in by.items() if n) or "none"
        extra = [f"{agents[k]} {k}" for k in ("paused", "running") if agents.get(k)]
        lines.append(f"  agents    {agents.get('total', 0)}: {counts}"
                     + (f" ({', '.join(extra)})" if extra else ""))
    runs = doc.get("runs")
    if isinstance(runs, dict):
        first = _ts(runs.get("first_round_done_at"))
        last = _ts(runs.get("last_finished_at"))
        oldest = _ts(runs.get("oldest_finished_at"))
        lines.append(f"  runs      {runs.get('since_start', 0)} since start; first round "
                     + (f"done {stamp(first)}" if first else "not done yet"))
        lines.append("  last run  " + (f"{_ago(last, now)}" if last else "none yet")
                     + (f"; the stalest agent's {_ago(oldest, now)}" if oldest else ""))
    alerts = doc.get("alerts")
    if isinstance(alerts, dict):
        line = (f"  alerts    {alerts.get('pending', 0)} pending, "
                f"{alerts.get('failed_last_day', 0)} failed in the last day")
        failing = [f.get("channel") for f in alerts.get("failing_channels") or []
                   if isinstance(f, dict)]
        if failing:
            line += f"; failing: {', '.join(map(str, failing))}"
        lines.append(line)
        if alerts.get("last_error"):
            lines.append(f"            last error: {alerts['last_error']}")
    store = doc.get("store")
    if isinstance(store, dict):
        lines.append(f"  store     {'writable' if store.get('writable') else 'NOT WRITABLE'}")
    events = doc.get("events")
    if isinstance(events, dict):
        lines.append(f"  events    {events.get('clients', 0)} clients attached, "
                     f"{events.get('dropped', 0)} dropped for being too slow")
    if not ready:
        lines.extend(_not_ready(doc.get("checks")))
    return "\n".join(lines)


def _not_ready(checks: Any) -> list[str]:
    if not isinstance(checks, dict):
        return []
    out = []
    for name, check in checks.items():
        if not isinstance(check, dict) or check.get("ok"):
            continue
        detail = ""
        if check.get("waiting_for"):
            detail = ": waiting for " + ", ".join(map(str, check["waiting_for"]))
        elif check.get("detail"):
            detail = f": {check['detail']}"
        out.append(f"  not ready: {name}{detail}")
    return out


def _ts(iso: Any) -> float | None:
    if not isinstance(iso, str):
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _ago(ts: float, now: float) -> str:
    return f"{duration(now - ts)} ago ({stamp(ts)})"
