"""The floor `tui_idle.py` compares the dashboard with: a bare Textual app showing one
DataTable of the same rows (N agents, the dashboard's columns, nothing updating) and a
modal key table on `?`. What it costs is Python, Textual and a DataTable of that size;
whatever the dashboard costs beyond it is the dashboard's own.

    python bench/bare_table.py N
"""

from __future__ import annotations

import sys
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer

COLUMNS = (("AGENT", 10), ("VERDICT", 7), ("us", 10), ("eu", 10), ("ap", 10), ("EVAL", 4),
           ("24h", 6), ("LAST", 6))


class KeyTable(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "close")]

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="none")
        table.add_columns("KEY", "WHAT IT DOES", "ID")
        table.add_rows([("?", "every key", "help"), ("q", "quit", "quit")])
        yield table


class BareTable(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "keys", "help"), Binding("q", "quit", "quit")]

    def __init__(self, agents: int) -> None:
        super().__init__()
        self.agents = agents

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        for i in range(self.agents):
            table.add_row(f"Agent {i}", "UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN", "-", "-",
                          "-", key=f"agent-{i}")

    def action_keys(self) -> None:
        self.push_screen(KeyTable())


if __name__ == "__main__":
    BareTable(int(sys.argv[1]) if len(sys.argv) > 1 else 500).run(mouse=False)
