"""Every async test runs on the event loop `agentstatus` itself runs on (uvloop where it is
installed); the probe tests, whose error codes depend on how the loop reports a failed
socket, run on asyncio's own loop as well."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from pytest_asyncio.plugin import LoopFactory

from agentstatus_tui.engine import event_loop

BOTH_LOOPS = ("test_checks",)  # test modules whose names start so run on both loops


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, LoopFactory]:
    product = event_loop.loop_name()
    loops = {product: event_loop.loop_factory(product)}
    if item.module is not None and item.module.__name__.startswith(BOTH_LOOPS):
        loops["asyncio"] = event_loop.loop_factory("asyncio")
    return loops
