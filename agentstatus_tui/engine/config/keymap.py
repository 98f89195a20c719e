"""The ids of the dashboard's key bindings: the words a config's `keymap:` may rebind.

They belong to the config format (a typo must be an error, like any unknown key), so they
are listed here where the config loader can see them without importing the UI; a UI test
keeps this list and the real bindings identical.
"""

from __future__ import annotations

DASHBOARD = frozenset({
    "rerun", "rerun-all", "pause", "incident", "history", "silence", "filter", "alerts",
    "next-theme", "help", "quit", "quit-ctrl-c", "suspend", "clear-filter", "up", "down",
})
SCREENS = frozenset({"help-close", "history-close", "alerts-close", "confirm.yes", "confirm.no",
                     "list.down", "list.up", "silence.cancel"})
INCIDENT_PANEL = frozenset({
    "incident.back", "incident.next-step", "incident.step-down", "incident.step-up",
    "incident.acknowledge", "incident.post-slack", "incident.note", "incident.item-down",
    "incident.item-up", "incident.toggle", "incident.edit", "incident.send",
    "incident.copy", "incident.region", "incident.verify", "incident.resolve",
    "incident.followup", "incident.delete", "incident.done", "incident.help",
    "pane.scroll-up", "pane.scroll-down", "pane.page-up", "pane.page-down", "pane.top",
    "pane.end",
    *(f"incident.go-{n}" for n in range(1, 9)),
})
BINDING_IDS = DASHBOARD | SCREENS | INCIDENT_PANEL
