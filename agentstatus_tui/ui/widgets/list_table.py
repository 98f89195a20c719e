"""A list (alert log, verdict history, outages) that moves with j/k as well as the arrows,
like the agent grid. Its text cells are shown as written: agent and channel names,
reasons and receiver errors are not read as markup."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import TextType
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from ..plain import plain_cell


class ListTable(DataTable[Any]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "down", show=False, id="list.down",
                tooltip="Next row of a list"),
        Binding("k", "cursor_up", "up", show=False, id="list.up",
                tooltip="Previous row of a list"),
    ]

    def add_row(self, *cells: Any, height: int | None = 1, key: str | None = None,
                label: TextType | None = None) -> RowKey:
        shown = [plain_cell(c) if isinstance(c, str) else c for c in cells]
        return super().add_row(*shown, height=height, key=key, label=label)
