"""Every use of Textual's private internals, in one place. Each one was checked against one
Textual release (`PINNED`, the version pyproject pins); with any other release installed
it takes a public road instead, slower or plainer but correct, and a test says loudly that
these paths need checking again."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from typing import Any

from rich.console import Console
from rich.control import Control
from textual.app import App
from textual.binding import Binding
from textual.geometry import Region
from textual.notifications import Notification
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

PINNED = "8.2.8"


@cache
def pinned() -> bool:
    """The installed Textual is the release the private paths below were checked against."""
    return version("textual") == PINNED


# ---------------------------------------------------------------------- DataTable cells


def write_cell(table: DataTable[Any], row_key: RowKey, column_key: ColumnKey,
               value: object) -> None:
    """Set one cell and repaint only that cell. The public `update_cell` refreshes the
    whole table, which rewrites every row on the terminal (kilobytes per change over SSH)."""
    if not pinned():
        table.update_cell(row_key, column_key, value)
        return
    table._data[row_key][column_key] = value
    table._update_count += 1  # invalidates DataTable's render caches
    table.refresh_coordinate(table.get_cell_coordinate(row_key, column_key))


def write_line_cell(table: DataTable[Any], row_index: int, row_key: RowKey,
                    column_key: ColumnKey, value: object) -> None:
    """`write_cell` for a table whose rows are all one line high and have no labels: the
    cell's place is worked out from its row's index. DataTable's own way walks every row
    above the cell, for every cell written: hundreds of rows made each write cost a walk
    of the whole table. A cell off the screen is written and not repainted."""
    if not pinned():
        table.update_cell(row_key, column_key, value)
        return
    table._data[row_key][column_key] = value
    table._update_count += 1  # invalidates DataTable's render caches
    x = 0
    width = 0
    for column in table.ordered_columns:
        width = column.get_render_width(table)
        if column.key == column_key:
            break
        x += width
    y = row_index + (table.header_height if table.show_header else 0)
    region = Region(x, y, width, 1)
    if table.window_region.overlaps(region):
        table.refresh(region.translate(-table.scroll_offset))


def skip_measuring(table: DataTable[Any]) -> None:
    """Tell a table that the rows just added need no measuring. DataTable measures every
    cell of every new row (to size auto-width columns and auto-height rows) when it next
    goes idle: ~0.2 ms a row, a tenth of a second for 500 agents before the first frame,
    and again on each key typed in the filter. Only for tables whose columns all have a
    fixed width and whose rows are one line high without labels."""
    if pinned():
        table._new_rows.clear()


# ---------------------------------------------------------------------- notifications


def notifications(app: App[Any]) -> list[Notification]:
    """The toasts shown now (none known on another Textual: nothing is withdrawn)."""
    return list(app._notifications) if pinned() else []


def withdraw(app: App[Any], note: Notification) -> None:
    """Take a toast off the screen before its timeout, so a new one can replace it
    (Textual has no public "replace"; elsewhere both show until the old one expires)."""
    if pinned():
        app._unnotify(note, refresh=False)


# ---------------------------------------------------------------------- bindings


def app_bindings(app: App[Any]) -> list[tuple[str, Binding]]:
    """(key, binding) of the App's own bindings, the user's keymap applied."""
    if pinned():
        return list(app._bindings)
    return [(key, active.binding) for key, active in app.screen.active_bindings.items()
            if active.node is app]


# ---------------------------------------------------------------------- wire


def crop_partial_updates() -> bool:
    """Crop each partial screen update on the left as well as the right.

    Textual 8.2.8 writes a partial update from the left edge of each widget's slice of a
    line up to the end of the change, so a one-cell change at the right of a wide table
    (the LAST age ticking every 10 s) rewrites nearly the whole row: ~110 bytes a row
    instead of ~35. Over SSH that is most of what an idle dashboard sends. Installed once;
    False (and Textual's own behaviour kept) on any other release."""
    from textual._compositor import ChopsUpdate

    if getattr(ChopsUpdate, _PATCHED, False):
        return True
    if not pinned():
        return False
    ChopsUpdate.render_segments = _cropped_render_segments()  # type: ignore[method-assign,assignment]
    setattr(ChopsUpdate, _PATCHED, True)
    return True


_PATCHED = "_agentstatus_cropped"


def _cropped_render_segments() -> Callable[[Any, Console], str]:
    def render_segments(self: Any, console: Console) -> str:
        sequences: list[str] = []
        append = sequences.append
        chops = self.chops
        chop_ends = self.chop_ends
        last_y = self.spans[-1][0]
        for y, x1, x2 in self.spans:
            line = chops[y]
            ends = chop_ends[y]
            for end, (x, strip) in zip(ends, line.items(), strict=False):
                if strip is None or x > x2 or end <= x1:
                    continue
                start, stop = max(x, x1), min(end, x2)
                piece = strip if (start, stop) == (x, end) else strip.crop(start - x, stop - x)
                append(Control.move_to(start, y).segment.text)
                append(piece.render(console))
            if y != last_y:
                append("\n")
        return "".join(sequences)

    return render_segments
