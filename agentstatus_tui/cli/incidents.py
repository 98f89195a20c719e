"""`agentstatus incidents [--json]` lists incidents; `agentstatus incident ID` prints one
incident document (read from the store, so it works with no dashboard running)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..engine.documents import incident_document
from ..engine.history import db
from ..engine.incidents.document import render
from ..engine.incidents.store import STEPS, IncidentStore
from ..engine.text import clock, day, duration, iso_utc_now


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("incidents", parents=parents, help="list incidents (newest first)",
                       description="List incidents from the store, newest first.")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--open", action="store_true", help="only incidents still open")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    p.set_defaults(func=cmd_incidents)
    p = sub.add_parser("incident", parents=parents, help="print one incident document",
                       description="Print an incident's Markdown document.")
    p.add_argument("id", type=int, metavar="ID", help="the incident number")
    p.set_defaults(func=cmd_incident)


def _open_store(args: argparse.Namespace) -> tuple[IncidentStore, frozenset[str]] | None:
    """The incident store in the data dir the dashboard uses; the config (if given) only
    for its data dir and its secrets, which are redacted from what is printed."""
    secrets: frozenset[str] = frozenset()
    directory: str | None = args.data_dir
    if getattr(args, "config", None):
        from .common import load_config_from_args

        config = load_config_from_args(args)
        if config is None:
            return None
        secrets = config.secrets
        directory = directory or config.data_dir
    base = db.data_dir(directory)
    if getattr(args, "demo", False):
        base = base / "demo"
    path = Path(base) / db.DB_FILENAME
    if not path.exists():
        print(f"agentstatus: no incidents yet (no store at {path})", file=sys.stderr)
        return None
    return IncidentStore(db.connect(path), secrets), secrets


def cmd_incidents(args: argparse.Namespace) -> int:
    opened = _open_store(args)
    if opened is None:
        if args.json:
            print(json.dumps({"generated_at": iso_utc_now(), "incidents": []}, indent=2))
        return 0 if args.json else 1
    store, _ = opened
    now = time.time()
    found = store.incidents(open_only=args.open, limit=args.limit)
    if args.json:
        print(json.dumps({"generated_at": iso_utc_now(),
                          "incidents": [incident_document(i, now) for i in found]}, indent=2))
        return 0
    if not found:
        print("No incidents.")
        return 0
    print(f"{'#':>4}  {'STARTED':<19}  {'AGENT':<20} {'VERDICT':<9} {'DURATION':>9}  STATUS")
    for inc in found:
        if inc.is_open:
            status = f"open, step {inc.current_step} {STEPS[inc.current_step - 1]}"
        else:
            status = "resolved" + (f": {inc.root_cause}" if inc.root_cause else "")
        what = "drill" if inc.is_drill else str(inc.worst_verdict)
        started = f"{day(inc.started_at)} {clock(inc.started_at)}"
        print(f"{inc.id:>4}  {started:<19}  {inc.agent_name[:20]:<20} {what:<9} "
              f"{duration(inc.duration(now), exact=True):>9}  {status[:60]}")
    return 0


def cmd_incident(args: argparse.Namespace) -> int:
    opened = _open_store(args)
    if opened is None:
        return 1
    store, secrets = opened
    try:
        record = store.record(args.id)
    except KeyError:
        print(f"agentstatus: no incident #{args.id}", file=sys.stderr)
        return 1
    sys.stdout.write(render(record, now=time.time(), secrets=secrets))
    return 0
