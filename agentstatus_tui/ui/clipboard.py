"""Copying text out of the dashboard: OSC 52 to the terminal, and inside tmux also into
tmux's paste buffer (tmux's default `set-clipboard external` drops OSC 52 from apps)."""

from __future__ import annotations

import os
import shutil
import subprocess

from textual.app import App


def into_tmux(text: str) -> bool:
    """Load `text` into tmux's paste buffer (`-w`: and tmux's own clipboard); False when
    not inside tmux or tmux refused."""
    tmux = shutil.which("tmux")
    if not os.environ.get("TMUX") or tmux is None:
        return False
    try:
        done = subprocess.run([tmux, "load-buffer", "-w", "-"], input=text.encode(),
                              capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def copy_text(app: App[object], text: str, what: str) -> str:
    """Copy `text` every way the terminal allows; the message says where it went."""
    app.copy_to_clipboard(text)
    if into_tmux(text):
        return f"{what} copied into tmux's paste buffer (prefix ] pastes) and the clipboard"
    if os.environ.get("TMUX"):
        return (f"{what} sent to the terminal clipboard (OSC 52), but tmux refused its "
                "paste buffer: with `set -g set-clipboard on` the clipboard gets it")
    return f"{what} sent to the terminal clipboard (OSC 52); if paste is empty, the " \
           "terminal does not allow apps to set it"
