"""A list (alert log, verdict history, outages) that moves with j/k as well as the arrows,
like the agent grid."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class ListTable(DataTable[Any]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "down", show=False, id="list.down",
                tooltip="Next row of a list"),
        Binding("k", "cursor_up", "up", show=False, id="list.up",
                tooltip="Previous row of a list"),
    ]
