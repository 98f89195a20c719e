"""The engine never imports Textual, nor any front end: it must run headless (cron
`check`, a service), and imports point down only (front ends → engine)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import agentstatus_tui.engine as engine


def test_engine_imports_neither_textual_nor_a_front_end():
    modules = sorted(
        m.name for m in pkgutil.walk_packages(engine.__path__, prefix="agentstatus_tui.engine.")
    )
    assert "agentstatus_tui.engine.verdicts" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "up = ('textual', 'agentstatus_tui.ui', 'agentstatus_tui.cli', 'agentstatus_tui.serve',"
        " 'agentstatus_tui.demo')\n"
        "bad = sorted(m for m in sys.modules if m in up or m.startswith(tuple(u + '.' for u in up)))\n"
        "print('UPWARD' if bad else 'CLEAN', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("CLEAN"), out.stdout


def test_check_command_does_not_import_textual():
    code = (
        "import sys\n"
        "from agentstatus_tui.cli import build_parser\n"
        "build_parser()\n"
        "print('TEXTUAL' if 'textual' in sys.modules else 'CLEAN')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "CLEAN"
