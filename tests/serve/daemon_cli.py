"""The `agentstatus` command as its own process, for tests that talk to a daemon."""

from __future__ import annotations

import asyncio
import os
import sys


async def cli(*argv: str, token: str | None = None,
              env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The CLI as its own process (the loopback agents answer from this test's loop)."""
    full = {k: v for k, v in os.environ.items() if k != "AGENTSTATUS_API_KEY"}
    full.pop("XDG_RUNTIME_DIR", None)
    if token is not None:
        full["AGENTSTATUS_API_KEY"] = token
    full.update(env or {})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agentstatus_tui", *argv, env=full,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
