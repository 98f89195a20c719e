"""What each of the incident panel's eight steps shows, as Rich text from plain data (the
stored incident, the agent's live state, the last probe): no widgets, easy to test."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

from ...engine.incidents.document import CHANGE_ITEMS
from ...engine.incidents.rootcause import CAUSES, Cause
from ...engine.incidents.store import STEPS, IncidentRecord
from ...engine.incidents.tracker import is_verified
from ...engine.model import AgentConfig, RunResult, Verdict
from ...engine.text import duration
from .. import format as fmt


@dataclass
class StepView:
    """Everything the step pane needs, gathered by the screen."""

    record: IncidentRecord
    agent: AgentConfig
    now: float
    verdict: Verdict = Verdict.UNKNOWN
    since: float | None = None
    last: RunResult | None = None
    last_failure: Any | None = None  # RequestResult
    matches: Sequence[Cause] = ()
    alert_status: Mapping[str, str] = field(default_factory=dict)  # label → status
    region: str | None = None
    curl: str = ""
    probe: Any | None = None  # ProbeReply
    probing: bool = False
    verifying: bool = False
    run_curl: str = ""  # attached to a daemon: the curl that asks it for a run (step 7)
    cursor: int = 0  # item cursor inside steps 3, 5 and 8
    width: int = 100  # columns the step body has: lines are laid out to fit them


def step_marks(record: IncidentRecord) -> list[tuple[str, str]]:
    """(`[x]`/`[>]`/`[ ]`, `1 Acknowledge`) for the step list."""
    out = []
    current = record.incident.current_step
    for n, name in enumerate(STEPS, start=1):
        mark = "[>]" if n == current else "[x]" if record.steps[n].done else "[ ]"
        out.append((mark, f"{n} {name}"))
    return out


def step_strip(record: IncidentRecord) -> Text:
    """The step list on one line, for narrow terminals: `✓1 ✓2 ·3 ▶4 Reproduce ·5 …`."""
    text = Text()
    current = record.incident.current_step
    for n, name in enumerate(STEPS, start=1):
        if n == current:
            text.append(f"▶{n} {name}", style="bold reverse")
        else:
            text.append(f"{'✓' if record.steps[n].done else '·'}{n}")
        text.append(" ")
    return text


def _json_breaks(body: str) -> list[str]:
    """`body` (JSON) cut after each `, ` between tokens, never inside a string."""
    pieces, start, in_string, escaped = [], 0, False, False
    for i, ch in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "," and body[i + 1 : i + 2] == " ":
            pieces.append(body[start : i + 1])
            start = i + 2
    pieces.append(body[start:])
    return pieces


def wrap_curl(command: str, width: int) -> list[str]:
    """The curl command in lines of at most `width` columns where the shell allows a break,
    so it can be copied off the screen: between arguments (each line but the last ends
    with ` \\`), and inside the JSON body between tokens (a newline inside its single
    quotes is JSON whitespace, not part of a value). What cannot break stays long."""
    out: list[str] = []
    for line in command.split("\n"):
        tail = " \\" if line.endswith(" \\") else ""
        head = line[: len(line) - len(tail)]
        if len(line) <= width:
            out.append(line)
        elif head.startswith("curl ") and " " in head[5:]:
            words = head.split(" ")
            out.append(" ".join(words[:-1]) + " \\")
            out.append("  " + words[-1] + tail)
        elif head.lstrip().startswith("-d '{") and "'" not in head.lstrip()[4:-1]:
            indent = head[: len(head) - len(head.lstrip())]
            current = indent + "-d '"
            for piece in _json_breaks(head.lstrip()[4:-1]):
                joined = current + (" " if current.rstrip().endswith(",") else "") + piece
                # room for the closing quote and the ` \\` that may follow it
                if len(joined) + 1 + len(tail) > width and current.strip() != "-d '":
                    out.append(current.rstrip())
                    current = indent + "  " + piece
                else:
                    current = joined
            out.append(current + "'" + tail)
        else:
            out.append(line)
    return out


def path_lines(path: str, width: int, indent: str = "  ") -> list[str]:
    """A file path on lines of at most `width`, cut after a `/` (never inside a name)."""
    lines, current = [], indent
    for part in path.split("/"):
        piece = part + "/"
        if len(current) + len(piece) > width and current.strip():
            lines.append(current)
            current = indent
        current += piece
    lines.append(current[:-1])
    return lines


def _key(text: Text, key: str, what: str) -> None:
    text.append(f" {key} ", style="reverse")
    text.append(f" {what}   ")


def render(n: int, v: StepView) -> Text:
    return _RENDERERS[n](v)


def _title(n: int) -> Text:
    return Text(f"{n} · {STEPS[n - 1]}\n", style="bold")


def _acknowledge(v: StepView) -> Text:
    inc = v.record.incident
    t = _title(1)
    if inc.acknowledged_at is not None:
        t.append(f"Acknowledged by {inc.acknowledged_by} at {fmt.clock(inc.acknowledged_at)}.\n")
    else:
        t.append("Tell the team you are on it before you dig in.\n")
    if inc.dedup_key:
        t.append(f"PagerDuty incident key: {inc.dedup_key}\n", style="dim")
    for label, status in v.alert_status.items():
        t.append(f"{label}: {status}\n")
    t.append("\n")
    _key(t, "a", "acknowledge in PagerDuty")
    _key(t, "p", "post to Slack")
    t.append("\n")
    _key(t, "n", "add a note")
    return t


def _dashboard(v: StepView) -> Text:
    t = _title(2)
    since = ""
    if v.since is not None:
        since = f" since {fmt.clock(v.since)} ({duration(v.now - v.since)} ago)"
    t.append("Verdict: ")
    t.append(fmt.verdict_word(v.verdict), style="bold")
    t.append(f"{since}\n")
    last = v.last
    if last is not None:
        t.append(f"{'REGION':<8}{'VERDICT':<10}{'P50':>7}  ERRORS\n", style="dim")
        for name, s in last.regions.items():
            t.append(f"{name:<8}{fmt.verdict_word(s.verdict):<10}{fmt.latency(s.ttfb_p50):>7}  "
                     f"{fmt.error_counts(s.errors)}\n")
        t.append(f"Errors this run: {fmt.error_counts(last.overall.errors)}\n")
    else:
        t.append("No run finished yet.\n")
    f = v.last_failure
    if f is not None:
        status = f"HTTP {f.status}" if f.status else f.error
        t.append(f"Last failing request: {f.region} {status} at {fmt.clock(f.started_at)}")
        if f.detail:
            t.append(f" · {fmt.snippet(f.detail, 120)}")
        t.append("\n")
    return t


def _changes(v: StepView) -> Text:
    t = _title(3)
    t.append("Did anything change just before it broke?\n")
    items = v.record.steps[3].data.get("items", {})
    for i, (key, label) in enumerate(CHANGE_ITEMS):
        item = items.get(key) or {}
        pointer = ">" if i == v.cursor else " "
        box = "[x]" if item.get("checked") else "[ ]"
        t.append(f"{pointer} {box} {label}", style="bold" if i == v.cursor else "")
        if item.get("note"):
            t.append(f" - {item['note']}")
        t.append("\n")
    links = v.agent.runbook.links
    if links:
        t.append("Links: " + "  ".join(f"{k}: {u}" for k, u in links.items()) + "\n", style="dim")
    t.append("\n")
    _key(t, "j/k", "move")
    _key(t, "space", "tick")
    _key(t, "e", "write a note")
    return t


def _reproduce(v: StepView) -> Text:
    t = _title(4)
    t.append(f"From region {v.region}:\n", style="dim")
    for line in wrap_curl(v.curl, v.width):
        t.append(line + "\n")
    p = v.probe
    if v.probing:
        t.append("sending…\n")
    elif p is not None:
        status = f"HTTP {p.status}" if p.status else (p.error or "no answer")
        t.append("-> ", style="bold")
        t.append(f"{status} in {fmt.latency(p.elapsed)} (TTFB {fmt.latency(p.ttfb)})")
        if p.error and p.status:
            t.append(f" {p.error}")
        t.append("\n")
        for k, val in list(p.headers.items())[:4]:
            t.append(f"  {k}: {fmt.snippet(val, 60)}\n", style="dim")
        body = p.body_snippet or p.detail or ""
        if body:
            t.append(f"  {fmt.snippet(body, 200)}\n")
    t.append("\n")
    _key(t, "s", "send now")
    _key(t, "c", "copy")
    _key(t, "g", "next region")
    return t


def _root_cause(v: StepView) -> Text:
    inc = v.record.incident
    t = _title(5)
    matched = {c.key for c in v.matches}
    # Symptom, cause and the match mark side by side need ~90 columns; narrower, a row
    # keeps its symptom and the selected row's cause is spelled out under the table.
    wide = v.width >= 5 + 30 + max(len(c.cause) for c in CAUSES) + 11
    for i, c in enumerate(CAUSES):
        pointer = ">" if i == v.cursor else " "
        mark = "[x]" if inc.root_cause_key == c.key else "   "
        hit = "<- matches" if c.key in matched else ""
        style = "bold reverse" if c.key in matched else ("bold" if i == v.cursor else "")
        if wide:
            t.append(f"{pointer}{mark} {c.symptom:<29} {c.cause:<27}", style=style)
        else:
            t.append(f"{pointer}{mark} {c.symptom:<29}", style=style)
        t.append(f" {hit}\n", style="bold")
    row = CAUSES[v.cursor] if 0 <= v.cursor < len(CAUSES) else None
    if row is not None:
        if not wide:
            t.append(f"Cause: {row.cause}\n")
        t.append(f"Look at: {row.look_at}\n", style="dim")
    if inc.root_cause:
        t.append(f"Root cause: {inc.root_cause}\n", style="bold")
    t.append("\n")
    _key(t, "space", "confirm row")
    _key(t, "e", "write the cause")
    return t


def _normal(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def issue_matches(issue: str, codes: Sequence[str]) -> bool:
    """Does a runbook's common issue (`HTTP 500`, `5xx`, `timeouts`) fit the live codes?"""
    key = _normal(issue)
    for code in codes:
        c = _normal(code)
        if c and c in key:
            return True
        m = re.fullmatch(r"http(\d)(\d\d)", c)
        if m and f"{m.group(1)}xx" in key:
            return True
        if code == "TIMEOUT" and "timeout" in key:
            return True
    return False


def _fix(v: StepView) -> Text:
    rb = v.agent.runbook
    t = _title(6)
    if rb.rollback:
        t.append("Rollback: ", style="bold")
        t.append(f"{rb.rollback}\n")
    codes = list(v.last.overall.errors) if v.last is not None else []
    issues = sorted(rb.common_issues.items(), key=lambda kv: not issue_matches(kv[0], codes))
    if issues:
        t.append("Common issues:\n", style="bold")
        for issue, what in issues:
            hit = issue_matches(issue, codes)
            t.append(f"  {issue}: {what}", style="bold" if hit else "")
            t.append("  <- matches now\n" if hit else "\n", style="bold")
    if rb.contacts:
        t.append("Contacts: ", style="bold")
        t.append(", ".join(rb.contacts) + "\n")
    if rb.links:
        t.append("Links: ", style="bold")
        t.append("  ".join(f"{k}: {u}" for k, u in rb.links.items()) + "\n")
    if not (rb.rollback or issues or rb.contacts or rb.links):
        t.append("No runbook in the config for this agent (agents[].runbook).\n")
    return t


def _verify(v: StepView) -> Text:
    t = _title(7)
    step = v.record.steps[7]
    last = v.last
    if step.done:
        t.append(f"Verified at {fmt.clock(step.done_at)}.\n", style="bold")
    else:
        t.append("Completes itself when a run is UP in every region within the SLA.\n")
    if last is not None:
        now_word = fmt.verdict_word(last.verdict)
        checks = [
            (last.verdict.is_up,
             "verdict UP" + ("" if last.verdict.is_up else f" (now {now_word})")),
            (bool(last.regions) and all(s.verdict.is_up for s in last.regions.values()),
             "every region healthy: " + ", ".join(
                 f"{n} {fmt.verdict_word(s.verdict)}" for n, s in last.regions.items())),
            (last.overall.ttfb_p50 is not None and last.overall.ttfb_p50 <= v.agent.ttfb_sla,
             f"median TTFB {fmt.latency(last.overall.ttfb_p50)} "
             f"(SLA {fmt.latency(v.agent.ttfb_sla)})"),
        ]
        for ok, what in checks:
            t.append(f"  [{'x' if ok else ' '}] {what}\n")
        t.append(f"Last run at {fmt.clock(last.finished_at)}"
                 + (" - healthy\n" if is_verified(last, v.agent) else "\n"), style="dim")
    if v.verifying:
        t.append("running…\n")
    t.append("\n")
    _key(t, "v", "run now")
    if v.run_curl:
        t.append("\nOr from a shell, the daemon's manual run:\n", style="dim")
        for line in wrap_curl(v.run_curl, v.width):
            t.append(line + "\n")
    return t


def run_curl(api_base: str, agent_id: str) -> str:
    """The seed's manual run against the daemon, the token left to the shell."""
    return (f"curl -X POST {api_base}/api/v1/agents/{agent_id}/run \\\n"
            '  -H "Authorization: Bearer $AGENTSTATUS_API_KEY"')


def _resolve(v: StepView) -> Text:
    inc = v.record.incident
    t = _title(8)
    if inc.resolved_at is not None:
        t.append(f"Resolved by {inc.resolved_by} at {fmt.clock(inc.resolved_at)}.\n", style="bold")
        if inc.document_path:
            t.append("Document:\n")
            for line in path_lines(str(inc.document_path), v.width):
                t.append(line + "\n")
        for label, status in v.alert_status.items():
            t.append(f"{label}: {status}\n")
    else:
        t.append("Sends PagerDuty resolve, a Slack summary, sets the status page to\n"
                 "operational, and writes the incident document.\n")
        if not v.record.steps[7].done:
            t.append("Verify has not passed yet.\n", style="bold")
    t.append("Follow-up actions:\n", style="bold")
    if not v.record.followups:
        t.append("  none yet\n", style="dim")
    for i, f in enumerate(v.record.followups):
        pointer = ">" if i == v.cursor else " "
        t.append(f"{pointer} [{'x' if f.done else ' '}] {f.text}\n")
    t.append("\n")
    if inc.resolved_at is None:
        _key(t, "r", "resolve")
    _key(t, "f", "add follow-up")
    _key(t, "space", "tick")
    _key(t, "x", "delete")
    return t


_RENDERERS = {1: _acknowledge, 2: _dashboard, 3: _changes, 4: _reproduce, 5: _root_cause,
              6: _fix, 7: _verify, 8: _resolve}
