"""The command palette (ctrl+p): the dashboard's actions by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, help, action name on the App)
ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Rerun selected agent", "Run the selected agent now", "rerun"),
    ("Rerun all agents", "Run every agent now", "rerun_all"),
    ("Pause / resume selected agent", "Paused agents are not polled (UNKNOWN)", "pause"),
    ("Incident panel", "Open the incident checklist for the selected agent", "incident"),
    ("History of selected agent", "Verdict history, uptime and outages", "history"),
    ("Filter agents", "Show only agents whose name or verdict matches", "filter"),
    ("Alert delivery log", "Every alert delivery attempt and its result", "alerts"),
    ("Next theme", "dark, light, high-contrast, monochrome", "next_theme"),
    ("Help: keys", "Every key and its binding id", "help"),
    ("Quit", "Leave the dashboard", "quit"),
)


class DashboardCommands(Provider):
    def _actions(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.app
        out: list[tuple[str, str, Callable[[], Any]]] = []
        for title, help_text, action in ACTIONS:
            out.append((title, help_text, partial(app.run_action, action)))
        return out

    async def discover(self) -> Hits:
        for title, help_text, run in self._actions():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._actions():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)
