"""A failing store is said once per episode: a damaged file that takes some writes and
fails others does not make the log say FAILING, recovered, FAILING within a second."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from agentstatus_tui.engine.history.health import StoreHealth

MALFORMED = sqlite3.DatabaseError("database disk image is malformed")


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage().split(":", 1)[0] for r in caplog.records]


def test_failures_and_successes_alternating_are_one_episode(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    health = StoreHealth(tmp_path / "agentstatus.db", settle=3600)
    health.failed(MALFORMED)
    health.ok()  # a write that touched only sound pages
    assert health.failure is None  # it counts at once: alerts go to the outbox again
    health.failed(MALFORMED)
    assert health.failure is not None
    assert said(caplog) == ["STORE FAILING"]


def test_the_recovery_is_said_once_the_store_has_settled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    health = StoreHealth(tmp_path / "agentstatus.db", settle=0)
    health.failed(MALFORMED)
    health.ok()
    health.ok()
    health.failed(MALFORMED)  # a new episode: said again
    assert said(caplog) == ["STORE FAILING", "store recovered", "STORE FAILING"]
