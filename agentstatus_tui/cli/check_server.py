"""`agentstatus check --server URL|SOCKET`: the verdicts a running daemon holds, printed
and exited on exactly as a local `check` would (Nagios line and codes, the `--json`
contract), without probing any agent. A daemon that cannot be asked is Nagios UNKNOWN
(exit 3) with the reason."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from ..engine.model import EXIT_CODES, Verdict, most_urgent
from ..engine.text import iso_utc_now, latency, percent
from .check import NAGIOS_STATE, nagios_line
from .common import EXIT_STORE_FAILED
from .daemon_client import DaemonError, client_from_args, dumps

EXIT_UNKNOWN = 3


def cmd_check_server(args: argparse.Namespace) -> int:
    try:
        with client_from_args(args) as client:
            _, body = client.get("/api/v1/agents")
            _, ready = client.get("/readyz", ok=(200, 503))
            where = str(client.target)
    except DaemonError as exc:
        return unreachable(args, str(exc))
    agents = body.get("agents") if isinstance(body, dict) else None
    if not isinstance(agents, list) or not all(isinstance(a, dict) for a in agents):
        return unreachable(args, "the daemon's agent list is not the documented shape")
    names = getattr(args, "agents", None) or []
    if names:
        unknown = [n for n in names if not any(n in (a.get("id"), a.get("name"))
                                                for a in agents)]
        if unknown:
            known = ", ".join(str(a.get("id")) for a in agents) or "none"
            return unreachable(args, f"no agent {', '.join(repr(n) for n in unknown)}"
                                     f" (agents: {known})")
        agents = [a for a in agents if a.get("id") in names or a.get("name") in names]
    # A paused agent is not polled: it counts in no verdict (all paused is OK).
    paused = sum(1 for a in agents if a.get("paused") is True)
    verdicts = [_verdict(a) for a in agents if a.get("paused") is not True]
    code = (EXIT_CODES[most_urgent(verdicts)] if verdicts
            else 0 if paused else EXIT_UNKNOWN)
    store_error = _store_error(ready)
    if store_error is not None:  # the daemon saves nothing: not OK (DOWN still wins)
        code = code if code == EXIT_CODES[Verdict.DOWN] else EXIT_STORE_FAILED
    if args.json:
        doc: dict[str, Any] = {"generated_at": body.get("generated_at") or iso_utc_now(),
                               "agents": agents, "server": {"ok": True, "url": where}}
        if store_error is not None:
            doc["store"] = {"ok": False, "error": store_error}
        print(dumps(doc))
    else:
        line = nagios_line(verdicts, paused=paused)
        if store_error is not None:
            summary = line.split(" - ", 1)[1]
            line = f"AGENTSTATUS {NAGIOS_STATE[code]} - STORE FAILING ({store_error}): {summary}"
        print(line)
        for a in agents:
            print(agent_doc_line(a))
    return code


def unreachable(args: argparse.Namespace, reason: str) -> int:
    """Nothing could be asked: Nagios UNKNOWN with the reason, on stdout (or in the JSON
    document) and on stderr."""
    if args.json:
        print(dumps({"generated_at": iso_utc_now(), "agents": [],
                     "server": {"ok": False, "error": reason}}))
    else:
        print(f"AGENTSTATUS UNKNOWN - {reason}")
    print(f"agentstatus: {reason}", file=sys.stderr)
    return EXIT_UNKNOWN


def _verdict(doc: Mapping[str, Any]) -> Verdict:
    verdict = doc.get("verdict")
    try:
        return Verdict(verdict) if isinstance(verdict, str) else Verdict.UNKNOWN
    except ValueError:
        return Verdict.UNKNOWN


def _store_error(ready: Any) -> str | None:
    """The daemon's store cannot be written (its /readyz says so)."""
    checks = ready.get("checks") if isinstance(ready, dict) else None
    store = checks.get("store") if isinstance(checks, dict) else None
    if isinstance(store, dict) and store.get("ok") is False:
        return "the daemon's store is not writable"
    return None


# ---------------------------------------------------------------- one agent's line


def agent_doc_line(doc: Mapping[str, Any]) -> str:
    """`check`'s line for one agent, from its JSON object (the daemon's agent objects are
    `check --json`'s): the same words a local check prints for the same run."""
    name = str(doc.get("name") or doc.get("id"))
    verdict = _verdict(doc).value
    if doc.get("paused"):
        return f"{name}: {verdict} (paused)"
    if doc.get("checked_at") is None:
        return f"{name}: {verdict} (no run finished)"
    bits = [f"{name}: {verdict}"]
    p50 = _ttfb(doc, "p50")
    if p50 is not None:
        bits.append(f"p50 {latency(p50)}")
    bits.append(f"reach {percent(_num(doc.get('reachability')))}")
    bits.append(f"eval {percent(_num(doc.get('eval_pass')), none='n/a')}")
    regions = doc.get("regions")
    if isinstance(regions, dict) and regions:
        cells = " ".join(f"{n}={region_doc_cell(r)}" for n, r in regions.items()
                         if isinstance(r, dict))
        bits.append(f"[{cells}]")
    errors = _errors(doc)
    if errors:
        bits.append("errors " + ",".join(f"{k}×{v}" for k, v in errors.items()))
    retried = doc.get("retried")
    if isinstance(retried, int) and retried:
        bits.append(f"retried {retried}")
    return " ".join(bits)


def region_doc_cell(doc: Mapping[str, Any]) -> str:
    verdict = _verdict(doc)
    if doc.get("discarded"):
        return "UNKNOWN(canary)"
    errors = _errors(doc)
    if verdict is Verdict.DOWN and errors:
        return f"DOWN:{max(errors, key=lambda k: errors[k])}"
    p50 = _ttfb(doc, "p50")
    if p50 is not None:
        return f"{verdict.value}:{latency(p50)}"
    return verdict.value


def _ttfb(doc: Mapping[str, Any], key: str) -> float | None:
    ttfb = doc.get("ttfb_ms")
    value = ttfb.get(key) if isinstance(ttfb, dict) else None
    return value / 1000 if isinstance(value, int | float) else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _errors(doc: Mapping[str, Any]) -> dict[str, int]:
    errors = doc.get("errors")
    if not isinstance(errors, dict):
        return {}
    return {str(k): v for k, v in errors.items() if isinstance(v, int)}
