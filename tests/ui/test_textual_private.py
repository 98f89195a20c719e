"""Textual's private internals are used in one module, checked against one release: this
fails loudly when another Textual is installed, and the public roads taken then work."""

from __future__ import annotations

import ast
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from screen_text import screen_text
from textual.app import App, ComposeResult
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from agentstatus_tui.ui import textual_private

ROOT = Path(__file__).resolve().parents[2]
PRIVATE = {"_notifications", "_unnotify", "_bindings", "_data", "_update_count",
           "_compositor", "_new_rows"}


def test_the_installed_textual_is_the_one_the_private_paths_were_checked_against() -> None:
    installed = version("textual")
    pin = re.search(r'"textual==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert pin is not None, "pyproject.toml must pin textual exactly (textual==X.Y.Z)"
    assert pin.group(1) == textual_private.PINNED, (
        f"pyproject pins textual {pin.group(1)} but agentstatus_tui/ui/textual_private.py "
        f"was checked against {textual_private.PINNED}: check every private path there "
        "against the new release, then update PINNED"
    )
    assert installed == textual_private.PINNED, (
        f"Textual {installed} is installed, but the private paths in "
        f"agentstatus_tui/ui/textual_private.py were checked against {textual_private.PINNED}: "
        "they now take their public fallbacks (slower cell writes, toasts not replaced). "
        "Check each against this release and update PINNED."
    )
    assert textual_private.pinned()


def test_no_private_textual_name_outside_its_module() -> None:
    found = []
    for path in sorted((ROOT / "agentstatus_tui" / "ui").rglob("*.py")):
        if path.name == "textual_private.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.ImportFrom) and ".textual._" in f".{node.module}":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
    assert not found, "use agentstatus_tui/ui/textual_private.py:\n" + "\n".join(found)


class _Table(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable()
        table.add_column("A", key="a")
        table.add_row("old", key="r")
        yield table


@pytest.mark.parametrize("private", [True, False], ids=["pinned", "public-fallback"])
async def test_both_roads_write_the_cell_and_find_the_bindings(
    monkeypatch: pytest.MonkeyPatch, private: bool
) -> None:
    monkeypatch.setattr(textual_private, "pinned", lambda: private)
    app = _Table()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        row, col = table.coordinate_to_cell_key((0, 0))
        textual_private.write_cell(table, row, col, "new")
        await pilot.pause()
        assert table.get_cell(row, col) == "new"
        assert "new" in screen_text(app)
        app.notify("firsttoast", title="DOWN")
        await pilot.pause()
        for note in textual_private.notifications(app):
            textual_private.withdraw(app, note)
        app.notify("secondtoast", title="DOWN")
        await pilot.pause()
        shown_now = [n.message for n in textual_private.notifications(app)]
        # Pinned: the new toast replaced the old; elsewhere none is known (none withdrawn).
        assert shown_now == (["secondtoast"] if private else [])
        keys = {key for key, _binding in textual_private.app_bindings(app)}
        assert "ctrl+q" in keys or "ctrl+c" in keys


class _LongTable(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable()
        table.add_column("AGENT", key="name", width=8)
        table.add_column("LAST", key="last", width=6)
        for i in range(200):
            table.add_row(f"row {i}", "old", key=f"r{i}")
        textual_private.skip_measuring(table)
        yield table


@pytest.mark.parametrize("private", [True, False], ids=["pinned", "public-fallback"])
async def test_both_roads_write_a_cell_of_a_long_table_on_and_off_the_screen(
    monkeypatch: pytest.MonkeyPatch, private: bool
) -> None:
    monkeypatch.setattr(textual_private, "pinned", lambda: private)
    app = _LongTable()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(DataTable)
        await pilot.pause()
        assert table.virtual_size.height == 201  # sized without measuring each cell
        textual_private.write_line_cell(table, 3, RowKey("r3"), ColumnKey("last"), "new3")
        textual_private.write_line_cell(table, 150, RowKey("r150"), ColumnKey("last"), "new150")
        await pilot.pause()
        assert table.get_cell("r3", "last") == "new3"
        assert "row 3     new3" in screen_text(app)
        assert table.get_cell("r150", "last") == "new150"
        table.move_cursor(row=150)
        for _ in range(100):
            if "row 150   new150" in screen_text(app):
                break
            await pilot.pause()
        assert "row 150   new150" in screen_text(app)
