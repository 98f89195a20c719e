"""What the cron `check` tests of a failing store share: one agent paging one webhook, the
real `agentstatus check` in its own process, and what reached the receiver and the store."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from agent_server import Reply
from receivers import HttpReceiver

CONFIG = """\
defaults: {{validations: 1, retries: 0, timeout: 2s}}
channels:
  hook: {{type: webhook, url: "{hook}"}}
agents:
  - id: pager-bot
    url: {bot}
    alerts: {{channels: [hook]}}
"""
DOWN = Reply(status=503, body={"error": "overloaded"})


def run_check(cfg: Path, data: Path, env: dict[str, str],
              *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentstatus_tui", "check", "--config", str(cfg),
         "--data-dir", str(data), "--alert-deadline", "10", *more],
        capture_output=True, text=True, timeout=50, stdin=subprocess.DEVNULL,
        env={**os.environ, **env})


async def check(cfg: Path, data: Path, env: dict[str, str],
                *more: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run_check, cfg, data, env, *more)


def pages(http: HttpReceiver) -> list[Any]:
    return [r.json for r in http.at("/hook")]


def overall_changes(data: Path) -> list[tuple[str, str, float]]:
    """The agent's overall verdict changes in the store: (previous, current, at)."""
    with sqlite3.connect(data / "agentstatus.db") as conn:
        rows = conn.execute(
            "SELECT previous, current, at FROM transitions WHERE agent_id = 'pager-bot'"
            " AND region IS NULL ORDER BY id").fetchall()
    return [(str(p), str(c), float(at)) for p, c, at in rows]
