"""A pane that scrolls with the keyboard (arrows, PageUp/PageDown, Home/End) when focused,
and leaves left/right to the screen (the incident panel moves between steps with them)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll


class ScrollPane(VerticalScroll, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "scroll", show=False, id="pane.scroll-up",
                tooltip="Scroll up a line (tab: the step or the timeline)"),
        Binding("down", "scroll_down", "scroll", show=False, id="pane.scroll-down",
                tooltip="Scroll down a line"),
        Binding("pageup", "page_up", "page up", show=False, id="pane.page-up",
                tooltip="Scroll up a page"),
        Binding("pagedown", "page_down", "page down", show=False, id="pane.page-down",
                tooltip="Scroll down a page"),
        Binding("home", "scroll_home", "top", show=False, id="pane.top",
                tooltip="Scroll to the top"),
        Binding("end", "scroll_end", "end", show=False, id="pane.end",
                tooltip="Scroll to the end"),
    ]
