"""Fixtures the engine tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alerts_helpers import PD_PATH
from receivers import PAGERDUTY_OK, HttpReceiver


@pytest.fixture
async def http() -> AsyncIterator[HttpReceiver]:
    """A loopback receiver for alert channels; PagerDuty's path answers 202 by default."""
    rx = HttpReceiver()
    rx.default(PD_PATH, PAGERDUTY_OK)
    await rx.start()
    yield rx
    await rx.stop()
