"""Ids in the API's paths and queries (incidents, alerts, silences): whole numbers written
in ASCII digits. `str.isdigit` alone also takes `²` or `٣`, which `int` then refuses or
reads as another number."""

from __future__ import annotations

MAX_DIGITS = 12


def whole_number(raw: str) -> int | None:
    """`raw` as a whole number of up to MAX_DIGITS ASCII digits, else None."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_DIGITS:
        return None
    return int(raw)
