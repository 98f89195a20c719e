"""The log never holds a secret, whoever wrote the message."""

from __future__ import annotations

import logging
from pathlib import Path

from agentstatus_tui.engine.logs import setup_logging, teardown_logging

SECRET = "sk-live-log-0123456789"


def test_log_file_masks_secrets_in_messages_and_tracebacks(tmp_path: Path):
    log_file = tmp_path / "agentstatus.log"
    handlers = setup_logging({SECRET}, log_file=log_file)
    try:
        logging.getLogger("agentstatus.alerts").warning("receiver said: bad key %s", SECRET)
        try:
            raise RuntimeError(f"connect failed for Bearer {SECRET}")
        except RuntimeError:
            logging.getLogger("agentstatus_tui.engine.history.store").exception("store failed")
    finally:
        teardown_logging(handlers)
    text = log_file.read_text()
    assert "receiver said: bad key ••••••" in text
    assert "RuntimeError: connect failed for Bearer ••••••" in text
    assert SECRET not in text
