"""`history` and `report`: verdict history, uptime and outages read back from the store."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ..engine.documents import ttfb_ms
from ..engine.history.excluded import Interval
from ..engine.history.queries import LeftOut
from ..engine.history.records import AgentReport, RunRecord, Transition
from ..engine.history.store import Store
from ..engine.history.uptime import Outage, Summary, fold_short_gaps, short_gap
from ..engine.maintenance import agent_maintenance, merge, occurrences
from ..engine.model import Config
from ..engine.secrets import redact
from ..engine.text import duration, iso_utc, iso_utc_now, latency, percent, uptime

EXIT_OK, EXIT_USAGE = 0, 2
DEFAULT_INTERVAL = 60.0  # an agent's interval when the config is not at hand


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    h = sub.add_parser(
        "history",
        parents=parents,
        help="an agent's verdict changes (with how long each lasted) and recent runs",
        description="Verdict transitions of one agent with how long each verdict lasted, "
        "uptime and outages in the window, and the most recent runs, from the store.",
    )
    h.add_argument("agent", metavar="AGENT", help="agent id (or name, with --config)")
    h.add_argument("--since", type=since_arg, default=since_arg("24h"), metavar="DURATION",
                   help="how far back: 30m, 24h, 7d … (default 24h)")
    h.add_argument("--region", metavar="R", help="one region's history instead of the overall")
    h.add_argument("--runs", type=int, default=20, metavar="N",
                   help="how many recent runs to list (default 20)")
    h.add_argument("--json", action="store_true", help="print one JSON document")
    h.set_defaults(func=cmd_history)

    r = sub.add_parser(
        "report",
        parents=parents,
        help="per agent uptime %%, outages, MTTR and current verdict",
        description="Per agent: uptime %, outages (count, total, longest), MTTR, MTBF and "
        "the current verdict over a window. MTTR is the mean duration of outages that "
        "ended; MTBF is operating time (known, not DOWN) divided by the number of outages.",
    )
    r.add_argument("--since", type=since_arg, default=since_arg("7d"), metavar="DURATION",
                   help="how far back: 24h, 7d, 30d … (default 7d)")
    r.add_argument("--exclude-maintenance", action="store_true",
                   help="leave the config's maintenance windows out of uptime and outages "
                   "(a column says how much time that was)")
    fmt = r.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print one JSON document")
    fmt.add_argument("--csv", action="store_true", help="CSV for spreadsheets, one row per agent")
    r.set_defaults(func=cmd_report)


def since_arg(text: str) -> float:
    """A window length in seconds from `24h`, `7d`, `30m`, `1h30m` or plain seconds."""
    from ..engine.config.yaml_lines import parse_duration

    seconds = parse_duration(text)
    if seconds is None or seconds <= 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 30m, 24h or 7d)")
    return seconds


# ---------------------------------------------------------------- shared set-up


def _context(args: argparse.Namespace, *, needs_config: bool = False,
             ) -> tuple[Config | None, Store] | None:
    """The config (only when --config is given, or `needs_config`: names, order, data
    dir) and the store."""
    config: Config | None = None
    if getattr(args, "config", None) or (needs_config and not getattr(args, "demo", False)):
        from .common import load_config_from_args

        config = load_config_from_args(args)
        if config is None:
            return None
    if getattr(args, "demo", False):
        from .common import demo_data_dir

        return config, Store.open(demo_data_dir(args))
    data_dir = getattr(args, "data_dir", None) or (config.data_dir if config else None)
    return config, Store.open(data_dir)


def _names(config: Config | None, args: argparse.Namespace) -> dict[str, str]:
    """Display names by id: the config's, or the demo's own agents' with --demo."""
    if config is not None:
        return {a.id: a.name for a in config.agents}
    if getattr(args, "demo", False):
        from ..demo import AGENTS

        return {a.id: a.name for a in AGENTS}
    return {}


def _short_gap(config: Config | None, agent_id: str) -> float:
    """UNKNOWN gaps shorter than this are folded out of the listed verdict changes."""
    agents = {a.id: a for a in config.agents} if config else {}
    agent = agents.get(agent_id)
    return short_gap(agent.interval if agent else DEFAULT_INTERVAL)


def _say(text: str, config: Config | None) -> None:
    print(redact(text, config.secrets) if config else text)


# ---------------------------------------------------------------- history


def cmd_history(args: argparse.Namespace) -> int:
    ctx = _context(args)
    if ctx is None:
        return EXIT_USAGE
    config, store = ctx
    with store:
        names = _names(config, args)
        agent_id = _find_agent(args.agent, names, store.agent_ids())
        if agent_id is None:
            known = sorted(set(names) | set(store.agent_ids()))
            print(f"agentstatus: no agent {args.agent!r} in the "
                  f"{'config or the ' if config else ''}history"
                  + (f" (known: {', '.join(known)})" if known else " (no history yet)"),
                  file=sys.stderr)
            return EXIT_USAGE
        region = args.region
        if region is not None:
            regions = set(store.regions(agent_id))
            if config and agent_id in names:
                regions |= set(config.agent(agent_id).regions)
            if region not in regions:
                print(f"agentstatus: agent {agent_id!r} has no region {region!r}"
                      + (f" (regions: {', '.join(sorted(regions))})" if regions else ""),
                      file=sys.stderr)
                return EXIT_USAGE
        now = time.time()
        since = now - args.since
        doc = history_document(store, agent_id, names.get(agent_id, agent_id), since, now,
                               region, args.runs, fold_under=_short_gap(config, agent_id))
    if args.json:
        _say(json.dumps(doc, indent=1), config)
    else:
        _say(history_text(doc), config)
    return EXIT_OK


def _find_agent(wanted: str, names: dict[str, str], stored: Iterable[str]) -> str | None:
    ids = set(names) | set(stored)
    if wanted in ids:
        return wanted
    matches = [i for i, n in names.items() if n.casefold() == wanted.casefold()]
    return matches[0] if len(matches) == 1 else None


def history_document(
    store: Store,
    agent_id: str,
    name: str,
    since: float,
    now: float,
    region: str | None,
    runs: int,
    fold_under: float = 0.0,
) -> dict[str, Any]:
    """The `history --json` document (also what the text view is printed from). UNKNOWN
    gaps shorter than `fold_under` (restarts) are left out of the transitions."""
    state = store.last_verdicts().get(agent_id, {}).get(region)
    summary = store.summary(agent_id, since, now, region)
    stored = store.transitions(agent_id, since=since, region=region)
    changes = fold_short_gaps(stored, fold_under)
    recent = store.recent_runs(agent_id, runs, region, since=since)
    return {
        "generated_at": iso_utc_now(),
        "agent": {"id": agent_id, "name": name},
        "region": region,
        "since": iso_utc(since),
        "until": iso_utc(now),
        "verdict": state[0].value if state else "UNKNOWN",
        "verdict_since": iso_utc(state[1]) if state else None,
        **_summary_document(summary),
        "transitions": _transitions_document(changes, now),
        "transitions_folded": len(stored) - len(changes),
        "runs": [_run_document(r) for r in recent],
    }


def _summary_document(s: Summary) -> dict[str, Any]:
    return {
        "uptime": _round(s.uptime, 6),
        "outages": {
            "count": s.outage_count,
            "total_s": _round(s.outage_total, 1),
            "longest_s": _round(s.outage_longest, 1),
            "mttr_s": _round(s.mttr, 1),
            "mtbf_s": _round(s.mtbf, 1),
            "list": [_outage_document(o) for o in s.outages],
        },
    }


def _outage_document(o: Outage) -> dict[str, Any]:
    return {
        "start": iso_utc(o.start),
        "end": iso_utc(o.end) if o.end is not None else None,
        "duration_s": _round(o.duration, 1),
        "unknown_s": _round(o.unknown, 1),  # not watched inside the outage (not in duration)
        "ongoing": o.ongoing,
        "began_before_window": o.began_before,
    }


def _transitions_document(changes: Sequence[Transition], now: float) -> list[dict[str, Any]]:
    """Oldest first; each says how long the verdict it brought in lasted."""
    out = []
    for i, t in enumerate(changes):
        end = changes[i + 1].at if i + 1 < len(changes) else now
        out.append({
            "id": t.id,
            "at": iso_utc(t.at),
            "region": t.region,
            "from": t.previous.value,
            "to": t.current.value,
            "lasted_s": _round(max(0.0, end - t.at), 1),
            "ongoing": i + 1 == len(changes),
            "reason": t.reason,
        })
    return out


def _run_document(r: RunRecord) -> dict[str, Any]:
    return {
        "started_at": iso_utc(r.started_at),
        "verdict": r.verdict.value,
        "reachability": _round(r.reachability, 4),
        "eval_pass": _round(r.eval_pass, 4),
        "ttfb_ms": {"p50": ttfb_ms(r.ttfb_p50), "p95": ttfb_ms(r.ttfb_p95)},
        "errors": dict(r.errors),
        "retried": r.retried,
        "manual": r.manual,
    }


def history_text(doc: dict[str, Any]) -> str:
    agent = doc["agent"]
    title = agent["name"] if agent["name"] == agent["id"] else f"{agent['name']} ({agent['id']})"
    where = f" · region {doc['region']}" if doc["region"] else ""
    lines = [f"{title}{where} · {doc['verdict']}"
             + (f" since {_when(doc['verdict_since'])}" if doc["verdict_since"] else "")]
    o = doc["outages"]
    total, longest, mttr, mtbf = (
        duration(o[k], exact=True) for k in ("total_s", "longest_s", "mttr_s", "mtbf_s"))
    lines.append(
        f"{_when(doc['since'])} → {_when(doc['until'])}: uptime {uptime(doc['uptime'])} · "
        f"{_plural(o['count'], 'outage')}"
        + (f", {total} down (longest {longest})" if o["count"] else "")
        + (", one still ongoing" if any(x["ongoing"] for x in o.get("list", ())) else "")
        + f" · MTTR {mttr} · MTBF {mtbf}"
    )
    lines += ["", "Verdict changes (newest first)"]
    if doc["transitions"]:
        rows = [["WHEN", "FROM", "TO", "LASTED", "WHY"]]
        for t in reversed(doc["transitions"]):
            lasted = duration(t["lasted_s"], exact=True) + (" so far" if t["ongoing"] else "")
            rows.append([_when(t["at"]), t["from"], t["to"], lasted, t["reason"] or "-"])
        lines += _table(rows)
        if doc.get("transitions_folded"):
            lines.append(f"  (short UNKNOWN gaps from restarts or pauses not listed: "
                         f"{doc['transitions_folded']} changes)")
    else:
        lines.append(f"  none in this window (the verdict was {doc['verdict']} throughout)"
                     if doc["verdict_since"] else "  none: no run stored yet")
    lines += ["", f"Recent runs (newest first, {len(doc['runs'])} shown)"]
    if doc["runs"]:
        rows = [["WHEN", "VERDICT", "P50", "P95", "REACH", "EVAL", "ERRORS"]]
        for r in reversed(doc["runs"]):
            errors = " ".join(f"{k}×{v}" for k, v in r["errors"].items()) or "-"
            rows.append([
                _when(r["started_at"]) + (" (manual)" if r["manual"] else ""),
                r["verdict"],
                _ms_latency(r["ttfb_ms"]["p50"]),
                _ms_latency(r["ttfb_ms"]["p95"]),
                percent(r["reachability"]),
                percent(r["eval_pass"]),
                errors,
            ])
        lines += _table(rows)
    else:
        lines.append("  none in this window")
    return "\n".join(lines)


# ---------------------------------------------------------------- report

CSV_COLUMNS = (
    "agent_id", "name", "verdict", "uptime_percent", "outages", "outage_total_s",
    "outage_longest_s", "mttr_s", "mtbf_s", "window_start", "window_end",
)


def cmd_report(args: argparse.Namespace) -> int:
    exclude = bool(getattr(args, "exclude_maintenance", False))
    # The maintenance windows are in the config: leaving them out needs it.
    ctx = _context(args, needs_config=exclude)
    if ctx is None:
        return EXIT_USAGE
    config, store = ctx
    now = time.time()
    since = now - args.since
    names = _names(config, args)
    left_out = maintenance_left_out(config, since, now) if exclude else None
    with store:
        ids = list(names) if config else store.agent_ids()
        reports = store.report(since, now, ids, left_out=left_out)
    if args.csv:
        _write_csv(reports, names, since, now, config, excluded=exclude)
    elif args.json:
        _say(json.dumps(report_document(reports, names, since, now, excluded=exclude),
                        indent=1), config)
    else:
        _say(report_text(reports, names, since, now, excluded=exclude), config)
    return EXIT_OK


def maintenance_left_out(config: Config | None, since: float, until: float) -> LeftOut:
    """What `report --exclude-maintenance` leaves out: for an agent overall, the windows
    about the agent as a whole (its id, a tag, or all its regions); for one of its
    regions, those and the windows naming that region."""
    agents = {a.id: a for a in config.agents} if config else {}
    windows = config.maintenance if config else ()

    def left_out(agent_id: str, region: str | None) -> list[Interval]:
        agent = agents.get(agent_id)
        if agent is None:
            return []
        spans = agent_maintenance(windows, agent, since, until)
        if region is not None:
            for w in windows:
                if region in w.regions:
                    spans += occurrences(w, since, until)
        return merge(spans)

    return left_out


def report_document(
    reports: Sequence[AgentReport], names: dict[str, str], since: float, until: float,
    *, excluded: bool = False,
) -> dict[str, Any]:
    def left_out(s: Summary) -> dict[str, Any]:
        return {"maintenance_excluded_s": _round(s.excluded, 1)} if excluded else {}

    return {
        "generated_at": iso_utc_now(),
        "since": iso_utc(since),
        "until": iso_utc(until),
        "agents": [
            {
                "id": r.agent_id,
                "name": names.get(r.agent_id, r.agent_id),
                "verdict": r.verdict.value,
                "verdict_since": iso_utc(r.verdict_since) if r.verdict_since else None,
                **_summary_document(r.summary),
                **left_out(r.summary),
                "regions": {
                    name: {
                        "verdict": rr.verdict.value,
                        "verdict_since": iso_utc(rr.verdict_since) if rr.verdict_since else None,
                        **_summary_document(rr.summary),
                        **left_out(rr.summary),
                    }
                    for name, rr in r.regions.items()
                },
            }
            for r in reports
        ],
    }


def report_text(
    reports: Sequence[AgentReport], names: dict[str, str], since: float, until: float,
    *, excluded: bool = False,
) -> str:
    head = f"{_when(iso_utc(since))} → {_when(iso_utc(until))}"
    if excluded:
        head += " · maintenance windows left out (MAINT: time left out)"
    if not reports:
        return f"{head}\nno agents in the history yet (run `agentstatus check` or the dashboard)"
    rows = [["AGENT", "VERDICT", "UPTIME", "OUTAGES", "DOWN", "LONGEST", "MTTR", "MTBF"]
            + (["MAINT"] if excluded else [])]
    notes: list[str] = []
    for r in reports:
        name = names.get(r.agent_id, r.agent_id)
        note = uptime_note(r.summary)
        if note:
            notes.append(f"{'*' * (len(notes) + 1)} {name}: {note}")
        rows.append([
            name,
            r.verdict.value,
            uptime(r.uptime) + ("*" * len(notes) if note else ""),
            str(r.outage_count) + (" (ongoing)" if any(o.ongoing for o in r.summary.outages)
                                   else ""),
            duration(r.outage_total, exact=True) if r.outage_count else "-",
            duration(r.outage_longest, exact=True),
            duration(r.mttr, exact=True),
            duration(r.mtbf, exact=True),
        ] + ([duration(r.summary.excluded, exact=True) if r.summary.excluded else "-"]
             if excluded else []))
    return "\n".join([head, *_table(rows, indent=""), *notes])


def uptime_note(s: Summary) -> str | None:
    """What a 0% uptime means, so that "0%" beside "0 outages" is not read as a
    contradiction: the agent was known but never UP."""
    if s.uptime is None or s.uptime > 0:
        return None
    degraded = s.known - s.up - s.down
    if s.down <= 0:
        return "never UP in this window — DEGRADED all along, never DOWN (so no outage)"
    if degraded <= 0:
        return "never UP in this window — DOWN all along"
    return (f"never UP in this window — DEGRADED {duration(degraded, exact=True)}, "
            f"DOWN {duration(s.down, exact=True)}")


def _write_csv(
    reports: Sequence[AgentReport],
    names: dict[str, str],
    since: float,
    until: float,
    config: Config | None,
    *,
    excluded: bool = False,
) -> None:
    # Plain numbers and ISO times, no units in cells: a spreadsheet sorts and sums them.
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(CSV_COLUMNS + (("maintenance_excluded_s",) if excluded else ()))
    secrets = config.secrets if config else frozenset()
    for r in reports:
        out.writerow([
            r.agent_id,
            redact(names.get(r.agent_id, r.agent_id), secrets),
            r.verdict.value,
            _cell(None if r.uptime is None else r.uptime * 100, 4),
            r.outage_count,
            _cell(r.outage_total, 0),
            _cell(r.outage_longest, 0),
            _cell(r.mttr, 0),
            _cell(r.mtbf, 0),
            iso_utc(since),
            iso_utc(until),
            *([_cell(r.summary.excluded, 0)] if excluded else []),
        ])


# ---------------------------------------------------------------- formatting


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _cell(x: float | None, digits: int) -> str:
    if x is None:
        return ""
    return str(round(x)) if digits == 0 else f"{x:.{digits}f}"


def _ms_latency(millis: int | None) -> str:
    return latency(None if millis is None else millis / 1000)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _when(iso: str) -> str:
    return iso.replace("T", " ")


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        (indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))).rstrip()
        for r in rows
    ]
