"""The help screen: every key the dashboard answers to, as bound now."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "close", id="help-close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: auto; max-width: 90%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen DataTable { height: auto; max-height: 100%; width: auto; }
    HelpScreen .note { color: $muted; }
    """

    def __init__(self, keys: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "keys"
            table: DataTable[str] = DataTable(id="help-keys", cursor_type="none")
            table.add_columns("KEY", "WHAT IT DOES", "ID (for keymap:)")
            for key, desc, binding_id in self.keys:
                table.add_row(key, desc, binding_id)
            yield table
            yield Static(
                "UP· = up, no gold prompts · ~ = run in flight · esc closes",
                classes="note",
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
