"""The checklist's actions on an incident (acknowledge, notes, recent changes, reproduce,
root cause, verify, resolve, follow-ups): each stored, timelined and, where it speaks to
the outside world, sent through the alert outbox."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..history import db
from ..model import Verdict
from ..text import clock, duration
from .document import CHANGE_ITEMS, write
from .rootcause import CAUSES_BY_KEY
from .store import (
    ACKNOWLEDGE,
    CHANGES,
    REPRODUCE,
    RESOLVE,
    ROOT_CAUSE,
    STEPS,
    Incident,
    IncidentRecord,
)
from .tracker import IncidentTracker, current_user

if TYPE_CHECKING:
    from ..alerts.center import ManualEvent

log = logging.getLogger("agentstatus.incidents")

INVESTIGATING = "Investigating Agent Status alert for {agent}"


@dataclass(frozen=True)
class Resolved:
    incident: Incident
    document: Path
    alert_ids: tuple[int, ...]


class Checklist:
    """What the panel (or any front end) does to incidents. Stateless apart from the
    store, so closing the panel or restarting loses nothing."""

    def __init__(self, tracker: IncidentTracker, *, data_dir: str | Path | None = None,
                 user: str | None = None) -> None:
        self.tracker = tracker
        self.incidents = tracker.incidents
        self.config = tracker.config
        self.user = user or current_user()
        self._data_dir = data_dir

    @property
    def data_dir(self) -> Path:
        """Beside the store file (so --data-dir is honoured), unless given."""
        if self._data_dir is None:
            return Path(self.tracker.store.path).parent
        return db.data_dir(self._data_dir)

    def now(self) -> float:
        return self.tracker.clock()

    def record(self, incident_id: int) -> IncidentRecord:
        return self.incidents.record(incident_id)

    def open(self, agent_id: str, verdict: Verdict = Verdict.UNKNOWN) -> Incident:
        """The agent's open incident, or a new one opened by hand while the agent's
        verdict is `verdict` (a drill when it is healthy)."""
        return self.tracker.open_by_hand(agent_id, self.user, verdict=verdict)

    def _event(self, incident: Incident, kind: str, text: str) -> None:
        self.incidents.add_event(incident.id, self.now(), kind, text, actor=self.user)

    def _changed(self, incident: Incident) -> None:
        self.tracker.changed(incident.id, incident.agent_id)

    # ------------------------------------------------------------------ steps

    def go_to(self, incident_id: int, step: int) -> Incident:
        step = max(1, min(len(STEPS), step))
        inc = self.incidents.update(incident_id, current_step=step)
        self._changed(inc)
        return inc

    def complete(self, incident_id: int, step: int) -> None:
        steps = self.incidents.steps(incident_id)
        if not steps[step].done:
            self.incidents.mark_step(incident_id, step, done=True, at=self.now(), by=self.user)
            inc = self.incidents.get(incident_id)
            self._event(inc, "step", f"step {step} {STEPS[step - 1]} done")

    def next_step(self, incident_id: int) -> Incident:
        """Mark the current step done and move on (Verify and Resolve complete themselves:
        moving past them does not tick them)."""
        inc = self.incidents.get(incident_id)
        if inc.current_step not in (7, 8):
            self.complete(incident_id, inc.current_step)
        return self.go_to(incident_id, inc.current_step + 1)

    # ------------------------------------------------------------------ 1 acknowledge

    def _enqueue(self, inc: Incident, event: ManualEvent, text: str, channel_types: Sequence[str] | None,
                 details: dict[str, Any] | None = None, note: str | None = None) -> list[int]:
        center = self.tracker.alerts
        if center is None:
            return []
        agent = self.config.agent(inc.agent_id)
        types = tuple(channel_types) if channel_types is not None else None
        ids = list(center.enqueue_manual(agent, event, text, channel_types=types,
                                         details=details, by=self.user, note=note))
        if ids:
            # The engineer is waiting to see it delivered: start now, not at the next run.
            center.kick()
        return ids

    def acknowledge(self, incident_id: int, note: str | None = None) -> list[int]:
        """PagerDuty `acknowledge` under the incident's dedup key; records who and when."""
        inc = self.incidents.get(incident_id)
        text = INVESTIGATING.format(agent=inc.agent_name)
        ids = self._enqueue(inc, "acknowledge", text, ("pagerduty",), note=note)
        now = self.now()
        if self.incidents.set_if_unset(incident_id, "acknowledged_at", now):
            self.incidents.update(incident_id, acknowledged_by=self.user)
        said = f': "{note}"' if note else ""
        sent = " (PagerDuty acknowledge queued)" if ids else ""
        self._event(inc, "acknowledged", f"acknowledged by {self.user}{said}{sent}")
        if note:
            self.incidents.add_note(incident_id, now, self.user, note, step=ACKNOWLEDGE)
        self.complete(incident_id, ACKNOWLEDGE)
        self._changed(inc)
        return ids

    def post_investigating(self, incident_id: int) -> list[int]:
        """Slack: "Investigating Agent Status alert for <agent>"."""
        inc = self.incidents.get(incident_id)
        text = INVESTIGATING.format(agent=inc.agent_name)
        ids = self._enqueue(inc, "acknowledge", text, ("slack",))
        self._event(inc, "posted", f'posted to Slack: "{text}"' if ids
                    else "no Slack channel configured for this agent")
        self._changed(inc)
        return ids

    # ------------------------------------------------------------------ notes, changes

    def add_note(self, incident_id: int, text: str, step: int | None = None) -> None:
        text = text.strip()
        if not text:
            return
        inc = self.incidents.get(incident_id)
        step = step or inc.current_step
        self.incidents.add_note(incident_id, self.now(), self.user, text, step=step)
        self._event(inc, "note", f'note by {self.user}: "{text}"')
        self._changed(inc)

    def set_change(self, incident_id: int, item: str, *, checked: bool | None = None,
                   note: str | None = None) -> dict[str, Any]:
        """Step 3: tick (or untick) deployments / configuration / upstream, with a note."""
        labels = dict(CHANGE_ITEMS)
        if item not in labels:
            raise KeyError(item)
        data = self.incidents.step_data(incident_id, CHANGES)
        items: dict[str, dict[str, Any]] = data.setdefault("items", {})
        entry: dict[str, Any] = items.setdefault(item, {"checked": False, "note": ""})
        if checked is not None:
            entry["checked"] = checked
        if note is not None:
            entry["note"] = note.strip()
        self.incidents.set_step_data(incident_id, CHANGES, data)
        inc = self.incidents.get(incident_id)
        state = "checked" if entry["checked"] else "unchecked"
        said = f': "{entry["note"]}"' if note else ""
        self._event(inc, "changes", f"recent changes: {labels[item].lower()} {state}{said}")
        self._changed(inc)
        return entry

    # ------------------------------------------------------------------ reproduce

    def record_probe(self, incident_id: int, region: str, summary: str) -> None:
        """Step 4: the result of sending the curl request by hand (already redacted)."""
        inc = self.incidents.get(incident_id)
        data = self.incidents.step_data(incident_id, REPRODUCE)
        data["last"] = {"region": region, "summary": summary, "at": self.now()}
        self.incidents.set_step_data(incident_id, REPRODUCE, data)
        self._event(inc, "reproduce", f"sent the request from {region}: {summary}")
        self._changed(inc)

    # ------------------------------------------------------------------ root cause

    def set_root_cause(self, incident_id: int, *, key: str | None = None,
                       text: str | None = None) -> Incident:
        """Confirm a table row (`key`) and/or write the cause in words."""
        row = CAUSES_BY_KEY.get(key or "")
        words = (text or "").strip()
        if row is not None and words:
            cause = f"{row.cause}: {words}"
        else:
            cause = words or (row.cause if row is not None else "")
        if not cause:
            raise ValueError("a root cause needs a table row or words")
        inc = self.incidents.update(incident_id, root_cause=cause,
                                    root_cause_key=row.key if row else None)
        self._event(inc, "root_cause", f"root cause: {cause}")
        self.complete(incident_id, ROOT_CAUSE)
        self._changed(inc)
        return inc

    # ------------------------------------------------------------------ verify

    def verify_requested(self, incident_id: int) -> None:
        inc = self.incidents.get(incident_id)
        self._event(inc, "run", f"verify run requested by {self.user}")
        self._changed(inc)

    # ------------------------------------------------------------------ follow-ups

    def add_followup(self, incident_id: int, text: str) -> int | None:
        text = text.strip()
        if not text:
            return None
        fid = self.incidents.add_followup(incident_id, text, self.now())
        inc = self.incidents.get(incident_id)
        self._event(inc, "followup", f"follow-up added: {text}")
        self._rewrite_document(inc)
        self._changed(inc)
        return fid

    def toggle_followup(self, incident_id: int, followup_id: int) -> None:
        for f in self.incidents.followups(incident_id):
            if f.id == followup_id:
                self.incidents.update_followup(followup_id, done=not f.done)
        inc = self.incidents.get(incident_id)
        self._rewrite_document(inc)
        self._changed(inc)

    def delete_followup(self, incident_id: int, followup_id: int) -> None:
        self.incidents.delete_followup(followup_id)
        inc = self.incidents.get(incident_id)
        self._rewrite_document(inc)
        self._changed(inc)

    # ------------------------------------------------------------------ resolve

    def summary(self, inc: Incident) -> str:
        """The Slack summary: duration, root cause, resolution."""
        now = self.now()
        end = inc.resolved_at if inc.resolved_at is not None else now
        lasted = duration(inc.duration(end), exact=True)
        parts = [f"Resolved: {inc.agent_name} was {inc.worst_verdict} for "
                 f"{lasted} ({clock(inc.started_at)}–{clock(end)})."]
        parts.append(f"Root cause: {(inc.root_cause or 'not identified').rstrip('.')}.")
        parts.append(f"Resolution: {(inc.resolution or 'not recorded').rstrip('.')}.")
        return " ".join(parts)

    def resolve(self, incident_id: int, resolution: str) -> Resolved:
        """Step 8: PagerDuty resolve, Slack summary, status page operational, and the
        incident document written. Returns the document's path."""
        now = self.now()
        inc = self.incidents.update(
            incident_id, resolved_at=now, resolved_by=self.user,
            resolution=resolution.strip() or None, current_step=RESOLVE,
        )
        summary = self.summary(inc)
        ids = self._enqueue(inc, "resolve", summary, None, details={
            "duration_s": round(inc.duration(now)),
            "root_cause": inc.root_cause,
            "resolution": inc.resolution,
            "incident_id": inc.id,
        })
        self._event(inc, "resolved", f"resolved by {self.user}: {inc.resolution or 'no resolution given'}")
        if ids:
            self._event(inc, "alert", "resolve and summary queued (PagerDuty, Slack, status page)")
        self.incidents.mark_step(incident_id, RESOLVE, done=True, at=now, by=self.user)
        path = self._write(inc)
        self._event(inc, "document", f"incident document written: {path.name}")
        self._write(self.incidents.get(incident_id))
        inc = self.incidents.get(incident_id)
        self._changed(inc)
        return Resolved(inc, path, tuple(ids))

    def _write(self, inc: Incident) -> Path:
        path = write(self.record(inc.id), self.data_dir, now=self.now(),
                     secrets=self.config.secrets)
        if inc.document_path != str(path):
            self.incidents.update(inc.id, document_path=str(path))
        return path

    def _rewrite_document(self, inc: Incident) -> None:
        # Follow-ups are edited after the postmortem is written too; keep the file current.
        if inc.document_path:
            try:
                self._write(inc)
            except OSError:
                log.exception("rewriting the incident document failed")
