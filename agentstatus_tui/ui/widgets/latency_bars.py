"""Latency of recent runs as bars, one per run, newest on the right, scaled from zero: 11ms
and 15ms read as nearly the same height, not as the bottom and the top of the chart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from ..part_style import part_style

BARS = "▁▂▃▄▅▆▇█"
NO_ANSWER = "·"  # a run without a median latency (nothing answered)


def bars(points: Sequence[float | None], width: int) -> str:
    """The last `width` runs as bars from 0 to the highest latency shown."""
    shown = list(points)[-width:] if width > 0 else []
    peak = max((p for p in shown if p is not None), default=0.0)
    out = []
    for p in shown:
        if p is None:
            out.append(NO_ANSWER)
        elif peak <= 0:
            out.append(BARS[0])
        else:
            out.append(BARS[min(len(BARS) - 1, round(p / peak * (len(BARS) - 1)))])
    return "".join(out)


class LatencyBars(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"latency-bars--no-answer"}
    DEFAULT_CSS = """
    LatencyBars { height: 1; color: $accent; }
    LatencyBars > .latency-bars--no-answer { color: $verdict-down; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._points: list[float | None] = []

    @property
    def points(self) -> list[float | None]:
        return self._points

    @points.setter
    def points(self, points: Sequence[float | None]) -> None:
        self._points = list(points)
        self.refresh()

    def render(self) -> Text:
        text = Text(bars(self._points, self.size.width), no_wrap=True)
        style = part_style(self, "latency-bars--no-answer")
        text.highlight_words([NO_ANSWER], style)
        return text
