"""The Markdown incident document: what happened, to whom, why, how it was found and fixed,
and what to do next, written into the data dir for the postmortem."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ..model import Verdict
from ..secrets import redact
from ..text import clock, day, duration, percent, stamp
from .rootcause import CAUSES_BY_KEY
from .store import CHANGES, REPRODUCE, STEPS, VERIFY, IncidentRecord, TimelineEntry
from .wording import errors_text

CHANGE_ITEMS: tuple[tuple[str, str], ...] = (
    ("deployments", "Deployments"),
    ("configuration", "Configuration changes"),
    ("upstream", "Upstream services"),
)


def _pct(part: int, whole: int) -> str:
    return percent(part / whole) if whole else "-"


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _sentence(text: str) -> str:
    """`rolled back` → `Rolled back.`: engineers type fragments, documents want sentences."""
    text = _md(text).rstrip(".")
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _title(record: IncidentRecord) -> str:
    inc = record.incident
    if inc.is_drill:
        return f"Incident #{inc.id}: {inc.agent_name} drill"
    if inc.worst_verdict in (Verdict.DOWN, Verdict.DEGRADED):
        return f"Incident #{inc.id}: {inc.agent_name} {inc.worst_verdict}"
    return f"Incident #{inc.id}: {inc.agent_name}, opened by hand"


def _when(ts: float, first_day: str) -> str:
    return clock(ts) if day(ts) == first_day else f"{day(ts)} {clock(ts)}"


def render(record: IncidentRecord, *, now: float, secrets: Iterable[str] = ()) -> str:
    """The whole document as Markdown. `now` ends the duration of an incident still open."""
    inc = record.incident
    first_day = day(inc.started_at)
    lines: list[str] = [f"# {_title(record)}", ""]

    status = "Resolved" if not inc.is_open else "Open (still being worked on)"
    lines += [
        f"- **Agent:** {inc.agent_name} (`{inc.agent_id}`)",
        f"- **Status:** {status}",
        f"- **Started:** {stamp(inc.started_at)}",
    ]
    if inc.resolved_at is not None:
        lines.append(f"- **Resolved:** {stamp(inc.resolved_at)} by {inc.resolved_by or 'unknown'}")
    lines.append(f"- **Duration:** {duration(inc.duration(now), exact=True)}"
                 + ("" if inc.resolved_at is not None else " so far"))
    if inc.recovered_at is not None and not inc.is_drill:
        lines.append(f"- **Outage:** {duration(inc.recovered_at - inc.started_at, exact=True)}"
                     " (first failing run → back UP)")
    if inc.dedup_key:
        lines.append(f"- **PagerDuty dedup key:** `{inc.dedup_key}`")
    if inc.is_drill:
        lines.append(f"- **Drill:** opened by hand by {inc.opened_by} while the agent was "
                     f"{inc.verdict_at_open}")
    lines.append("")

    lines += ["## Summary", "", _summary(record, now), ""]
    lines += ["## Impact", "", *_impact(record), ""]
    lines += ["## Root cause", "", *_root_cause(record), ""]
    lines += ["## Detection", "", *_detection(record, first_day), ""]
    lines += ["## Response", "", *_response(record, first_day), ""]
    lines += ["## Resolution", "", *_resolution(record, first_day), ""]
    lines += ["## Timeline", "", *_timeline(record.timeline, first_day), ""]
    notes = [n for n in record.notes]
    if notes:
        lines += ["## Notes", ""]
        for n in notes:
            where = f" ({STEPS[n.step - 1]})" if n.step else ""
            lines.append(f"- {_when(n.at, first_day)} {n.author}{where}: {_md(n.text)}")
        lines.append("")
    lines += ["## Follow-up actions", ""]
    if record.followups:
        lines += [f"- [{'x' if f.done else ' '}] {_md(f.text)}" for f in record.followups]
    else:
        lines.append("No follow-up actions were recorded.")
    lines.append("")
    # Stored text is redacted on the way in; this second pass covers secrets added to the
    # config since, so an old incident printed today cannot leak today's token.
    return redact("\n".join(lines), secrets)


def _summary(record: IncidentRecord, now: float) -> str:
    inc = record.incident
    if inc.is_drill:
        text = (f"A drill on {inc.agent_name}, opened by {inc.opened_by} at "
                f"{stamp(inc.opened_at)} while the agent was {inc.verdict_at_open}.")
    else:
        text = (f"{inc.agent_name} went {inc.worst_verdict} at {clock(inc.started_at)} on "
                f"{day(inc.started_at)}")
        if inc.recovered_at is not None:
            text += (f" and was back UP at {clock(inc.recovered_at)} "
                     f"({duration(inc.recovered_at - inc.started_at, exact=True)} of outage)")
        if inc.resolved_at is not None:
            text += (f"; the incident was resolved at {clock(inc.resolved_at)}, "
                     f"{duration(inc.duration(now), exact=True)} after it started.")
        else:
            text += f"; the incident has been open for {duration(inc.duration(now), exact=True)}."
    failed = inc.requests_failed
    if inc.requests:
        text += f" {failed} of {inc.requests} monitoring requests failed ({_pct(failed, inc.requests)})."
    if inc.root_cause:
        text += f" Root cause: {_sentence(inc.root_cause)}"
    if inc.resolution:
        text += f" Resolution: {_sentence(inc.resolution)}"
    return text


def _impact(record: IncidentRecord) -> list[str]:
    inc = record.incident
    impact = record.impact
    if not impact:
        return ["No monitoring runs were recorded during the incident."]
    hit = [r for r in impact if not r.worst_verdict.is_up]
    fine = [r for r in impact if r.worst_verdict.is_up]
    out = []
    if hit:
        out.append("- Regions affected: "
                   + ", ".join(f"{r.region} ({r.worst_verdict})" for r in hit)
                   + (f"; {', '.join(r.region for r in fine)} stayed healthy." if fine else "."))
    else:
        out.append("- No region was affected (every region stayed UP).")
    out.append(f"- Worst overall verdict: {inc.worst_verdict}.")
    out.append(f"- Requests failed: {inc.requests_failed} of {inc.requests} "
               f"({_pct(inc.requests_failed, inc.requests)}) over {inc.runs} runs.")
    total: Counter[str] = Counter()
    for r in impact:
        total.update(r.errors)
    out.append(f"- Errors: {errors_text(total)}.")
    out += ["", "| Region | Worst verdict | Runs | Requests failed | Errors |",
            "|---|---|---|---|---|"]
    for r in impact:
        out.append(f"| {r.region} | {r.worst_verdict} | {r.runs} | {r.requests_failed} of "
                   f"{r.requests} | {errors_text(r.errors)} |")
    return out


def _root_cause(record: IncidentRecord) -> list[str]:
    inc = record.incident
    row = CAUSES_BY_KEY.get(inc.root_cause_key or "")
    if not inc.root_cause:
        return ["Not identified yet."]
    out = [_sentence(inc.root_cause)]
    if row is not None:
        out += ["", f"Matches the table row \"{row.symptom} → {row.cause}\"."]
    return out


def _detection(record: IncidentRecord, first_day: str) -> list[str]:
    inc = record.incident
    out = []
    if inc.first_failure_at is not None:
        out.append(f"- First failing run: {_when(inc.first_failure_at, first_day)}"
                   f" ({_md(inc.first_failure or '')})")
    if inc.detected_at is not None:
        after = (f", {duration(inc.detected_at - inc.first_failure_at, exact=True)} after the first "
                 "failing run" if inc.first_failure_at is not None else "")
        out.append(f"- Verdict changed to {inc.trigger}: {_when(inc.detected_at, first_day)}{after}")
    else:
        out.append(f"- Opened by hand by {inc.opened_by} at {_when(inc.opened_at, first_day)}")
    if inc.alert_delivered_at is not None:
        out.append(f"- Alert delivered: {_when(inc.alert_delivered_at, first_day)}")
        if inc.first_failure_at is not None:
            detection = duration(inc.alert_delivered_at - inc.first_failure_at, exact=True)
            out.append(f"- **Detection time: {detection}**"
                       " (first failing run → alert delivered)")
    else:
        out.append("- No alert was delivered for this incident.")
    return out


def _response(record: IncidentRecord, first_day: str) -> list[str]:
    inc = record.incident
    out = []
    if inc.acknowledged_at is not None:
        base, what = (inc.alert_delivered_at, "alert delivered")
        if base is None:
            base, what = (inc.detected_at or inc.opened_at, "detection")
        out.append(f"- Acknowledged by {inc.acknowledged_by or 'unknown'} at "
                   f"{_when(inc.acknowledged_at, first_day)}. "
                   f"**Time to acknowledge: {duration(inc.acknowledged_at - base, exact=True)}**"
                   f" (from {what}).")
    else:
        out.append("- Never acknowledged.")
    changes = record.steps[CHANGES].data.get("items", {})
    checked = []
    for key, label in CHANGE_ITEMS:
        item = changes.get(key) or {}
        if item.get("checked") or item.get("note"):
            note = f": {_md(item['note'])}" if item.get("note") else ""
            checked.append(f"{label}{note}")
    if checked:
        out.append("- Recent changes checked: " + "; ".join(checked) + ".")
    repro = record.steps[REPRODUCE].data.get("last")
    if repro:
        out.append(f"- Reproduced by hand from {repro.get('region', '?')}: {_md(repro.get('summary', ''))}.")
    verify = record.steps[VERIFY]
    if verify.done_at is not None:
        out.append(f"- Verified healthy at {_when(verify.done_at, first_day)} "
                   "(every region UP, median TTFB within the SLA).")
    return out


def _resolution(record: IncidentRecord, first_day: str) -> list[str]:
    inc = record.incident
    out = []
    if inc.resolution:
        out += [_sentence(inc.resolution), ""]
    if inc.recovered_at is not None:
        out.append(f"- The monitor saw the agent back UP at {_when(inc.recovered_at, first_day)}.")
    if inc.resolved_at is not None:
        out.append(f"- Resolved by {inc.resolved_by or 'unknown'} at "
                   f"{_when(inc.resolved_at, first_day)}, "
                   f"{duration(inc.duration(inc.resolved_at), exact=True)} after it started.")
        if inc.recovered_at is None and not inc.is_drill:
            out.append("- Note: resolved while the monitor had not yet seen the agent recover.")
    else:
        out.append("- Not resolved yet.")
    return out


def _timeline(entries: Iterable[TimelineEntry], first_day: str) -> list[str]:
    out = ["| Time | Event |", "|---|---|"]
    for e in entries:
        who = f" ({e.actor})" if e.actor and e.actor not in e.text else ""
        out.append(f"| {_when(e.at, first_day)} | {_md(e.text)}{who} |")
    return out


def file_name(record: IncidentRecord) -> str:
    inc = record.incident
    slug = re.sub(r"[^a-z0-9-]+", "-", inc.agent_id.lower()).strip("-") or "agent"
    return f"{day(inc.started_at)}-incident-{inc.id}-{slug}.md"


def write(
    record: IncidentRecord, directory: str | os.PathLike[str], *, now: float,
    secrets: Iterable[str] = (),
) -> Path:
    """Write the document into `directory`/incidents/ atomically; returns its path."""
    folder = Path(directory) / "incidents"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(record)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(render(record, now=now, secrets=secrets), encoding="utf-8")
    os.replace(tmp, path)
    return path
