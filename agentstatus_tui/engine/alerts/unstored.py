"""What was paged while the store could not be written, as a one-shot command (the cron
`check`) keeps it outside the store until the store takes writes again: each agent's
verdict changes that were not stored and the page state they left. Folded back into the
store, they become the agent's transitions and page row, so history shows the outage and
the next change pages as if the store had never failed (a recovery pages once, the DOWN
is not paged again)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..history.records import Transition
from ..model import Verdict
from . import pages
from .rules import CLOSED, PageState

if TYPE_CHECKING:
    from ..history.store import Store
    from .center import AlertCenter

log = logging.getLogger("agentstatus.alerts")

# The reason stored with a transition folded back (the run that caused it was lost).
FOLDED_REASON = "seen while the store could not be written; paged directly"


@dataclass(frozen=True)
class UnstoredAgent:
    """One agent's verdict changes not stored (oldest first) and its page state after
    them. `retry`: the page the last change asked for reached no channel, so `page` is
    the state before it and the change is to be paged again (never lost)."""

    changes: tuple[tuple[float, Verdict], ...] = ()
    page: PageState = CLOSED
    retry: bool = False

    @property
    def verdict(self) -> Verdict | None:
        return self.changes[-1][1] if self.changes else None

    @property
    def since(self) -> float | None:
        return self.changes[-1][0] if self.changes else None

    def followed_by(self, changes: Sequence[tuple[float, Verdict]],
                    page: PageState, retry: bool) -> UnstoredAgent:
        return UnstoredAgent((*self.changes, *changes), page, retry)

    @property
    def stored_changes(self) -> tuple[tuple[float, Verdict], ...]:
        """The changes to fold back: all but a last one still to be paged (the run that
        sees it again stores it, and the outbox pages it with its retries)."""
        return self.changes[:-1] if self.retry else self.changes

    def document(self) -> dict[str, Any]:
        return {"changes": [[at, v.value] for at, v in self.changes], "retry": self.retry,
                "page": None if not self.page.is_open else {
                    "dedup_key": self.page.dedup_key,
                    "alerted": self.page.alerted.value if self.page.alerted else None,
                    "started_at": self.page.started_at}}

    @classmethod
    def from_document(cls, doc: Any) -> UnstoredAgent:
        """Raises ValueError (or TypeError, KeyError) for anything not written by
        `document`."""
        changes = tuple((float(at), Verdict(v)) for at, v in doc["changes"])
        page = doc.get("page")
        state = CLOSED
        if page is not None:
            alerted = Verdict(page["alerted"])
            if alerted not in (Verdict.DOWN, Verdict.DEGRADED):
                raise ValueError(f"not a paged verdict: {alerted}")
            key, started = page.get("dedup_key"), page.get("started_at")
            state = PageState(str(key) if key is not None else None, alerted,
                              float(started) if started is not None else None)
        return cls(changes, state, doc.get("retry") is True)


@dataclass(frozen=True)
class Unstored:
    """Every agent's `UnstoredAgent`, by agent id."""

    agents: Mapping[str, UnstoredAgent] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {a: entry.document() for a, entry in self.agents.items()}

    @classmethod
    def from_document(cls, doc: Any) -> Unstored:
        if not isinstance(doc, dict):
            raise ValueError("not an object")
        return cls({str(a): UnstoredAgent.from_document(e) for a, e in doc.items()})


def _moved_on(store: Store, agent_id: str, entry: UnstoredAgent) -> bool:
    """Another process stored a verdict of the agent after the first change kept here
    (a dashboard started once the store came back): the store knows better."""
    row = store.conn.execute(
        "SELECT since FROM agent_state WHERE agent_id = ? AND region = ''",
        (agent_id,)).fetchone()
    return bool(entry.changes) and row is not None and float(row[0]) > entry.changes[0][0]


def news_for_store(store: Store, agent_id: str, entry: UnstoredAgent) -> bool:
    """Whether `entry` tells the store something it does not hold: a verdict other than
    its stored one, or another page state (a check that has not read the history sees
    every agent change from UNKNOWN; the unchanged ones need no keeping)."""
    try:
        row = store.conn.execute(
            "SELECT verdict FROM agent_state WHERE agent_id = ? AND region = ''",
            (agent_id,)).fetchone()
        stored = Verdict(row[0]) if row is not None else Verdict.UNKNOWN
        page = pages.read(store.conn, agent_id).page
    except Exception:  # the store cannot say: keep it (the safe side)
        return True
    return (any(v is not stored for _, v in entry.changes) or page != entry.page)


def fold_back(center: AlertCenter, store: Store, unstored: Unstored,
              now: float) -> list[Transition]:
    """Store the verdict changes and page states of `unstored`, in one transaction with
    the alert cursor: transitions already stored are handed to the alert rules first,
    the folded ones are not (they were paged directly). Raises what the store raises
    (it still cannot be written: keep `unstored` for later)."""
    agents = {a.id for a in center.config.agents}
    with store.transaction():
        center.process_transitions()  # what is stored already pages as usual first
        folded: list[Transition] = []
        for agent_id, entry in unstored.agents.items():
            if agent_id not in agents:  # removed from the config since
                continue
            if _moved_on(store, agent_id, entry):
                log.info("%s: the store holds newer verdicts than those seen while it "
                         "could not be written; they are left out", agent_id)
                continue
            folded += store.record_changes(agent_id, entry.stored_changes, FOLDED_REASON)
            row = pages.read(store.conn, agent_id)
            if row.page != entry.page:
                pages.write(store.conn, row.with_page(entry.page), now)
        if folded:
            store.conn.execute(
                "UPDATE alert_cursor SET last_transition_id = ? WHERE id = 1"
                " AND last_transition_id < ?", (folded[-1].id, folded[-1].id))
    center.forget_reads()
    if folded:
        log.info("%d verdict change(s) seen while the store could not be written are "
                 "stored now", len(folded))
    return folded
