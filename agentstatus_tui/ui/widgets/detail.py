"""The detail pane of the selected agent: regions, latency sparkline, last failure and
verdict history. Each part is redrawn only when its own text changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from ...engine.history.records import Transition
from ...engine.history.uptime import fold_short_gaps, short_gap
from ...engine.model import Verdict
from ...engine.secrets import redact
from ...engine.snapshots import AgentSnapshot
from ...engine.text import duration
from .. import format as fmt
from ..plain import plain
from .grid import STALE, StyledCell, set_cell_quietly, verdict_component
from .latency_bars import LatencyBars
from .list_table import ListTable

REGION_COLUMNS = ("REGION", "VERDICT", "P50", "P95", "REACH", "EVAL", "ERRORS")
# Said after the title while the engine is out of reach (an attached dashboard whose
# daemon is gone): what the pane shows is the last word, no longer known to be true.
STALE_MARK = " · stale (disconnected)"


def title_text(state: AgentSnapshot, now: float) -> str:
    """`Support Bot · UP for 14h 41m` — minutes at most, so it rarely changes."""
    last = state.last.overall if state.last is not None else None
    skipped = fmt.eval_skipped(len(state.agent.gold_prompts), last)
    verdict = fmt.PAUSED if state.paused else fmt.verdict_word(state.verdict, eval_skipped=skipped)
    badge = state.paging.badge()
    paging = f" · {badge}" if badge else ""
    if state.since is None:
        return f"{state.agent.name} · {verdict}{paging}"
    return (f"{state.agent.name} · {verdict} for {fmt.coarse_duration(now - state.since)}"
            f"{paging}")


def region_rows(state: AgentSnapshot, *, stale: bool = False
                ) -> list[tuple[tuple[str, str | None], ...]]:
    """One row per region; `stale` draws every verdict in the UNKNOWN style, as the grid
    draws a stale row."""
    rows = _region_rows(state)
    if not stale:
        return rows
    return [(row[0], (row[1][0], STALE), *row[2:]) for row in rows]


def _region_rows(state: AgentSnapshot) -> list[tuple[tuple[str, str | None], ...]]:
    last = state.last
    rows: list[tuple[tuple[str, str | None], ...]] = []
    for region in state.agent.regions:
        if state.paused:
            rows.append(((region, None), (fmt.PAUSED, verdict_component(Verdict.UNKNOWN)),
                         *((fmt.NONE, None),) * 5))
            continue
        stats = None if last is None else last.regions.get(region)
        if stats is None or stats.discarded:
            verdict = Verdict.UNKNOWN
            why = "canary failed" if stats is not None else fmt.NONE
            rows.append(
                (
                    (region, None),
                    (fmt.verdict_word(verdict), verdict_component(verdict)),
                    *((fmt.NONE, None),) * 4,
                    (why, None),
                )
            )
            continue
        missing_eval = "n/a" if not state.agent.gold_prompts else fmt.NONE
        if fmt.eval_skipped(len(state.agent.gold_prompts), stats):
            missing_eval = "not run"
        rows.append(
            (
                (region, None),
                (fmt.verdict_word(stats.verdict, eval_skipped=fmt.eval_skipped(
                    len(state.agent.gold_prompts), stats)), verdict_component(stats.verdict)),
                (fmt.latency(stats.ttfb_p50), None),
                (fmt.latency(stats.ttfb_p95), None),
                (fmt.percent(stats.reachability, none=fmt.NONE), None),
                (fmt.percent(stats.eval_pass, none=missing_eval), None),
                (fmt.error_counts(stats.errors), None),
            )
        )
    return rows


def failure_text(state: AgentSnapshot, secrets: Iterable[str]) -> str:
    """The last failing request: when, where, what came back — secrets masked."""
    f = state.last_failure
    if f is None:
        return "last failure: none seen"
    what = f.error or "failed"
    status = f" · status {f.status}" if f.status is not None and not what.startswith("HTTP_") else ""
    head = f"last failure {fmt.clock(f.started_at)} · {f.region} · {f.kind} · {what}{status}"
    if f.elapsed is not None:
        head += f" · {fmt.latency(f.elapsed)}"
    body = fmt.snippet(f.detail or f.answer or "", 200)
    text = head + ("\n" + body if body else "")
    return redact(text, secrets)


def latency_label(state: AgentSnapshot) -> str:
    """`p50 latency, last 12 runs (0–1.4s) · 310ms now` (the bars' scale in brackets); a
    DOWN agent says so rather than show the latency of its failing answers as now's."""
    points = list(state.points)
    answered = [p for p in points if p is not None]
    if state.last is None or not answered:
        return "p50 latency: no answer yet"
    head = f"p50 latency, {fmt.runs(len(points))} (0–{fmt.latency(max(answered))})"
    latest = points[-1]
    if state.verdict is Verdict.DOWN:
        return f"{head} · DOWN now"
    if latest is None:
        return f"{head} · no answer now"
    return f"{head} · {fmt.latency(latest)} now"


def folded_newest_first(state: AgentSnapshot) -> list[Transition]:
    """The agent's overall verdict changes, newest first, without the short UNKNOWN gaps
    of restarts and pauses (they are not news; uptime still counts them as unknown)."""
    overall = [t for t in reversed(state.transitions) if t.region is None]
    return list(reversed(fold_short_gaps(overall, short_gap(state.agent.interval))))


def history_rows(state: AgentSnapshot, now: float) -> list[tuple[str, str, str, str | None]]:
    """(when, verdict word, how long it lasted, style) for each overall transition, newest
    first. The ongoing one says `now`, so the list never needs a ticking redraw."""
    rows: list[tuple[str, str, str, str | None]] = []
    newer_at: float | None = None
    for t in folded_newest_first(state):
        current = Verdict(t.current)
        lasted = "now" if newer_at is None else duration(newer_at - t.at)
        rows.append((fmt.when(t.at, now), fmt.verdict_word(current), lasted,
                     verdict_component(current)))
        newer_at = t.at
    return rows


class DetailPane(Vertical):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"verdict--up", "verdict--degraded", "verdict--down", "verdict--unknown"}
    DEFAULT_CSS = """
    DetailPane { border-top: solid $primary; height: 1fr; padding: 0 1; }
    DetailPane #detail-body { height: 1fr; }
    DetailPane #detail-left { width: 3fr; }
    DetailPane #detail-right { width: 2fr; padding-left: 1; border-left: solid $panel; }
    DetailPane DataTable { height: auto; max-height: 100%; }
    DetailPane #regions { max-height: 8; }
    DetailPane #history { height: 1fr; }
    DetailPane .label { color: $muted; }
    DetailPane #last-failure { height: auto; max-height: 3; margin-top: 1; }
    DetailPane LatencyBars { height: 1; margin-bottom: 1; }
    DetailPane > .verdict--up { color: $verdict-up; text-style: $verdict-up-style; }
    DetailPane > .verdict--degraded { color: $verdict-degraded; text-style: $verdict-degraded-style; }
    DetailPane > .verdict--down { color: $verdict-down; text-style: $verdict-down-style; }
    DetailPane > .verdict--unknown { color: $verdict-unknown; text-style: $verdict-unknown-style; }
    """

    def __init__(
        self, *, clock: Callable[[], float], secrets: Iterable[str] = (), id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.secrets = frozenset(secrets)
        self.agent_id: str | None = None
        self._title = ""
        self._regions: list[Any] = []
        self._failure = ""
        self._points: list[float | None] = []
        self._spark_text = ""
        self._history: list[Any] = []
        # Parts are built here and kept, never looked up: the App may hand a state over
        # before this pane is mounted (engine events on a loaded machine) or while the
        # app closes.
        self._region_table: DataTable[Any] = DataTable(id="regions", cursor_type="none",
                                                       show_cursor=False)
        self._region_table.can_focus = False
        self._failure_box = Static("", id="last-failure", markup=False)
        self._spark_label = Static("p50 latency, recent runs", classes="label",
                                   id="spark-label", markup=False)
        self._spark = LatencyBars(id="sparkline")
        self._history_table = HistoryTable(id="history", cursor_type="row")
        self._ready = False
        self._waiting: Any | None = None
        self._state: AgentSnapshot | None = None  # as last shown
        self.stale = False  # the engine is out of reach: the pane is its last word

    def compose(self) -> ComposeResult:
        with Horizontal(id="detail-body"):
            with Vertical(id="detail-left"):
                yield self._region_table
                yield self._failure_box
            with Vertical(id="detail-right"):
                yield self._spark_label
                yield self._spark
                yield Static("verdict history", classes="label", id="history-label")
                yield self._history_table

    def on_mount(self) -> None:
        for label in REGION_COLUMNS:
            self._region_table.add_column(label, key=label)
        for label in ("WHEN", "VERDICT", "LASTED"):
            self._history_table.add_column(label, key=label)
        self._ready = True
        if self._waiting is not None:
            self.show(self._waiting)
            self._waiting = None

    def show(self, state: AgentSnapshot | None) -> None:
        """Show `state` (the selected agent); redraw only the parts whose text changed."""
        if not self._ready:
            self._waiting = state
            return
        self._state = state
        if state is None:
            self.agent_id = None
            self._set_title("no agent selected")
            return
        now = self.clock()
        agent_changed = self.agent_id != state.agent.id
        self.agent_id = state.agent.id
        self._set_title(self._title_text(state, now))
        rows = region_rows(state, stale=self.stale)
        if rows != self._regions:
            table = self._region_table
            same_shape = agent_changed is False and len(rows) == len(self._regions)
            if same_shape:
                # A new run of the same agent: rewrite only the cells that changed.
                for old, new in zip(self._regions, rows, strict=True):
                    for label, before, after in zip(REGION_COLUMNS, old, new, strict=True):
                        if before != after:
                            set_cell_quietly(table, new[0][0], label,
                                             StyledCell(after[0], self, after[1]))
            else:
                table.clear()
                for row in rows:
                    table.add_row(*(StyledCell(t, self, c) for t, c in row), key=row[0][0])
            self._regions = rows
        failure = failure_text(state, self.secrets)
        if failure != self._failure:
            self._failure = failure
            self._failure_box.update(failure)
        points = list(state.points)
        label = latency_label(state)
        if points != self._points or label != self._spark_text:
            self._points, self._spark_text = points, label
            self._spark.points = points
            self._spark_label.update(label)
        history = history_rows(state, now)
        if history != self._history:
            self._history = history
            hist = self._history_table
            hist.clear()
            for when, word, lasted, comp in history:
                hist.add_row(when, StyledCell(word, self, comp), lasted)

    def tick(self, state: AgentSnapshot | None) -> None:
        if state is not None and state.agent.id == self.agent_id:
            self._set_title(self._title_text(state, self.clock()))

    def set_stale(self, stale: bool) -> None:
        """Mark what the pane shows as the last word of an engine out of reach (or as
        fresh again): the title says so and the region verdicts go to the UNKNOWN style."""
        if stale == self.stale:
            return
        self.stale = stale
        self.set_class(stale, "-stale")
        if self._ready:
            self.show(self._state)

    def _title_text(self, state: AgentSnapshot, now: float) -> str:
        return title_text(state, now) + (STALE_MARK if self.stale else "")

    def _set_title(self, text: str) -> None:
        if text != self._title:
            self._title = text
            self.border_title = plain(text)

    @property
    def title(self) -> str:
        return self._title

    @property
    def failure(self) -> str:
        return self._failure

    def region_cell(self, region: str, column: str) -> tuple[str, str | None] | None:
        """(text, style component) of one cell of the regions table, as drawn."""
        index = REGION_COLUMNS.index(column)
        return next((row[index] for row in self._regions if row[0][0] == region), None)


class HistoryTable(ListTable):
    """The verdict history list: focusable (tab) so it scrolls with the arrow keys."""
