"""`check`, `run` and `validate`: one round of every agent for cron and Nagios, one agent's
requests in detail, and a config's errors."""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from ..engine import event_loop
from ..engine.documents import check_document, run_document
from ..engine.history.db import StoreError
from ..engine.history.health import is_store_failure
from ..engine.model import EXIT_CODES, Config, ConfigError, RunResult, Stats, Verdict, most_urgent
from ..engine.paging import PagingStatus
from ..engine.secrets import redact
from ..engine.text import iso_utc_now, latency, percent
from .check_ledger import PageLedger, remember_unstored, start_from_ledger
from .check_scope import CheckScope, check_scope, paused_line, unknown_agents_line
from .common import EXIT_STORE_FAILED, demo_data_dir, load_config_from_args, store_failure
from .daemon_client import add_server_options
from .paging import DeliveryReport, alerts_document, delivery_lines, delivery_report

if TYPE_CHECKING:
    from ..engine.monitor import Monitor
    from .check_without_store import Unopened

NAGIOS_STATE = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        parents=parents,
        help="run every agent once; exit 0 UP, 1 DEGRADED, 2 DOWN, 3 UNKNOWN (Nagios)",
        description="Run every agent once (or the AGENTs named), store the results, "
        "deliver the alerts they cause, print verdicts. A paused agent is not checked and "
        "never fails the exit code. Exit codes follow the Nagios plugin convention; the most "
        "urgent agent wins (DOWN > DEGRADED > UNKNOWN > UP).",
    )
    p.add_argument("agents", nargs="*", metavar="AGENT",
                   help="check only these agents (ids or names); a paused agent is not "
                   "checked")
    p.add_argument("--json", action="store_true", help="print the JSON document (a stable contract)")
    p.add_argument(
        "--alert-deadline",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to keep delivering alerts before exiting (undelivered ones stay "
        "queued for the next check; default 30)",
    )
    p.add_argument(
        "--server", metavar="URL|SOCKET", nargs="?", const="",
        help="read the verdicts of a running `agentstatus serve` instead of probing "
        "(http(s)://HOST:PORT, or a unix socket's path; alone: this data dir's socket). "
        "Same output and exit codes; a daemon that does not answer is UNKNOWN (3)")
    add_server_options(p, what="with --server")
    p.set_defaults(func=cmd_check)

    r = sub.add_parser(
        "run",
        parents=parents,
        help="a manual run of one agent, showing every request",
    )
    r.add_argument("agent", metavar="AGENT", help="agent id")
    r.add_argument("--json", action="store_true", help="print the run as JSON")
    r.set_defaults(func=cmd_run)

    v = sub.add_parser("validate", help="check a config file; every error with file, line and key")
    v.add_argument("file", metavar="CONFIG")
    v.add_argument(
        "--require-env",
        action="store_true",
        help="an unset ${VAR} is an error (check a deployment's environment, not only the file)",
    )
    v.set_defaults(func=cmd_validate)


# ---------------------------------------------------------------- config + monitor


@asynccontextmanager
async def open_monitor(args: argparse.Namespace, *,
                       unopened_store: list[Unopened] | None = None) -> AsyncIterator[Any]:
    """The Monitor for a one-shot command, with the demo agents started first when
    --demo is given (they live in this event loop). With `unopened_store`, a store that
    cannot be opened does not stop the command: the Monitor runs without it (see
    check_without_store) and the failure is appended there."""
    from ..engine.logs import setup_logging, teardown_logging
    from ..engine.monitor import Monitor

    if getattr(args, "demo", False):
        from ..demo import DemoAgents

        async with DemoAgents() as demo:
            demo_config = demo.config()
            handlers = setup_logging(demo_config.secrets, stream_level=logging.WARNING)
            try:
                async with Monitor.open(demo_config, data_dir=demo_data_dir(args)) as mon:
                    yield mon
            finally:
                teardown_logging(handlers)
        return
    config = load_config_from_args(args)
    if config is None:
        raise SystemExit(3)
    # Warnings (a store that failed, an alert that could not be queued) go to stderr,
    # where cron mails them; stdout stays the Nagios output or the JSON document.
    handlers = setup_logging(config.secrets, stream_level=logging.WARNING)
    try:
        try:
            mon = Monitor.open(config, data_dir=args.data_dir)
        except Exception as exc:
            if unopened_store is None or not is_store_failure(exc):
                raise
            from .check_without_store import monitor_without_store, unopened

            unopened_store.append(unopened(config, args.data_dir, exc))
            mon = monitor_without_store(config, unopened_store[0].failure)
        async with mon:
            yield mon
    finally:
        teardown_logging(handlers)


# ---------------------------------------------------------------- check


def cmd_check(args: argparse.Namespace) -> int:
    if args.server is not None:
        from .check_server import cmd_check_server

        return cmd_check_server(args)
    failing: list[StoreError] = []  # the store could not be written during the round
    statuses: dict[str, PagingStatus] = {}  # silenced, flapping, acknowledged, …
    warnings: list[str] = []  # for stderr, after the output
    unopened_store: list[Unopened] = []  # the store could not even be opened

    async def main() -> tuple[Config, CheckScope, list[RunResult], DeliveryReport | None]:
        async with open_monitor(args, unopened_store=unopened_store) as mon:
            without = unopened_store[0] if unopened_store else None
            if without is not None:
                warnings.append(without.line())
            scope = check_scope(mon.config, args.agents,
                                paused_agents(mon) if without is None else {})
            if scope.unknown:
                return mon.config, scope, [], None
            started = mon.clock()
            # Pages sent by earlier checks while the store could not be written: not
            # sent again, and folded back into the store once it takes writes.
            ledger = PageLedger(mon.store.path if without is None else without.db_path)
            kept = start_from_ledger(mon, ledger, fold=without is None)
            probed = scope.probed
            results = await mon.run_round(probed, deliver_deadline=None)
            # The dead man's switch hears of the round before paging waits on receivers
            # (only of a whole round: a check of named agents does not ping it).
            pinged = (None if scope.named else
                      await mon.heartbeat_after_round(results, [a.id for a in probed]))
            # Grouped pages go now: this check has no more runs coming to group them with.
            await mon.alerts.deliver_pending(mon.clock() + args.alert_deadline, flush=True)
            paging = None
            try:
                paging = delivery_report(mon.alerts, started, len(mon.config.channels),
                                         heartbeat=pinged)
                statuses.update(mon.alerts.paging_statuses())
            except (StoreError, sqlite3.Error) as exc:
                mon.writer.health.failed(exc)
            if mon.store_failure is not None:
                failing.append(mon.store_failure)
                warning = remember_unstored(mon, ledger, kept)
                if warning is not None:
                    warnings.append(warning)
            return mon.config, scope, results, paging

    try:
        config, scope, results, paging = event_loop.run(main())
    except (StoreError, sqlite3.Error) as exc:
        return store_failed(args, exc)
    if scope.unknown:
        line = unknown_agents_line(scope.unknown, config)
        print(f"AGENTSTATUS UNKNOWN - {line}")
        print(f"agentstatus: {line}", file=sys.stderr)
        return 3
    by_id = {r.agent_id: r for r in results}
    verdicts = [by_id[a.id].verdict if a.id in by_id else Verdict.UNKNOWN for a in scope.probed]
    # Paused agents count in no verdict: all paused is OK, nothing at all is UNKNOWN.
    code = EXIT_CODES[most_urgent(verdicts)] if verdicts else (0 if scope.paused else 3)
    if failing:  # nothing was saved: not OK, whatever the agents said (DOWN still wins)
        code = code if code == EXIT_CODES[Verdict.DOWN] else EXIT_STORE_FAILED
    if args.json:
        doc = check_document(config, by_id, statuses or None, agents=scope.shown,
                             paused=scope.paused)
        if paging is not None:
            doc["alerts"] = alerts_document(paging, config.secrets)
        if failing:
            doc["store"] = {"ok": False, "error": str(failing[0])}
        print(json.dumps(doc, indent=1))
    else:
        line = nagios_line(verdicts, paused=len(scope.paused))
        print(store_failing_line(line, code, failing[0]) if failing else line)
        for agent in scope.shown:
            text = (paused_line(agent, scope.paused[agent.id], named=scope.named)
                    if agent.id in scope.paused else agent_line(agent.name, by_id.get(agent.id)))
            print(redact(text, config.secrets))
    # Undelivered pages go to stderr in both forms (cron mails it); the exit code stays
    # the agents' verdict.
    for line in delivery_lines(paging, config.secrets) if paging is not None else ():
        print(line, file=sys.stderr)
    for line in warnings:
        print(line, file=sys.stderr)
    return code


def paused_agents(mon: Monitor) -> dict[str, float]:
    """The agents paused in the store. A store that cannot say: none (checking a paused
    agent is the safe side of not checking one that is not)."""
    try:
        return mon.store.paused_agents()
    except (StoreError, sqlite3.Error) as exc:
        mon.writer.health.failed(exc)
        return {}


def store_failed(args: argparse.Namespace, exc: BaseException) -> int:
    """The store cannot be opened: nothing was checked. Nagios UNKNOWN, naming the file
    and the cause, on stdout (or in the JSON document) and on stderr."""
    line = store_failure(args, exc)
    if args.json:
        doc = {"generated_at": iso_utc_now(), "store": {"ok": False, "error": line},
               "agents": []}
        print(json.dumps(doc, indent=1))
    else:
        print(f"AGENTSTATUS UNKNOWN - {line}")
    print(f"agentstatus: {line}", file=sys.stderr)
    return EXIT_STORE_FAILED


def store_failing_line(line: str, code: int, failure: StoreError) -> str:
    """The Nagios line of a round whose results could not be saved:
    `AGENTSTATUS UNKNOWN - STORE FAILING (database or disk is full): 300 UP | …`."""
    summary = line.split(" - ", 1)[1]
    return f"AGENTSTATUS {NAGIOS_STATE[code]} - STORE FAILING ({failure.cause}): {summary}"


def nagios_line(verdicts: list[Verdict], *, paused: int = 0) -> str:
    """The Nagios first line over the checked agents' verdicts; `paused` agents (not
    checked) are counted apart and never make it fail: all paused is OK."""
    up = sum(1 for v in verdicts if v.is_up)
    degraded = verdicts.count(Verdict.DEGRADED)
    down = verdicts.count(Verdict.DOWN)
    unknown = verdicts.count(Verdict.UNKNOWN)
    state = NAGIOS_STATE[EXIT_CODES[most_urgent(verdicts)] if verdicts else
                         (0 if paused else 3)]
    parts = [f"{n} {word}" for n, word in
             ((down, "DOWN"), (degraded, "DEGRADED"), (unknown, "UNKNOWN"), (up, "UP"),
              (paused, "paused")) if n]
    summary = ", ".join(parts) or "no agents"
    perf = f"up={up};;; degraded={degraded};;; down={down};;; unknown={unknown};;;"
    if paused:
        perf += f" paused={paused};;;"
    return f"AGENTSTATUS {state} - {summary} | {perf}"


def agent_line(name: str, run: RunResult | None) -> str:
    if run is None:
        return f"{name}: UNKNOWN (no run finished)"
    o = run.overall
    bits = [f"{name}: {o.verdict.value}"]
    if o.ttfb_p50 is not None:
        bits.append(f"p50 {latency(o.ttfb_p50)}")
    bits.append(f"reach {percent(o.reachability)}")
    bits.append(f"eval {percent(o.eval_pass, none='n/a')}")
    regions = " ".join(f"{n}={region_cell(s)}" for n, s in run.regions.items())
    if regions:
        bits.append(f"[{regions}]")
    if o.errors:
        bits.append("errors " + ",".join(f"{k}×{v}" for k, v in o.errors.items()))
    if o.retried:
        bits.append(f"retried {o.retried}")
    return " ".join(bits)


def region_cell(s: Stats) -> str:
    if s.discarded:
        return "UNKNOWN(canary)"
    if s.verdict is Verdict.DOWN and s.errors:
        return f"DOWN:{max(s.errors, key=lambda k: s.errors[k])}"
    if s.ttfb_p50 is not None:
        return f"{s.verdict.value}:{latency(s.ttfb_p50)}"
    return s.verdict.value


# ---------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    async def main() -> tuple[Config, RunResult | None]:
        async with open_monitor(args) as mon:
            agents = mon.agents()
            if args.agent not in agents:
                known = ", ".join(agents) or "none"
                print(f"agentstatus: no agent '{args.agent}' (agents: {known})", file=sys.stderr)
                return mon.config, None
            result = await mon.run_now(args.agent)
            if mon.alerts is not None:
                await mon.alerts.deliver_pending(mon.clock() + 30, flush=True)
            return mon.config, result

    config, result = event_loop.run(main())
    if result is None:
        return 2
    if args.json:
        print(json.dumps(run_document(config, result), indent=1))
    else:
        print(redact(run_report(config, result), config.secrets))
    return EXIT_CODES[result.verdict]


def run_report(config: Config, result: RunResult) -> str:
    agent = config.agent(result.agent_id)
    lines = [f"{agent.name} ({agent.id}) {agent.url}", ""]
    lines.append(f"{'REGION':8} {'KIND':10} {'STATUS':6} {'TTFB':>8} {'RETRY':>5}  {'RESULT':12} ANSWER")
    for r in result.requests:
        kind = r.kind if r.gold_index is None else f"gold#{r.gold_index + 1}"
        status = str(r.status) if r.status is not None else "-"
        ttfb = latency(r.ttfb)
        outcome = "ok" if r.ok else (r.error or "failed")
        text = (r.answer if r.ok else (r.detail or r.answer)) or ""
        text = " ".join(text.split())[:60]
        lines.append(f"{r.region:8} {kind:10} {status:6} {ttfb:>8} {r.retried:>5}  {outcome:12} {text}")
    lines.append("")
    lines.append(agent_line(agent.name, result))
    return "\n".join(lines)


# ---------------------------------------------------------------- validate


def cmd_validate(args: argparse.Namespace) -> int:
    from ..engine.config.load import check_config_file, load_config

    try:
        errors, unset = check_config_file(args.file)
    except OSError as exc:
        print(f"agentstatus: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if args.require_env:
        errors = sorted([*errors, *(f"{u} is not set" for u in unset)], key=_line_order)
        unset = []
    if errors:
        for line in errors:
            print(line, file=sys.stderr)
        _print_unset(unset)  # the next thing to fix after the errors, listed now
        n = len(errors)
        print(f"{args.file}: {n} error{'s' if n != 1 else ''}", file=sys.stderr)
        return 2
    if unset:
        print(f"{args.file}: OK")
        _print_unset(unset)
        return 0
    try:
        config = load_config(args.file)
    except ConfigError as exc:  # pragma: no cover - check_config_file saw the same file
        for line in exc.errors:
            print(line, file=sys.stderr)
        return 2
    counts = ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in (
        (len(config.agents), "agent"), (len(config.regions), "region"),
        (len(config.channels), "channel")))
    print(f"{args.file}: OK — {counts}")
    return 0


def _print_unset(unset: list[str]) -> None:
    if not unset:
        return
    print(f"Not set in this environment ({len(unset)}; the dashboard and check need "
          "them, --require-env makes them errors):")
    for line in unset:
        print(f"  {line}")


def _line_order(line: str) -> tuple[int, str]:
    parts = line.split(":", 2)
    return (int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0, line)
