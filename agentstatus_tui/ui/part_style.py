"""A widget part's style (its COMPONENT_CLASSES rule), safe to ask for at any time."""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


def part_style(widget: Widget, name: str) -> Style:
    """The colour and text style of `widget`'s component `name`, or no style while the
    stylesheet has not reached the widget yet: a loaded machine can draw a widget before
    its CSS is applied, and Textual raises KeyError then."""
    try:
        return widget.get_component_rich_style(name, partial=True)
    except KeyError:
        return Style()
