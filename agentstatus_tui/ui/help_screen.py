"""The help screen: every key the dashboard and the incident panel answer to, as bound now,
laid out for the terminal's width (descriptions wrap; keys and binding ids never cut)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

KeyRow = tuple[str, str, str]  # (keys, what it does, binding id)
COLUMNS = ("KEY", "WHAT IT DOES", "ID (for keymap:)")
NOTE = "UP· = up, no gold prompts · UP? = gold prompts did not run · ~ = run in flight"
PANEL_NOTE = ("A step's keys act on that step only (the footer lists what works now); "
              "enter moves on without ticking the step: d ticks it.")


def binding_rows(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> list[KeyRow]:
    """Rows for a widget's bindings with the user's keymap applied; `go-1` … `go-8` of
    the incident panel read as one row."""
    rows: list[KeyRow] = []
    steps: list[str] = []
    for b in bindings:
        if not isinstance(b, Binding) or not b.id:
            continue
        key = keymap.get(b.id, b.key)
        shown = ", ".join(_key_display(k, b if k == b.key else replace(b, key=k))
                          for k in key.split(","))
        if b.id.startswith("incident.go-"):
            steps.append(shown)
            continue
        rows.append((shown, b.tooltip or b.description or b.action, b.id))
    if steps:
        rows.append((f"{steps[0]} … {steps[-1]}", "go to step 1 … 8",
                     "incident.go-1 … incident.go-8"))
    return rows


_NAMES = {"question_mark": "?", "slash": "/", "escape": "esc", "enter": "⏎", "space": "space",
          "pageup": "pgup", "pagedown": "pgdn"}


def _key_display(key: str, binding: Binding) -> str:
    if binding.key_display and key == binding.key:
        return binding.key_display
    key = key.strip()
    if key in _NAMES:
        return _NAMES[key]
    return key.replace("ctrl+", "^") if len(key) == 6 and key.startswith("ctrl+") else key


def widths(rows: Sequence[KeyRow], width: int) -> tuple[int, int, int]:
    """Column widths fitting `width`: keys and ids whole, the description the rest."""
    key = max([len(COLUMNS[0]), *(len(r[0]) for r in rows)])
    ident = max([len(COLUMNS[2]), *(len(r[2]) for r in rows)])
    # 2 of cell padding per column, the box's border and padding, a scrollbar
    desc = max(16, width - key - ident - 3 * 2 - 4 - 2)
    return key, desc, ident


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "close", id="help-close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: auto; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen DataTable { height: auto; width: auto; }
    HelpScreen .section { text-style: bold; margin-top: 1; }
    HelpScreen .note { color: $muted; margin-top: 1; }
    """

    def __init__(self, keys: list[KeyRow], incident_keys: list[KeyRow] | None = None,
                 width: int = 120, *, panel_only: bool = False) -> None:
        """The dashboard's keys, then the incident panel's; `panel_only`: the incident
        panel's own `?`, its keys alone (`keys` unused)."""
        super().__init__()
        self.keys = [] if panel_only else keys
        self.incident_keys = incident_keys or []
        self.panel_only = panel_only
        self.width = width

    def compose(self) -> ComposeResult:
        every = [*self.keys, *self.incident_keys]
        key_w, desc_w, id_w = widths(every, self.width)
        with VerticalScroll() as box:
            if self.panel_only:
                box.border_title = "incident panel keys · esc closes"
                yield self._table("help-incident-keys", self.incident_keys,
                                  (key_w, desc_w, id_w))
                yield Static(PANEL_NOTE, classes="note")
                return
            box.border_title = "keys · esc closes"
            yield Static("dashboard", classes="section")
            yield self._table("help-keys", self.keys, (key_w, desc_w, id_w))
            if self.incident_keys:
                yield Static("incident panel (i)", classes="section")
                yield self._table("help-incident-keys", self.incident_keys,
                                  (key_w, desc_w, id_w))
            yield Static(NOTE, classes="note")

    @staticmethod
    def _table(table_id: str, rows: list[KeyRow], cols: tuple[int, int, int]
               ) -> DataTable[str | Text]:
        table: DataTable[str | Text] = DataTable(id=table_id, cursor_type="none")
        for label, w in zip(COLUMNS, cols, strict=True):
            table.add_column(label, width=w)
        height = 1  # the column labels
        for key, desc, binding_id in rows:
            lines = max(1, len(textwrap.wrap(desc, cols[1])))
            table.add_row(key, Text(desc, overflow="fold"), binding_id, height=lines)
            height += lines
        # As tall as its rows: the box scrolls them all. A table kept to the box's height
        # (DataTable's own max-height) scrolls on its own, inside the box, and its last
        # rows are out of reach of the box's scrolling.
        table.styles.max_height = height
        return table

    def on_screen_resume(self) -> None:
        # The screen is kept between presses of `?`: it opens at the top each time.
        self.query_one(VerticalScroll).scroll_home(animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
