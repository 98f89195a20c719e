"""The history store: runs and transitions, reads for the dashboard and reports, retention,
the background writer, and that no secret ever reaches the database file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from agentstatus_tui.engine.history import db
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.history.writer import StoreWriter
from agentstatus_tui.engine.model import (
    AgentConfig,
    Config,
    Region,
    RequestResult,
    RunResult,
    Stats,
    Thresholds,
    Verdict,
)
from agentstatus_tui.engine.verdicts import summarize

UP, DOWN, DEG, UNK = Verdict.UP, Verdict.DOWN, Verdict.DEGRADED, Verdict.UNKNOWN
DAY = 86400.0


def make_run(
    agent: str = "a",
    at: float = 1000.0,
    verdict: Verdict = UP,
    regions: dict[str, Verdict] | None = None,
    p50: float = 0.2,
    manual: bool = False,
) -> RunResult:
    """A finished run at `at` (the moment its verdict is known)."""
    regions = {"us": verdict} if regions is None else regions

    def stats(v: Verdict) -> Stats:
        ok = 0 if v is DOWN else 10
        return Stats(
            verdict=v,
            validations=10,
            validations_ok=ok,
            gold=2,
            gold_ok=2 if v is UP else 0,
            ttfb_p50=p50 if ok else None,
            ttfb_p95=p50 * 1.5 if ok else None,
            errors={} if ok else {"HTTP_503": 10},
            retried=1 if v is DOWN else 0,
        )

    return RunResult(
        agent, at - 1.0, at, stats(verdict), {n: stats(v) for n, v in regions.items()},
        manual=manual,
    )


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path)
    yield s
    s.close()


def changes(ts):
    return [(t.agent_id, t.region, t.previous, t.current) for t in ts]


# ------------------------------------------------------------------ runs and transitions


def test_first_run_is_a_transition_from_unknown_then_only_changes_are(store):
    first = store.record_run(make_run(at=100, regions={"us": UP, "eu": UP}))
    assert sorted(changes(first), key=str) == sorted(
        [("a", None, UNK, UP), ("a", "us", UNK, UP), ("a", "eu", UNK, UP)], key=str
    )
    assert store.record_run(make_run(at=160, regions={"us": UP, "eu": UP})) == []
    t = store.record_run(make_run(at=220, verdict=DEG, regions={"us": UP, "eu": DOWN}))
    assert sorted(changes(t), key=str) == sorted(
        [("a", None, UP, DEG), ("a", "eu", UP, DOWN)], key=str
    )
    assert all(x.at == 220 for x in t)
    overall = next(x for x in t if x.region is None)
    assert overall.reason == "eu DOWN"
    down = next(x for x in t if x.region == "eu")
    assert down.reason == "HTTP_503"


def test_every_run_is_stored_with_its_numbers(store):
    store.record_run(make_run(at=100, p50=0.25, regions={"us": UP, "eu": UP}))
    store.record_run(make_run(at=160, verdict=DOWN, regions={"us": DOWN, "eu": DOWN}))
    runs = store.recent_runs("a")
    assert [r.verdict for r in runs] == [UP, DOWN]  # oldest first
    up, down = runs
    assert (up.ttfb_p50, up.ttfb_p95, up.reachability, up.eval_pass) == (0.25, 0.375, 1.0, 1.0)
    assert (down.reachability, down.errors, down.retried, down.ttfb_p50) == (
        0.0, {"HTTP_503": 10}, 1, None
    )
    assert down.stats().verdict is DOWN and down.stats().validations == 10
    assert [r.region for r in store.recent_runs("a", region="eu")] == ["eu", "eu"]
    assert [r.started_at for r in store.recent_runs("a", limit=1)] == [159.0]


def test_detection_uses_the_database_so_two_writers_never_double_a_transition(tmp_path):
    dashboard, cron = Store.open(tmp_path), Store.open(tmp_path)
    try:
        assert changes(dashboard.record_run(make_run(at=100))) != []
        assert changes(cron.record_run(make_run(at=130, verdict=DOWN))) == [
            ("a", None, UP, DOWN), ("a", "us", UP, DOWN)
        ]
        # The dashboard's next run agrees with what cron stored: no second UP→DOWN.
        assert dashboard.record_run(make_run(at=160, verdict=DOWN)) == []
    finally:
        dashboard.close()
        cron.close()


def test_a_run_stored_late_never_puts_a_transition_before_the_last_one(store):
    store.record_run(make_run(at=200))
    [t, _] = store.record_run(make_run(at=150, verdict=DOWN))  # finished "earlier"
    assert t.at == 200


def test_mark_unknown_covers_overall_and_regions_once(store):
    store.record_run(make_run(at=100, regions={"us": UP, "eu": DOWN}))
    t = store.mark_unknown("a", 200)
    assert sorted(changes(t), key=str) == sorted(
        [("a", None, UP, UNK), ("a", "us", UP, UNK), ("a", "eu", DOWN, UNK)], key=str
    )
    assert t[0].region is None  # consumers see the agent go UNKNOWN first
    assert store.mark_unknown("a", 250) == []
    assert store.mark_unknown("never-seen", 250) == []
    back = store.record_run(make_run(at=300, regions={"us": UP, "eu": UP}))
    assert {(x.region, x.previous, x.current) for x in back} == {
        (None, UNK, UP), ("us", UNK, UP), ("eu", UNK, UP)
    }


def test_a_gap_nobody_watched_becomes_unknown_when_stale_after_is_given(store):
    store.record_run(make_run(at=100))
    # The dashboard was killed (no clean stop); it comes back 1000 s later, DOWN.
    t = store.record_run(make_run(at=1100, verdict=DOWN), stale_after=180)
    assert [(x.region, x.previous, x.current, x.at) for x in t if x.region is None] == [
        (None, UP, UNK, 280), (None, UNK, DOWN, 1100)
    ]
    # UP 100-280, unwatched 280-1100, DOWN 1100-1200: the gap is neither up nor down.
    assert store.uptime("a", 0, 1200) == pytest.approx(180 / 280)
    # Runs closer together than stale_after are a normal sequence.
    assert store.record_run(make_run(at=1160, verdict=DOWN), stale_after=180) == []


def test_transitions_after_is_a_cursor_in_id_order(store):
    store.record_run(make_run(at=100))
    store.record_run(make_run(at=200, verdict=DOWN))
    store.record_run(make_run(at=300))
    overall = store.transitions_after(0)
    assert [(t.previous, t.current) for t in overall] == [(UNK, UP), (UP, DOWN), (DOWN, UP)]
    assert [t.id for t in overall] == sorted(t.id for t in overall)
    assert store.transitions_after(overall[1].id) == overall[2:]
    assert len(store.transitions_after(0, overall_only=False)) == 6
    assert store.last_transition_id() == max(
        t.id for t in store.transitions_after(0, overall_only=False)
    )


def test_last_verdicts_and_transitions_reads(store):
    store.record_run(make_run("a", at=100, regions={"us": UP}))
    store.record_run(make_run("b", at=110, verdict=DOWN, regions={"us": DOWN}))
    store.record_run(make_run("a", at=200, verdict=DEG, regions={"us": DEG}))
    assert store.last_verdicts() == {
        "a": {None: (DEG, 200), "us": (DEG, 200)},
        "b": {None: (DOWN, 110), "us": (DOWN, 110)},
    }
    assert store.agent_ids() == ["a", "b"]
    assert store.regions("a") == ["us"]
    assert [t.current for t in store.transitions("a")] == [UP, DEG]
    assert [t.current for t in store.transitions("a", since=150)] == [DEG]
    assert [t.current for t in store.transitions("a", limit=1)] == [DEG]
    assert [t.region for t in store.transitions("a", region="us")] == ["us", "us"]
    assert len(store.transitions("a", overall=False)) == 4


# ------------------------------------------------------------------ uptime and reports


def _history(store, agent="a", seq=((0, UP), (100, DOWN), (300, UP)), regions=None):
    for at, v in seq:
        store.record_run(make_run(agent, at=at, verdict=v, regions=regions or {"us": v}))


def test_uptime_and_outages_come_from_transitions(store):
    _history(store)
    assert store.uptime("a", 0, 400) == pytest.approx(200 / 400)
    # Window starting mid-outage: the verdict in force comes from before the window.
    assert store.uptime("a", 200, 400) == pytest.approx(100 / 200)
    [o] = store.outages("a", 200, 400)
    assert (o.start, o.end, o.duration, o.began_before) == (200, 300, 100, True)
    # A closed window ending mid-outage is not "ongoing": the store knows it ended.
    [o] = store.outages("a", 0, 200)
    assert (o.start, o.end) == (100, 200)
    assert store.uptime("a", 0, 400, region="us") == pytest.approx(0.5)
    assert store.uptime("nobody", 0, 400) is None


def test_ongoing_outage_has_no_end(store):
    _history(store, seq=((0, UP), (100, DOWN)))
    [o] = store.outages("a", 0, 500)
    assert o.ongoing and o.duration == 400


def test_time_the_monitor_was_off_counts_neither_up_nor_down(store):
    _history(store, seq=((0, UP),))
    store.mark_unknown("a", 100)
    store.record_run(make_run(at=1000, verdict=DOWN))
    # UP 0-100, UNKNOWN 100-1000, DOWN 1000-1100
    assert store.uptime("a", 0, 1100) == pytest.approx(0.5)


def test_report_per_agent_and_region(store):
    _history(store, "a", ((0, UP), (100, DOWN), (300, UP)), regions=None)
    store.record_run(make_run("a", at=350, verdict=DEG, regions={"us": DEG}))
    _history(store, "b", ((0, UP),))
    reports = {r.agent_id: r for r in store.report(0, 400)}
    a = reports["a"]
    assert a.verdict is DEG and a.verdict_since == 350
    # UP 0-100, DOWN 100-300, UP 300-350, DEGRADED 350-400
    assert a.uptime == pytest.approx(150 / 400)
    assert (a.outage_count, a.outage_total, a.outage_longest, a.mttr) == (1, 200, 200, 200)
    assert a.mtbf == pytest.approx(200)  # 200 s operating (UP + DEGRADED) per outage
    assert a.regions["us"].uptime == pytest.approx(150 / 400)
    assert reports["b"].uptime == 1.0 and reports["b"].outage_count == 0
    assert reports["b"].mtbf is None and reports["b"].mttr is None
    only = store.report(0, 400, agent_ids=["b", "ghost"])
    assert [r.agent_id for r in only] == ["b", "ghost"]
    assert only[1].uptime is None and only[1].verdict is UNK


def test_report_of_a_past_window_sees_an_outage_as_ended(store):
    _history(store)
    [r] = store.report(0, 200)
    assert [o.ongoing for o in r.outages] == [False]
    assert r.mttr == 100


# ------------------------------------------------------------------ restart continuity


async def test_restart_brings_back_verdicts_sparkline_transitions_and_uptime(tmp_path):
    now = 40 * DAY
    writer = StoreWriter(Store.open(tmp_path))
    t0 = now - 2 * DAY
    for i in range(100):
        v = DOWN if 50 <= i < 55 else UP
        await writer.record(
            make_run("a", at=t0 + i * 60, verdict=v, p50=0.1 + i / 1000,
                     regions={"us": v, "eu": UP})
        )
    stop = t0 + 100 * 60
    await writer.mark_unknown("a", stop)  # the dashboard stops cleanly
    await writer.flush()
    writer.close()

    store = Store.open(tmp_path)
    try:
        hist = store.dashboard_history(["a", "not-yet-run"], now)
        assert set(hist) == {"a"}
        h = hist["a"]
        assert h.verdict is UNK and h.since == stop
        assert h.region_verdicts == {"us": UNK, "eu": UNK}
        assert h.last is not None and h.last.verdict is UP
        assert h.last.finished_at == t0 + 99 * 60
        assert {n: s.verdict for n, s in h.last.regions.items()} == {"us": UP, "eu": UP}
        assert h.last.overall.validations == 10 and h.last.overall.ttfb_p50 == pytest.approx(0.199)
        assert len(h.sparkline) == 60
        assert h.sparkline[-1] == pytest.approx(0.199)
        assert None in h.sparkline  # the DOWN runs had no latency
        assert [(t.previous, t.current) for t in h.transitions] == [
            (UP, UNK), (DOWN, UP), (UP, DOWN), (UNK, UP)
        ]  # newest first
        # 95 min UP and 5 min DOWN of known time, then off: the offline day is excluded.
        assert h.uptime["24h"] is None  # the dashboard was off all day
        assert h.uptime["7d"] == pytest.approx(0.95)
        assert h.uptime["30d"] == pytest.approx(0.95)
    finally:
        store.close()


# ------------------------------------------------------------------ retention


def test_prune_deletes_old_runs_and_keeps_transitions(store):
    store.record_run(make_run(at=100))
    store.record_run(make_run(at=200, verdict=DOWN))
    store.record_run(make_run(at=300))
    transitions = store.transitions_after(0, overall_only=False)
    assert store.prune(older_than=250) == 4  # two runs × (overall + us)
    assert [r.started_at for r in store.recent_runs("a")] == [299]
    assert store.transitions_after(0, overall_only=False) == transitions
    assert store.uptime("a", 0, 400) == pytest.approx(200 / 300)


def test_maybe_prune_runs_at_most_hourly_across_processes(tmp_path):
    a, b = Store.open(tmp_path), Store.open(tmp_path)
    try:
        a.record_run(make_run(at=100))
        a.record_run(make_run(at=2 * DAY))
        assert a.maybe_prune(DAY, now=2 * DAY) == 2
        a.record_run(make_run(at=2 * DAY + 60))
        assert b.maybe_prune(60, now=2 * DAY + 600) is None  # another process pruned lately
        assert b.maybe_prune(60, now=2 * DAY + 3700) == 4
    finally:
        a.close()
        b.close()


# ------------------------------------------------------------------ transactions and schema


def test_transaction_rolls_back_everything_on_error(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.record_run(make_run(at=100))  # joins the outer transaction
        raise RuntimeError("the outbox row failed")
    assert store.recent_runs("a") == [] and store.transitions_after(0) == []
    with store.transaction() as conn:
        store.record_run(make_run(at=100))
        assert conn.in_transaction
    assert len(store.recent_runs("a")) == 1


def test_schema_is_migrated_once_under_its_own_name(tmp_path):
    Store.open(tmp_path).close()
    s = Store.open(tmp_path)
    try:
        row = s.conn.execute(
            "SELECT version FROM schema_versions WHERE component = 'store'"
        ).fetchone()
        assert row[0] == 1
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.path == tmp_path / db.DB_FILENAME
    finally:
        s.close()


def test_store_open_honours_the_data_dir_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTSTATUS_DATA_DIR", str(tmp_path / "env"))
    with Store.open() as s:
        assert s.path == tmp_path / "env" / db.DB_FILENAME


# ------------------------------------------------------------------ the writer


async def test_writer_commits_concurrent_runs_in_batches_with_right_transitions(tmp_path):
    writer = StoreWriter(Store.open(tmp_path))
    try:
        verdicts = [UP, UP, DOWN, DOWN, UP, DEG, DEG, UP] * 10
        results = await asyncio.gather(
            *(writer.record(make_run(at=100 + i, verdict=v)) for i, v in enumerate(verdicts))
        )
        overall = [t for ts in results for t in ts if t.region is None]
        assert [(t.previous, t.current) for t in overall][:4] == [
            (UNK, UP), (UP, DOWN), (DOWN, UP), (UP, DEG)
        ]
        assert len(overall) == 1 + 4 * 10  # UNKNOWN→UP, then 4 changes per block of 8
    finally:
        writer.close()
    with Store.open(tmp_path) as s:
        assert len(s.recent_runs("a", limit=1000)) == 80


async def test_writer_one_bad_run_does_not_lose_the_others(tmp_path):
    writer = StoreWriter(Store.open(tmp_path))
    try:
        broken = RunResult("a", 1, 2, Stats(verdict="not a verdict"), {})  # type: ignore[arg-type]
        good = [writer.record(make_run("b", at=100 + i)) for i in range(5)]
        outcome = await asyncio.gather(writer.record(broken), *good, return_exceptions=True)
        assert isinstance(outcome[0], Exception)
        assert all(isinstance(x, list) for x in outcome[1:])
        await writer.flush()
    finally:
        writer.close()
    with Store.open(tmp_path) as s:
        assert len(s.recent_runs("b")) == 5 and s.recent_runs("a") == []
    with pytest.raises(RuntimeError):
        await writer.record(make_run())


async def test_writer_prunes_when_given_a_retention(tmp_path):
    with Store.open(tmp_path) as s:
        s.record_run(make_run(at=100))  # decades old
    writer = StoreWriter(Store.open(tmp_path), retention=30 * DAY)
    try:
        await writer.record(make_run(at=2e9))  # a run from the far future: kept
        await writer.flush()
    finally:
        writer.close()
    with Store.open(tmp_path) as s:
        assert [r.finished_at for r in s.recent_runs("a")] == [2e9]


# ------------------------------------------------------------------ secrets


def test_no_secret_reaches_the_database_file(tmp_path):
    secret = "sk-live-7f3a9c2e5b1d4f6a"
    agent = AgentConfig(
        id="support-bot",
        name="Support Bot",
        url="http://127.0.0.1:9/v1/chat/completions",
        headers={"Authorization": f"Bearer {secret}"},
        header_templates={"Authorization": "Bearer ${SUPPORT_BOT_TOKEN}"},
        regions=("us",),
    )
    config = Config(agents=(agent,), regions={"us": Region("us")}, secrets=frozenset({secret}))
    # An agent that echoes the token back, and error text quoting it: the worst case.
    requests = [
        RequestResult("us", "validation", 100.0, ok=True, status=200, ttfb=0.2,
                      answer=f"your token is {secret}"),
        RequestResult("us", "validation", 100.0, ok=False, error="HTTP_401", status=401,
                      detail=f'{{"error": "bad key {secret}"}}'),
        RequestResult("us", "validation", 100.0, ok=False, error=f"weird {secret}",
                      detail=f"Authorization: Bearer {secret}"),
        RequestResult("us", "gold", 100.0, ok=False, error="EVAL_FAIL", ttfb=0.3,
                      answer=secret, gold_index=0),
    ]
    overall, regions = summarize(
        requests, agent.regions, ttfb_sla=agent.ttfb_sla, thresholds=Thresholds()
    )
    store = Store.open(tmp_path)
    for i in range(3):
        store.record_run(
            RunResult(agent.id, 100.0 + i * 60, 101.0 + i * 60, overall, regions,
                      tuple(requests))
        )
    store.mark_unknown(agent.id, 500)
    store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    [run] = store.recent_runs(agent.id, limit=1)
    assert run.errors == {"EVAL_FAIL": 1, "HTTP_401": 1, "OTHER": 1}
    raw = b""
    for f in tmp_path.iterdir():
        if f.name.startswith(db.DB_FILENAME):
            raw += f.read_bytes()
    store.close()
    assert raw, "the database files were not found"
    for s in config.secrets:
        assert s.encode() not in raw
        assert s[4:].encode() not in raw  # not even the tail of the token


def test_database_file_is_plain_sqlite_for_other_tools(store):
    store.record_run(make_run(at=100))
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    finally:
        conn.close()
