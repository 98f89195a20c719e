"""Helpers of the attached dashboard's tests: attach to a daemon's socket with short
retries, and let dashboards run until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from serve_process import ServeProcess

from agentstatus_tui.client.remote import RemoteMonitor
from agentstatus_tui.client.target import Target


async def attach(d: ServeProcess, **kw: Any) -> RemoteMonitor:
    return await RemoteMonitor.attach(Target(socket=d.socket), retry=(0.05, 0.5), **kw)


async def until(pilots: list[Any], cond: Callable[[], bool], limit: float = 40.0,
                what: str = "condition") -> None:
    """Let the apps (or, with no pilot, the event loop) run until `cond` holds; the limit
    only stops a broken test hanging."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        if not pilots:
            await asyncio.sleep(0.05)
        for pilot in pilots:
            await pilot.pause(0.05)
