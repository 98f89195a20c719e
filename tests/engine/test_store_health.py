"""A failing store is said once per episode: a damaged file that takes some writes and
fails others does not make the log say FAILING, recovered, FAILING within a second."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentstatus_tui.engine.history import health as health_module
from agentstatus_tui.engine.history.health import StoreHealth

MALFORMED = sqlite3.DatabaseError("database disk image is malformed")


class Said(logging.Handler):
    """What the store's health logs, heard at its own logger (the product's logging set-up
    stops its loggers propagating, so the root's capture may hear nothing)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage().split(":", 1)[0])


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    logger = health_module.log
    handler = Said()
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "level", logging.WARNING)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def test_failures_and_successes_alternating_are_one_episode(
    tmp_path: Path, said: list[str]
) -> None:
    health = StoreHealth(tmp_path / "agentstatus.db", settle=3600)
    health.failed(MALFORMED)
    health.ok()  # a write that touched only sound pages
    assert health.failure is None  # it counts at once: alerts go to the outbox again
    health.failed(MALFORMED)
    assert health.failure is not None
    assert said == ["STORE FAILING"]


def test_the_recovery_is_said_once_the_store_has_settled(
    tmp_path: Path, said: list[str]
) -> None:
    health = StoreHealth(tmp_path / "agentstatus.db", settle=0)
    health.failed(MALFORMED)
    health.ok()
    health.ok()
    health.failed(MALFORMED)  # a new episode: said again
    assert said == ["STORE FAILING", "store recovered", "STORE FAILING"]
