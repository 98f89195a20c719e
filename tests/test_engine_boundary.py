"""The engine never imports Textual: it must run headless (cron `check`, a service)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import agentstatus_tui.engine as engine


def test_engine_imports_without_textual():
    modules = sorted(
        m.name for m in pkgutil.walk_packages(engine.__path__, prefix="agentstatus_tui.engine.")
    )
    assert "agentstatus_tui.engine.verdicts" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print('TEXTUAL' if bad else 'CLEAN', bad)\n"
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
