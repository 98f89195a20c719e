"""Text shown as written. Agent names, runbook lines, answers, error bodies, notes and
filter text come from the config, the agents, the receivers or the user; Textual would
read `[red]` or `[/bold]` in them as markup (restyling the screen, or refusing to draw
it). Every widget is handed such text through one of these."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content


def plain(text: str) -> Content:
    """`text` for a border title, a Static or a Label: no markup read in it."""
    return Content(text)


def plain_cell(text: str) -> Text:
    """`text` for a one-line DataTable cell or column label, drawn as DataTable draws a
    str cell (first line only, no wrapping) but with no markup read in it."""
    return Text(text.split("\n", 1)[0], no_wrap=True, end="")
