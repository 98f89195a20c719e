"""The agent grid: one row per agent, cells rewritten only when their text changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from ...engine.model import Verdict
from ...engine.snapshots import AgentSnapshot
from .. import format as fmt
from ..part_style import part_style
from ..plain import plain_cell
from ..textual_private import write_cell

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
    then narrow the names, then drop the last regions (the detail pane shows them all).
    On a wide terminal names get the room they need."""
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
    while len(plan.regions) > 1 and plan.width() > width:
        plan = GridPlan(NAME_MIN, True, plan.regions[:-1], False, False)
    return plan


def row_texts(
    state: AgentSnapshot, plan: GridPlan, now: float
) -> dict[str, tuple[str, str | None]]:
    """column key -> (text, style component) for one agent's row."""
    agent = state.agent
    last = state.last
    paused = state.paused
    verdict: Verdict = state.verdict
    out: dict[str, tuple[str, str | None]] = {}
    name = agent.name
    if len(name) > plan.name_width:
        name = name[: plan.name_width - 1] + "…"
    out["name"] = (name, None)
    skipped = fmt.eval_skipped(len(agent.gold_prompts), last.overall if last else None)
    word = "PAUSED" if paused else fmt.verdict_word(verdict, short=plan.short,
                                                     eval_skipped=skipped)
    out["verdict"] = (word, verdict_component(verdict))
    region_verdicts: Mapping[str, Verdict] = state.region_verdicts
    for region in plan.regions:
        if region not in agent.regions:
            out["r:" + region] = ("", None)
            continue
        stats = last.regions.get(region) if last is not None else None
        rv = region_verdicts.get(region) or (stats.verdict if stats else Verdict.UNKNOWN)
        if paused:
            rv, stats = Verdict.UNKNOWN, None
        cell = fmt.region_cell(rv, stats, short=plan.short,
                               eval_skipped=fmt.eval_skipped(len(agent.gold_prompts), stats))
        out["r:" + region] = (cell, verdict_component(rv))
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
    changed, so an idle dashboard sends nothing to the terminal."""

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
        self._states: list[AgentSnapshot] = []
        self._shown: dict[tuple[str, str], str] = {}  # (agent id, column) -> text on screen
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
        """Rebuild rows for these agents (start, filter, a width that changes the plan)."""
        self._states = list(states)
        width = width or self.size.width or self.app.size.width
        names = [s.agent.name for s in self._states] or ["AGENT"]
        plan = plan_columns(width, names, self.regions)
        keep = self.cursor_row
        selected = self.selected_id
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
            for st in self._states:
                texts = row_texts(st, plan, now)
                self.add_row(
                    *(StyledCell(t, self, c) for t, c in texts.values()), key=st.agent.id
                )
                for col, (t, _) in texts.items():
                    self._shown[(st.agent.id, col)] = t
            if selected is not None and selected in self.rows_by_id:
                self.move_cursor(row=self.rows_by_id.index(selected))
            elif self.row_count:
                self.move_cursor(row=min(keep, self.row_count - 1))

    @property
    def rows_by_id(self) -> list[str]:
        return [st.agent.id for st in self._states]

    @property
    def selected_id(self) -> str | None:
        if not self.row_count or self.cursor_row < 0:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        except Exception:
            return None
        return key.value

    def on_resize(self) -> None:
        if self.plan is None:
            return
        names = [s.agent.name for s in self._states] or ["AGENT"]
        if plan_columns(self.size.width, names, self.regions) != self.plan:
            self.show(self._states, self.size.width)

    # ------------------------------------------------------------------ updates

    def update_agent(self, state: AgentSnapshot) -> int:
        """Rewrite the cells of one agent whose text changed; returns how many."""
        if self.plan is None or state.agent.id not in self.rows_by_id:
            return 0
        # Keep the newest snapshot: the ticking "LAST" ages are worked out from it.
        self._states[self.rows_by_id.index(state.agent.id)] = state
        return self._write(state, row_texts(state, self.plan, self.clock()))

    def tick(self) -> int:
        """Refresh the "LAST" ages; touches only cells whose coarse text changed."""
        if self.plan is None or not self.plan.last:
            return 0
        now = self.clock()
        changed = 0
        for st in self._states:
            text = row_texts(st, self.plan, now)["last"]
            changed += self._write(st, {"last": text})
        return changed

    def _write(self, state: AgentSnapshot, texts: Mapping[str, tuple[str, str | None]]) -> int:
        agent_id = state.agent.id
        todo = [
            (col, t, c) for col, (t, c) in texts.items() if self._shown.get((agent_id, col)) != t
        ]
        if not todo:
            return 0
        with self.app.batch_update():
            for col, t, c in todo:
                self._set_cell(agent_id, col, StyledCell(t, self, c))
                self._shown[(agent_id, col)] = t
        self.writes += len(todo)
        return len(todo)

    def _set_cell(self, agent_id: str, column: str, value: StyledCell) -> None:
        set_cell_quietly(self, agent_id, column, value)

    def cell_text(self, agent_id: str, column: str) -> str | None:
        """The text on screen in one cell (for tests and the help of people reading code)."""
        return self._shown.get((agent_id, column))
