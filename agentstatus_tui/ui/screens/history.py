"""The full-screen history of one agent (`h`): uptime, outages, every verdict change."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...engine import events
from ...engine.frontend import MonitorAPI
from ...engine.history import uptime
from ...engine.history.records import Transition
from ...engine.history.uptime import Outage, fold_short_gaps, short_gap
from ...engine.model import Verdict
from ...engine.snapshots import AgentSnapshot
from ...engine.text import duration
from .. import format as fmt
from ..widgets.grid import StyledCell, verdict_component
from ..widgets.latency_bars import LatencyBars
from ..widgets.list_table import ListTable

WEEK = 7 * 86400.0
MAX_TRANSITIONS = 500


async def agent_transitions(api: MonitorAPI, state: AgentSnapshot) -> list[Transition]:
    """Overall verdict changes, newest first, from the store (they survive restarts),
    without the short UNKNOWN gaps of restarts and pauses."""
    try:
        oldest_first = list(await api.transitions(state.agent.id, limit=MAX_TRANSITIONS))
    except Exception:  # a busy or broken store must not close the screen
        oldest_first = [t for t in reversed(state.transitions) if t.region is None]
    return list(reversed(fold_short_gaps(oldest_first, short_gap(state.agent.interval))))


def uptime_text(state: AgentSnapshot) -> str:
    parts = [f"{k} {fmt.uptime(v)}" for k, v in state.uptime.items()]
    return "uptime  " + ("   ".join(parts) if parts else "no data yet")


async def outage_rows(
    api: MonitorAPI, agent_id: str, changes: list[Transition], now: float
) -> list[Outage]:
    """DOWN stretches of the last 7 days, newest first."""
    try:
        found = await api.outages(agent_id, now - WEEK, now)
    except Exception:  # a busy or broken store: the verdict changes at hand
        points = [(t.at, Verdict(t.current)) for t in reversed(changes)]
        found = uptime.outages(points, now - WEEK, now)
    return list(reversed(found))


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,h", "app.pop_screen", "back", id="history-close"),
    ]
    DEFAULT_CSS = """
    HistoryScreen { layout: vertical; }
    HistoryScreen #history-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    HistoryScreen #history-uptime { height: 1; padding: 0 1; }
    HistoryScreen LatencyBars { height: 1; margin: 0 1; }
    HistoryScreen #history-body { height: 1fr; }
    HistoryScreen #history-body > Vertical { width: 1fr; }
    HistoryScreen .label { color: $muted; padding: 0 1; }
    HistoryScreen DataTable { height: 1fr; }
    HistoryScreen > .verdict--up { color: $verdict-up; text-style: $verdict-up-style; }
    HistoryScreen > .verdict--degraded { color: $verdict-degraded; text-style: $verdict-degraded-style; }
    HistoryScreen > .verdict--down { color: $verdict-down; text-style: $verdict-down-style; }
    HistoryScreen > .verdict--unknown { color: $verdict-unknown; text-style: $verdict-unknown-style; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"verdict--up", "verdict--degraded", "verdict--down", "verdict--unknown"}

    def __init__(self, api: MonitorAPI, state: AgentSnapshot, *,
                 clock: Callable[[], float]) -> None:
        super().__init__()
        self.api = api
        self.state = state  # the agent as the last event about it left it
        self.agent_id = state.agent.id
        self.clock = clock
        self._ready = False
        # Kept, never looked up: engine events may arrive before compose or while the
        # app closes.
        self._title = Static("", id="history-title", markup=False)
        self._uptime = Static("", id="history-uptime", markup=False)
        self._spark = LatencyBars(id="history-spark")
        self._changes = ListTable(id="history-transitions", cursor_type="row")
        self._outages = ListTable(id="history-outages", cursor_type="row")

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._uptime
        yield self._spark
        with Horizontal(id="history-body"):
            with Vertical():
                yield Static("verdict changes", classes="label")
                yield self._changes
            with Vertical():
                yield Static("outages, last 7 days", classes="label")
                yield self._outages
        yield Footer()

    async def on_mount(self) -> None:
        self._ready = True
        self._changes.add_columns("WHEN", "FROM", "TO", "LASTED", "WHY")
        self._outages.add_columns("STARTED", "ENDED", "DOWN FOR")
        await self.fill()
        self._changes.focus()

    async def fill(self) -> None:
        if not self._ready:
            return  # on_mount fills it; until then the tables have no columns
        st = self.state
        now = self.clock()
        title = f"{st.agent.name} · history · now {fmt.verdict_word(st.verdict)}"
        if st.since is not None:
            title += f" for {fmt.coarse_duration(now - st.since)}"
        self._title.update(title)
        self._uptime.update(uptime_text(st))
        self._spark.points = st.points
        changes = await agent_transitions(self.api, st)
        table = self._changes
        table.clear()
        newer: float | None = None
        for t in changes:
            prev, cur = Verdict(t.previous), Verdict(t.current)
            table.add_row(
                fmt.when(t.at, now),
                StyledCell(fmt.verdict_word(prev), self, verdict_component(prev)),
                StyledCell(fmt.verdict_word(cur), self, verdict_component(cur)),
                "now" if newer is None else duration(newer - t.at),
                t.reason,
            )
            newer = t.at
        outages = self._outages
        outages.clear()
        for o in await outage_rows(self.api, self.agent_id, changes, now):
            outages.add_row(
                fmt.when(o.start, now),
                "ongoing" if o.end is None else fmt.when(o.end, now),
                duration(o.duration),
            )

    def monitor_event(self, event: events.Event) -> None:
        """Called by the App for every engine event while this screen is open."""
        if isinstance(event, events.TransitionEvent | events.AgentPaused) and (
            event.agent_id == self.agent_id
        ):
            self.state = event.snapshot
            self.run_worker(self.fill(), group="history-fill", exclusive=True,
                            exit_on_error=False)
