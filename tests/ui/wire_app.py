"""The dashboard on fixed data in a real terminal, for tests/ui/test_wire.py: every 0.5 s
the clock moves 10 s (the LAST ages step), and F12 forces a full repaint."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType

from agentstatus_tui.ui.app import AgentStatusApp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard_fixtures import NOW, close_monitor, fixed_monitor  # beside this file

clock = [NOW]


class WireApp(AgentStatusApp):
    BINDINGS: ClassVar[list[BindingType]] = [
        *AgentStatusApp.BINDINGS, Binding("f12", "full_repaint", show=False)
    ]

    def on_ready(self) -> None:
        self.set_interval(0.5, self.step)

    def step(self) -> None:
        clock[0] += 10
        self.grid.tick()

    def action_full_repaint(self) -> None:
        self.screen.refresh()


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as data:
        monitor = fixed_monitor(Path(data))
        try:
            WireApp(monitor, clock=lambda: clock[0], live=False).run(mouse=False)
        finally:
            close_monitor(monitor)
