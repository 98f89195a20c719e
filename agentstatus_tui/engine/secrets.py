"""Keeping `${VAR}` values out of everything a person or a file can see."""

from __future__ import annotations

from collections.abc import Iterable

MASK = "••••••"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced by a mask (longest first, so a secret that
    contains another is masked whole). Values shorter than 4 characters are left alone:
    masking "1" everywhere would garble text without protecting anything."""
    for s in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        if s in text:
            text = text.replace(s, MASK)
    return text
