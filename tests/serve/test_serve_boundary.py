"""The daemon is a front end over the engine: it never loads the dashboard's Textual."""

from __future__ import annotations

import subprocess
import sys


def test_serve_does_not_import_textual():
    code = ("import sys, agentstatus_tui.serve.app, agentstatus_tui.cli.serve; "
            "assert 'textual' not in sys.modules, 'textual imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
