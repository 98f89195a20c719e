"""Pages sent while the store could not be written, folded back once it can: the outage
becomes the agent's transitions and its page row, the folded DOWN is not paged again,
the recovery resolves the same page, what was stored before pages as usual, and a store
that moved on since (another process stored newer verdicts) is left as it is. A real
store file."""

from __future__ import annotations

from pathlib import Path

from alerts_helpers import agent, config, run

from agentstatus_tui.engine.alerts.center import AlertCenter
from agentstatus_tui.engine.alerts.rules import PageState
from agentstatus_tui.engine.alerts.unstored import Unstored, UnstoredAgent, fold_back
from agentstatus_tui.engine.history import db
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Verdict, WebhookChannel

NOW = 1_800_000_000.0
KEY = "agentstatus-support-bot-1799999800"


def queued(store: Store) -> list[tuple[str, str | None]]:
    rows = store.conn.execute("SELECT event, dedup_key FROM alert_outbox ORDER BY id")
    return [(r[0], r[1]) for r in rows]


def overall(store: Store) -> list[tuple[str, str, float]]:
    rows = store.conn.execute("SELECT previous, current, at FROM transitions"
                              " WHERE region IS NULL ORDER BY id")
    return [(r[0], r[1], r[2]) for r in rows]


def center_over(store: Store) -> AlertCenter:
    hook = WebhookChannel("hook", url="http://127.0.0.1:9/hook")
    return AlertCenter(config((agent(("hook",)),), {"hook": hook}), store,
                       clock=lambda: NOW, backfill=1e9)


def down_paged_at(at: float) -> Unstored:
    return Unstored({"support-bot": UnstoredAgent(
        ((at, Verdict.DOWN),), PageState(KEY, Verdict.DOWN, at))})


def test_the_outage_is_stored_not_paged_again_and_the_recovery_resolves_it(
    tmp_path: Path,
) -> None:
    with Store(tmp_path / db.DB_FILENAME) as store:
        center = center_over(store)
        store.record_run(run("support-bot", Verdict.UP, NOW - 300))
        # Stored, but its alerts not yet queued (a check that stopped in between).
        store.record_run(run("support-bot", Verdict.DEGRADED, NOW - 250))
        folded = fold_back(center, store, down_paged_at(NOW - 200), NOW)

        assert [(t.previous, t.current, t.at) for t in folded] == [
            (Verdict.DEGRADED, Verdict.DOWN, NOW - 200)]
        assert [(p, c) for p, c, _ in overall(store)] == [
            ("UNKNOWN", "UP"), ("UP", "DEGRADED"), ("DEGRADED", "DOWN")]
        assert center.dedup_key("support-bot") == KEY
        assert center.process_transitions() == []  # the folded DOWN was paged already
        assert queued(store) == []  # nor did the stored DEGRADED page (on_degraded off)

        store.record_run(run("support-bot", Verdict.UP, NOW))
        center.process_transitions()
        assert queued(store) == [("resolve", KEY)]  # one recovery, of the page sent


def test_a_store_that_moved_on_since_is_left_as_it_is(tmp_path: Path) -> None:
    with Store(tmp_path / db.DB_FILENAME) as store:
        center = center_over(store)
        store.record_run(run("support-bot", Verdict.UP, NOW - 300))
        store.record_run(run("support-bot", Verdict.DOWN, NOW - 100))  # newer than the ledger
        center.process_transitions()
        before = overall(store)
        key = center.dedup_key("support-bot")
        assert fold_back(center, store, down_paged_at(NOW - 200), NOW) == []
        assert overall(store) == before
        assert center.dedup_key("support-bot") == key != KEY
