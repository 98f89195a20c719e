"""The attached dashboard's client is a front end over the engine: it never loads Textual,
and the dashboard (ui/) never imports the client or the daemon (the CLI wires them)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "agentstatus_tui" / "ui"


def test_client_does_not_import_textual():
    code = ("import sys, agentstatus_tui.client.remote; "
            "assert 'textual' not in sys.modules, 'textual imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr


def test_the_dashboard_imports_neither_the_client_nor_the_daemon():
    found = []
    for path in UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.module.split(".")[0] in ("client", "serve")
                    or ".client" in f".{node.module}" or ".serve" in f".{node.module}"):
                found.append(f"{path.name}: {node.module}")
    assert not found
