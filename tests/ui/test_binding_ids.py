"""The config's list of binding ids is exactly the dashboard's bindings."""

from __future__ import annotations

from textual.binding import Binding

from agentstatus_tui.engine.config.keymap import BINDING_IDS
from agentstatus_tui.ui.app import AgentStatusApp
from agentstatus_tui.ui.help_screen import HelpScreen
from agentstatus_tui.ui.screens.alerts import AlertsScreen
from agentstatus_tui.ui.screens.confirm import ConfirmScreen
from agentstatus_tui.ui.screens.history import HistoryScreen
from agentstatus_tui.ui.screens.incident import IncidentScreen
from agentstatus_tui.ui.screens.silence import SilenceScreen
from agentstatus_tui.ui.widgets.grid import AgentGrid
from agentstatus_tui.ui.widgets.list_table import ListTable
from agentstatus_tui.ui.widgets.scroll_pane import ScrollPane


def test_every_binding_has_an_id_the_config_knows():
    ids = []
    for owner in (AgentStatusApp, AgentGrid, HelpScreen, HistoryScreen, AlertsScreen,
                  IncidentScreen, ScrollPane, ConfirmScreen, ListTable, SilenceScreen):
        for b in owner.BINDINGS:
            assert isinstance(b, Binding) and b.id, (owner.__name__, b)
            ids.append(b.id)
    assert len(ids) == len(set(ids)), "binding ids must be unique"
    assert set(ids) == BINDING_IDS
