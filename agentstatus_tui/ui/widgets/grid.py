"""The agent grid: one row per agent, cells rewritten only when their text changes, and
only rows on the screen cost anything: a row scrolled out of view is brought up to date
when it scrolls back in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from math import ceil
from typing import Any, ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from ...engine.model import Verdict
from ...engine.snapshots import AgentSnapshot
from .. import format as fmt
from ..part_style import part_style
from ..plain import plain_cell
from ..textual_private import skip_measuring, write_cell, write_line_cell

REGION_FULL = 14  # "DEGRADED 245ms", "DOWN TOO_LARGE"
REGION_SHORT = 10  # "DEG 245ms", "DOWN PROTO"
NAME_MIN = 10
NAME_MAX = 28
PAD = 2  # DataTable's cell padding, one each side
SCROLLBAR = 2


def verdict_component(verdict: Verdict) -> str:
    return "verdict--" + ("up" if verdict.is_up else verdict.value.lower())


class StyledCell:
    """A cell's text whose colour is looked up from the grid's CSS when drawn, so a theme
    change restyles every cell without rewriting any."""

    __slots__ = ("component", "owner", "text")

    def __init__(self, text: str, owner: Widget, component: str | None) -> None:
        self.text = text
        self.owner = owner
        self.component = component

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # partial: only the colour and text style, so the cursor row keeps its background
        style = part_style(self.owner, self.component) if self.component else ""
        yield Text(self.text, style=style, no_wrap=True, overflow="ellipsis", end="")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(len(self.text), len(self.text))


@dataclass(frozen=True)
class GridPlan:
    """Which columns fit, and how wide: decided from the width alone."""

    name_width: int
    short: bool  # short region cells and verdict words
    regions: tuple[str, ...]
    eval: bool
    uptime: bool
    last: bool = True

    @property
    def verdict_width(self) -> int:
        return 7 if self.short else 8  # "PAUSED" in both (a paused agent is not UNKNOWN)

    @property
    def region_width(self) -> int:
        return REGION_SHORT if self.short else REGION_FULL

    def width(self) -> int:
        cols = [self.name_width, self.verdict_width]
        cols += [self.region_width] * len(self.regions)
        cols += [4] if self.eval else []
        cols += [6] if self.uptime else []
        cols += [6] if self.last else []
        return sum(c + PAD for c in cols) + SCROLLBAR


def plan_columns(width: int, names: Iterable[str], regions: Sequence[str]) -> GridPlan:
    """Fit the grid into `width`: shorten region cells first, then drop uptime, then eval,
    then narrow the names, then drop regions from the last (the detail pane shows them
    all; at 40 columns none is left: the agent, its verdict and the last run's age).
    Every column kept reads whole, its header too. On a wide terminal names get the room
    they need."""
    wanted = max([NAME_MIN, *(len(n) for n in names)])
    name = min(wanted, NAME_MAX)
    regs = tuple(regions)
    tries = [
        GridPlan(name, False, regs, True, True),
        GridPlan(name, True, regs, True, True),
        GridPlan(name, True, regs, True, False),
        GridPlan(name, True, regs, False, False),
        GridPlan(NAME_MIN + 4, True, regs, False, False),
        GridPlan(NAME_MIN, True, regs, False, False),
    ]
    for plan in tries:
        if plan.width() <= width:
            return plan
    plan = tries[-1]
    while plan.regions and plan.width() > width:
        plan = GridPlan(NAME_MIN, True, plan.regions[:-1], False, False)
    # Every column left reads whole (no sideways scrolling): the room the dropped regions
    # leave goes to the names.
    room = max(0, width - plan.width())
    return replace(plan, name_width=max(plan.name_width, min(name, plan.name_width + room)))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def name_cell(name: str, marker: str, width: int) -> str:
    """The agent's name and its paging marker (`Search Agent ACK`, `Billing FLAPPING`):
    the name gives way first, the marker is cut only when the name has no room left."""
    if not marker:
        return _cut(name, width)
    room = width - len(marker) - 1
    if room >= 3:
        return f"{_cut(name, room)} {marker}"
    return _cut(f"{name} {marker}", width)


STALE = "verdict--unknown"  # what the dashboard knew before it lost its daemon
UNKNOWN_STYLE = verdict_component(Verdict.UNKNOWN)  # dim: nothing is polled (paused)


def row_texts(
    state: AgentSnapshot, plan: GridPlan, now: float, *, stale: bool = False
) -> dict[str, tuple[str, str | None]]:
    """column key -> (text, style component) for one agent's row. A `stale` row (an
    attached dashboard lost its daemon) keeps its words in the UNKNOWN style: the last
    thing known, no longer known to be true."""
    agent = state.agent
    last = state.last
    paused = state.paused
    verdict: Verdict = state.verdict
    out: dict[str, tuple[str, str | None]] = {}
    out["name"] = (name_cell(agent.name, state.paging.marker, plan.name_width), None)
    skipped = fmt.eval_skipped(len(agent.gold_prompts), last.overall if last else None)
    word = fmt.PAUSED if paused else fmt.verdict_word(verdict, short=plan.short,
                                                       eval_skipped=skipped)
    out["verdict"] = (word, STALE if stale else verdict_component(verdict))
    region_verdicts: Mapping[str, Verdict] = state.region_verdicts
    for region in plan.regions:
        if region not in agent.regions:
            out["r:" + region] = ("", None)
            continue
        if paused:
            out["r:" + region] = (fmt.PAUSED, STALE if stale else UNKNOWN_STYLE)
            continue
        stats = last.regions.get(region) if last is not None else None
        rv = region_verdicts.get(region) or (stats.verdict if stats else Verdict.UNKNOWN)
        cell = fmt.region_cell(rv, stats, short=plan.short,
                               eval_skipped=fmt.eval_skipped(len(agent.gold_prompts), stats))
        out["r:" + region] = (cell, STALE if stale else verdict_component(rv))
    if plan.eval:
        if last is None:
            text = fmt.NONE
        elif not agent.gold_prompts:
            text = "n/a"  # no semantic check configured: the verdict is REACHABLE at best
        elif skipped:
            text = "skip"  # configured, but no gold prompt got a slot this run
        else:
            text = fmt.percent(last.overall.eval_pass, none=fmt.NONE)
        out["eval"] = (text, None)
    if plan.uptime:
        up = state.uptime.get("24h", state.uptime.get("session"))
        out["uptime"] = (fmt.uptime(up), None)
    if plan.last:
        ago = fmt.age(now - last.finished_at) if last is not None else fmt.NONE
        mark = " " + fmt.IN_FLIGHT_MARK if state.in_flight else ""
        out["last"] = (ago + mark, None)
    return out


def set_cell_quietly(table: DataTable[Any], row: str, column: str, value: Any) -> None:
    """`update_cell`, but repainting only that cell. DataTable.update_cell refreshes
    the whole table, which rewrites every row on the terminal (kilobytes per change over
    SSH); a cell's region is a few dozen bytes."""
    row_key, col_key = RowKey(row), ColumnKey(column)
    col = table.columns[col_key]
    text = getattr(value, "text", value)
    if col.auto_width and isinstance(text, str) and len(text) > col.content_width:
        # Wider than the column: let DataTable re-measure (a full repaint, but rare:
        # columns only grow, e.g. from "-" to "245ms" on an agent's first run).
        table.update_cell(row_key, col_key, value, update_width=True)
        return
    write_cell(table, row_key, col_key, value)


class AgentGrid(DataTable[Any]):
    """One row per agent. The App hands it states; it writes only cells whose text
    changed, and only in rows on the screen, so an idle dashboard sends nothing to the
    terminal and 500 agents cost what the 20 rows in view cost."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "verdict--up",
        "verdict--degraded",
        "verdict--down",
        "verdict--unknown",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "down", show=False, id="down", tooltip="Select the next agent"),
        Binding("k", "cursor_up", "up", show=False, id="up", tooltip="Select the previous agent"),
    ]
    DEFAULT_CSS = """
    AgentGrid { height: auto; max-height: 1fr; }
    AgentGrid > .verdict--up { color: $verdict-up; text-style: $verdict-up-style; }
    AgentGrid > .verdict--degraded { color: $verdict-degraded; text-style: $verdict-degraded-style; }
    AgentGrid > .verdict--down { color: $verdict-down; text-style: $verdict-down-style; }
    AgentGrid > .verdict--unknown { color: $verdict-unknown; text-style: $verdict-unknown-style; }
    """

    def __init__(
        self,
        regions: Sequence[str],
        uptime_label: str = "24h",
        *,
        clock: Callable[[], float],
        id: str | None = None,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id)
        self.regions = tuple(regions)
        self.uptime_label = uptime_label
        self.clock = clock
        self.plan: GridPlan | None = None
        self._order: list[str] = []  # agent ids, top to bottom
        self._index: dict[str, int] = {}  # agent id -> row
        self._latest: dict[str, AgentSnapshot] = {}  # the newest state of every row
        # agent id -> column -> text in the table's cell. A row missing here has empty
        # cells: it has not been on the screen since the rows were built.
        self._shown: dict[str, dict[str, tuple[str, str | None]]] = {}  # (text, style)
        self.stale = False  # the engine is out of reach: every row is what it last said
        self._building = False
        self.writes = 0  # cells written since start: lets tests see that idle means idle

    # ------------------------------------------------------------------ layout

    def _columns(self, plan: GridPlan) -> list[tuple[str, str, int]]:
        cols = [("AGENT", "name", plan.name_width), ("VERDICT", "verdict", plan.verdict_width)]
        cols += [(r, "r:" + r, plan.region_width) for r in plan.regions]
        if plan.eval:
            cols.append(("EVAL", "eval", 4))
        if plan.uptime:
            cols.append((self.uptime_label, "uptime", 6))
        if plan.last:
            cols.append(("LAST", "last", 6))
        return cols

    def show(self, states: Iterable[AgentSnapshot], width: int | None = None) -> None:
        """Rebuild rows for these agents (start, filter, a width that changes the plan).
        Only rows that can be on the screen once the cursor is placed get their cells
        now; the others get them when they scroll into view."""
        keep = self.cursor_row
        selected = self.selected_id
        states = list(states)
        self._latest = {st.agent.id: st for st in states}
        self._order = list(self._latest)
        self._index = {agent_id: i for i, agent_id in enumerate(self._order)}
        width = width or self.size.width or self.app.size.width
        names = [st.agent.name for st in states] or ["AGENT"]
        plan = plan_columns(width, names, self.regions)
        if selected is not None and selected in self._index:
            cursor = self._index[selected]
        else:
            cursor = min(max(keep, 0), len(states) - 1)
        # The screen shows rows from the top (the table starts unscrolled) until the
        # cursor is scrolled into view: build both stretches.
        height = max(self.size.height, self.app.size.height)
        near = range(max(0, cursor - height), cursor + height)
        self._building = True  # clearing scrolls to the top: no syncing of old rows
        try:
            with self.app.batch_update():
                if plan != self.plan:
                    self.clear(columns=True)
                    for label, key, w in self._columns(plan):
                        self.add_column(plain_cell(label), width=w, key=key)
                    self.plan = plan
                else:
                    self.clear()
                self._shown.clear()
                now = self.clock()
                for i, st in enumerate(states):
                    agent_id = st.agent.id
                    if i < height or i in near:
                        texts = row_texts(st, plan, now, stale=self.stale)
                        self.add_row(
                            *(StyledCell(t, self, c) for t, c in texts.values()), key=agent_id
                        )
                        self._shown[agent_id] = dict(texts)
                    else:
                        self.add_row(key=agent_id)
                skip_measuring(self)  # fixed column widths, one-line rows
                if states:
                    self.move_cursor(row=cursor)
        finally:
            self._building = False

    @property
    def rows_by_id(self) -> list[str]:
        return list(self._order)

    def has_agent(self, agent_id: str) -> bool:
        return agent_id in self._index

    @property
    def selected_id(self) -> str | None:
        row = self.cursor_row
        if not self.row_count or not 0 <= row < len(self._order):
            return None
        return self._order[row]

    def on_resize(self) -> None:
        if self.plan is None:
            return
        names = [st.agent.name for st in self._latest.values()] or ["AGENT"]
        if plan_columns(self.size.width, names, self.regions) != self.plan:
            self.show(self._latest.values(), self.size.width)
        else:
            self.sync_visible()  # a taller grid shows more rows

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Rows coming into view get their newest text before they are drawn.
        self.sync_visible()

    def visible_rows(self) -> range:
        """Indexes of the rows on the screen (all that may be, before the first layout)."""
        height = self.size.height or self.app.size.height
        top = max(0, int(self.scroll_y))
        return range(top, min(len(self._order), ceil(self.scroll_y) + height))

    # ------------------------------------------------------------------ updates

    def update_agent(self, state: AgentSnapshot) -> int:
        """Keep the newest state of one agent; if its row is on the screen, rewrite the
        cells whose text changed. Returns how many were written."""
        agent_id = state.agent.id
        index = self._index.get(agent_id)
        if self.plan is None or index is None:
            return 0
        self._latest[agent_id] = state  # the ticking "LAST" ages are worked out from it
        if index not in self.visible_rows():
            return 0  # written when it scrolls into view
        return self._write(index, state, row_texts(state, self.plan, self.clock(),
                                                   stale=self.stale))

    def set_stale(self, stale: bool) -> int:
        """Mark every row stale (or fresh again): the rows on the screen now, the others
        when they scroll into view. Returns the cells rewritten."""
        self.stale = stale
        return self.sync_visible()

    def tick(self) -> int:
        """Refresh the "LAST" ages of the rows on the screen; touches only cells whose
        coarse text changed."""
        if self.plan is None or not self.plan.last:
            return 0
        return self.sync_visible()

    def sync_visible(self) -> int:
        """Bring every row on the screen up to its agent's newest state and the clock."""
        if self.plan is None or self._building:
            return 0
        now = self.clock()
        changed = 0
        for index in self.visible_rows():
            state = self._latest[self._order[index]]
            changed += self._write(index, state, row_texts(state, self.plan, now,
                                                           stale=self.stale))
        return changed

    def _write(self, index: int, state: AgentSnapshot,
               texts: Mapping[str, tuple[str, str | None]]) -> int:
        agent_id = state.agent.id
        shown = self._shown.setdefault(agent_id, {})
        todo = [(col, t, c) for col, (t, c) in texts.items() if shown.get(col) != (t, c)]
        if not todo:
            return 0
        row_key = RowKey(agent_id)
        with self.app.batch_update():
            for col, t, c in todo:
                write_line_cell(self, index, row_key, ColumnKey(col), StyledCell(t, self, c))
                shown[col] = (t, c)
        self.writes += len(todo)
        return len(todo)

    def cell_text(self, agent_id: str, column: str) -> str | None:
        """The text of one cell as drawn; for a row off the screen, as it will be drawn
        when it scrolls into view (for tests and the help of people reading code)."""
        index = self._index.get(agent_id)
        if index is None or self.plan is None:
            return None
        return self._cell(agent_id, column)[0]

    def cell_style(self, agent_id: str, column: str) -> str | None:
        """The style component of one cell (`verdict--down`, …), as `cell_text` finds it."""
        return self._cell(agent_id, column)[1]

    def _cell(self, agent_id: str, column: str) -> tuple[str | None, str | None]:
        index = self._index.get(agent_id)
        if index is None or self.plan is None:
            return None, None
        if index in self.visible_rows():
            return self._shown.get(agent_id, {}).get(column, (None, None))
        found = row_texts(self._latest[agent_id], self.plan, self.clock(),
                          stale=self.stale).get(column)
        return found if found is not None else (None, None)
