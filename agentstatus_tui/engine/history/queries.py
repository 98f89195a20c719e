"""The history store's reads: transitions, runs, uptime, outages, reports and the
dashboard's start-up history. Mixed into Store, which owns the connection."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..model import RunResult, Verdict
from . import uptime
from .excluded import Interval, leave_out
from .records import (
    AgentHistory,
    AgentReport,
    RegionReport,
    RunRecord,
    Transition,
    run_record_from_row,
    transition_from_row,
)
from .uptime import Outage, Point, Summary

# (agent id, region or None for overall) -> stretches of a report window to leave out.
LeftOut = Callable[[str, str | None], Sequence[Interval]]
UPTIME_WINDOWS: Mapping[str, float] = {"24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0}
_VERDICTS: Mapping[str, Verdict] = {v.value: v for v in Verdict}

# The change in force at a window's start (the last at or before it) and every later one,
# in one range read of the (agent_id, region, at) index.
_POINTS_SQL = (
    "SELECT at, current FROM transitions WHERE agent_id = ? AND region IS ? AND at >= coalesce("
    "(SELECT at FROM transitions WHERE agent_id = ? AND region IS ? AND at <= ?"
    " ORDER BY at DESC LIMIT 1), ?) ORDER BY at, id"
)


def uptimes_at(points: Sequence[Point], now: float) -> dict[str, float | None]:
    """Uptime over each of UPTIME_WINDOWS up to `now`, from `uptime_points`."""
    return {name: uptime.uptime(points, now - span, now) for name, span in UPTIME_WINDOWS.items()}


class HistoryQueries:
    conn: sqlite3.Connection

    def last_transition_id(self) -> int:
        """The newest transition id (0 when none): where a new cursor starts."""
        row = self.conn.execute("SELECT MAX(id) FROM transitions").fetchone()
        return int(row[0] or 0)

    def transitions_after(
        self, last_id: int, *, overall_only: bool = True, limit: int | None = None
    ) -> list[Transition]:
        """Transitions with id > `last_id`, oldest first: a consumer's cursor (alert outbox,
        incidents) moves over these."""
        sql = "SELECT * FROM transitions WHERE id > ?"
        if overall_only:
            sql += " AND region IS NULL"
        sql += " ORDER BY id"
        params: list[Any] = [last_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [transition_from_row(r) for r in self.conn.execute(sql, params)]

    def last_verdicts(self) -> dict[str, dict[str | None, tuple[Verdict, float]]]:
        """agent → region (None = overall) → (verdict, since)."""
        out: dict[str, dict[str | None, tuple[Verdict, float]]] = {}
        for agent_id, region, verdict, since in self.conn.execute(
            "SELECT agent_id, region, verdict, since FROM agent_state"
        ):
            out.setdefault(agent_id, {})[region or None] = (Verdict(verdict), since)
        return out

    def agent_ids(self) -> list[str]:
        """Every agent the store has heard of, sorted."""
        rows = self.conn.execute(
            "SELECT agent_id FROM agent_state WHERE region = '' ORDER BY agent_id"
        )
        return [r[0] for r in rows]

    def regions(self, agent_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT region FROM agent_state WHERE agent_id = ? AND region != '' ORDER BY region",
            (agent_id,),
        )
        return [r[0] for r in rows]

    def recent_runs(
        self,
        agent_id: str,
        limit: int = 60,
        region: str | None = None,
        *,
        since: float | None = None,
    ) -> list[RunRecord]:
        """The last `limit` runs (overall, or of `region`), oldest first."""
        sql = "SELECT * FROM runs WHERE agent_id = ? AND region IS ?"
        params: list[Any] = [agent_id, region]
        if since is not None:
            sql += " AND started_at >= ?"
            params.append(since)
        sql += " ORDER BY started_at DESC LIMIT ?"
        params.append(limit)
        rows = self.conn.execute(sql, params).fetchall()
        return [run_record_from_row(r) for r in reversed(rows)]

    def transitions(
        self,
        agent_id: str,
        *,
        since: float | None = None,
        until: float | None = None,
        region: str | None = None,
        overall: bool = True,
        limit: int | None = None,
    ) -> list[Transition]:
        """An agent's transitions, oldest first: of `region` if given, else overall ones
        (`overall=False`: overall and every region). `limit` keeps the newest."""
        sql = "SELECT * FROM transitions WHERE agent_id = ?"
        params: list[Any] = [agent_id]
        if region is not None:
            sql += " AND region = ?"
            params.append(region)
        elif overall:
            sql += " AND region IS NULL"
        if since is not None:
            sql += " AND at >= ?"
            params.append(since)
        if until is not None:
            sql += " AND at <= ?"
            params.append(until)
        sql += " ORDER BY at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [transition_from_row(r) for r in reversed(self.conn.execute(sql, params).fetchall())]

    def points(
        self, agent_id: str, since: float, until: float | None = None, region: str | None = None
    ) -> list[Point]:
        """(at, verdict) changes needed for a window: the one in force at `since` and every
        later one. One indexed range read: cost grows with changes, not runs. Changes after
        `until` are kept on purpose: they tell an outage past a closed window from an
        ongoing one (and there are none when `until` is now)."""
        del until  # see above: the arithmetic clips, the read does not
        cur = self.conn.cursor()
        cur.row_factory = None  # plain tuples: a 30-day report reads every change
        rows = cur.execute(_POINTS_SQL, (agent_id, region, agent_id, region, since, since))
        return [(at, _VERDICTS[v]) for at, v in rows]

    def uptime(
        self, agent_id: str, since: float, until: float | None = None, region: str | None = None
    ) -> float | None:
        """Time UP/REACHABLE ÷ time with a known verdict in [since, until or now)."""
        end = time.time() if until is None else until
        return uptime.uptime(self.points(agent_id, since, until, region), since, end)

    def uptimes(self, agent_id: str, now: float) -> dict[str, float | None]:
        """Overall uptime over each of UPTIME_WINDOWS (24h, 7d, 30d) from one read."""
        return uptimes_at(self.uptime_points(agent_id, now), now)

    def uptime_points(self, agent_id: str, now: float) -> list[Point]:
        """The overall changes every window of `uptimes` needs, as of `now` (still right
        for a later `now` until the agent's verdict changes again)."""
        return self.points(agent_id, now - max(UPTIME_WINDOWS.values()))

    def outages(
        self, agent_id: str, since: float, until: float | None = None, region: str | None = None
    ) -> list[Outage]:
        end = time.time() if until is None else until
        return uptime.outages(self.points(agent_id, since, until, region), since, end)

    def summary(
        self, agent_id: str, since: float, until: float | None = None, region: str | None = None
    ) -> Summary:
        end = time.time() if until is None else until
        return uptime.summarize(self.points(agent_id, since, until, region), since, end)

    def report(
        self, since: float, until: float | None = None, agent_ids: Iterable[str] | None = None,
        left_out: LeftOut | None = None,
    ) -> list[AgentReport]:
        """Per agent (and per region): uptime, outages, MTTR, MTBF and the verdict now.
        Agents the store never saw are reported with no data (uptime None).
        `left_out(agent_id, region)` (region None: overall) gives stretches of the window
        to leave out (maintenance): UNKNOWN there, and each summary says how much known
        time that took away (`excluded`)."""
        end = time.time() if until is None else until
        state = self.last_verdicts()
        ids = sorted(state) if agent_ids is None else list(agent_ids)

        def summarize(agent_id: str, region: str | None) -> Summary:
            pts = self.points(agent_id, since, region=region)
            full = uptime.summarize(pts, since, end)
            spans = left_out(agent_id, region) if left_out is not None else ()
            if not spans:
                return full
            kept = uptime.summarize(leave_out(pts, spans, end), since, end)
            return dataclasses.replace(kept, excluded=full.known - kept.known)

        out: list[AgentReport] = []
        for agent_id in ids:
            regions_state = state.get(agent_id, {})
            verdict, vsince = regions_state.get(None, (Verdict.UNKNOWN, None))
            regions = {
                name: RegionReport(name, v, s, summarize(agent_id, name))
                for name, (v, s) in sorted(
                    (k, vs) for k, vs in regions_state.items() if k is not None
                )
            }
            overall = summarize(agent_id, None)
            out.append(AgentReport(agent_id, verdict, vsince, overall, regions))
        return out

    def dashboard_history(
        self,
        agent_ids: Iterable[str],
        now: float,
        sparkline: int = 60,
        transitions: int = 50,
    ) -> dict[str, AgentHistory]:
        """Everything the dashboard shows of each agent right after a restart: verdicts,
        the last run, sparkline points, recent transitions and 24h/7d/30d uptime. Agents
        the store never saw are left out."""
        ids = list(agent_ids)
        wanted = set(ids)
        state: dict[str, dict[str | None, tuple[Verdict, float, int | None]]] = {}
        for agent_id, region, verdict, since, run_id in self.conn.execute(
            "SELECT agent_id, region, verdict, since, last_run_id FROM agent_state"
        ):
            if agent_id in wanted:
                state.setdefault(agent_id, {})[region or None] = (Verdict(verdict), since, run_id)
        last_rows = self._runs_by_id(
            [v[2] for regions in state.values() for v in regions.values() if v[2] is not None]
        )
        out: dict[str, AgentHistory] = {}
        for agent_id in ids:
            regions = state.get(agent_id)
            if not regions:
                continue
            verdict, since, run_id = regions.get(None, (Verdict.UNKNOWN, None, None))
            last = None
            overall_row = last_rows.get(run_id) if run_id is not None else None
            if overall_row is not None:
                same_run = {
                    name: last_rows[v[2]].stats()
                    for name, v in regions.items()
                    if name is not None and v[2] in last_rows
                    and last_rows[v[2]].started_at == overall_row.started_at
                }
                last = RunResult(
                    agent_id=agent_id,
                    started_at=overall_row.started_at,
                    finished_at=overall_row.finished_at,
                    overall=overall_row.stats(),
                    regions=same_run,
                    manual=overall_row.manual,
                )
            spark = [
                r[0]
                for r in reversed(
                    self.conn.execute(
                        "SELECT ttfb_p50 FROM runs WHERE agent_id = ? AND region IS NULL"
                        " ORDER BY started_at DESC LIMIT ?",
                        (agent_id, sparkline),
                    ).fetchall()
                )
            ]
            recent = [
                transition_from_row(r)
                for r in self.conn.execute(
                    "SELECT * FROM transitions WHERE agent_id = ? AND region IS NULL"
                    " ORDER BY at DESC, id DESC LIMIT ?",
                    (agent_id, transitions),
                )
            ]
            out[agent_id] = AgentHistory(
                agent_id=agent_id,
                verdict=verdict,
                since=since,
                region_verdicts={k: v[0] for k, v in regions.items() if k is not None},
                last=last,
                sparkline=spark,
                transitions=recent,
                uptime=self.uptimes(agent_id, now),
                region_since={k: v[1] for k, v in regions.items() if k is not None},
            )
        return out

    def _runs_by_id(self, ids: list[int]) -> dict[int, RunRecord]:
        out: dict[int, RunRecord] = {}
        # Chunked: SQLite caps the number of bound parameters per statement.
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(f"SELECT * FROM runs WHERE id IN ({marks})", chunk):
                out[r["id"]] = run_record_from_row(r)
        return out
