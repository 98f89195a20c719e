"""The event loop every `agentstatus` command runs on.

uvloop (libuv under asyncio's API) where it is installed: at 500 agents polled every
minute, the loop and its transports are most of what the monitor's own CPU goes to, and
uvloop does that work in C. Bare aiohttp on uvloop used about a quarter less CPU for the
same requests than on asyncio's own loop, measured side by side (`bench/soak.py --loop`).

`AGENTSTATUS_EVENT_LOOP=asyncio` runs on asyncio's own loop instead (what a platform
without uvloop, such as Windows, gets anyway): the way to tell whether a problem is the
loop's.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "AGENTSTATUS_EVENT_LOOP"
CHOICES = ("uvloop", "asyncio")


def loop_name() -> str:
    """The loop `run` uses here: "uvloop" unless the environment asks for asyncio's own or
    uvloop is not installed."""
    wanted = os.environ.get(ENV, "").strip().lower()
    if wanted == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def loop_factory(name: str | None = None) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes a new loop of kind `name` (default: `loop_name()`)."""
    if (name or loop_name()) == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], *, loop: str | None = None) -> T:
    """`asyncio.run(main)` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        return runner.run(main)
