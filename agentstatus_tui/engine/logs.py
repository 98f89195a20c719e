"""Where the engine's log goes, with every secret masked on the way out."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterable
from pathlib import Path

from .secrets import redact

LOGGER_NAMES = ("agentstatus", "agentstatus_tui")
LOG_FILENAME = "agentstatus.log"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks secrets: an exception text or a receiver's answer
    quoted in a message can hold a token even when the code never meant to log one."""

    def __init__(self, secrets: Iterable[str], fmt: str) -> None:
        super().__init__(fmt)
        self.secrets = frozenset(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def setup_logging(
    secrets: Iterable[str],
    *,
    log_file: Path | None = None,
    stream_level: int | None = None,
) -> list[logging.Handler]:
    """Send the engine's log to `log_file` (rotating, 1 MB × 3) and/or stderr at
    `stream_level`. The dashboard uses a file (stderr would draw over the screen);
    one-shot commands use stderr for warnings. Returns the handlers it added."""
    formatter = RedactingFormatter(secrets, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
        fh.setLevel(logging.INFO)
        handlers.append(fh)
    if stream_level is not None:
        sh = logging.StreamHandler()
        sh.setLevel(stream_level)
        handlers.append(sh)
    for h in handlers:
        h.setFormatter(formatter)
        for name in LOGGER_NAMES:
            logger = logging.getLogger(name)
            logger.addHandler(h)
            logger.setLevel(logging.INFO)
            logger.propagate = False
    return handlers


def teardown_logging(handlers: Iterable[logging.Handler]) -> None:
    for h in handlers:
        for name in LOGGER_NAMES:
            logging.getLogger(name).removeHandler(h)
        h.close()
