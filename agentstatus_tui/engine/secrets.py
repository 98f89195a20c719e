"""Keeping `${VAR}` values out of everything a person or a file can see.

A secret rarely comes back as written: a URL carries it percent-encoded (`|` as `%7C`,
a space as `+`), Basic auth carries `user:secret` in base64, a JSON body escapes its
quotes and backslashes. Each of those forms is masked too.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable

from .printable import printable

MASK = "••••••"
MIN_LENGTH = 4  # shorter values are left alone: masking "1" everywhere protects nothing
_B64_MIN = 6  # base64 runs shorter than this would mask ordinary words by chance
# Never percent-encoded by any encoder, so one spelling only.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` made safe to show: every secret value, in every encoding it travels in,
    replaced by a mask (longest first, so a secret that contains another is masked whole),
    and terminal control and bidi-override characters escaped (`printable`)."""
    pattern = _pattern(tuple(sorted({s for s in secrets if s and len(s) >= MIN_LENGTH})))
    return printable(pattern.sub(MASK, text) if pattern is not None else text)


@functools.lru_cache(maxsize=64)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of every form of every secret, the longest forms first."""
    forms: set[str] = set()
    for secret in secrets:
        forms.add(_percent_any(secret))
        forms.update(re.escape(f) for f in _json_forms(secret))
        forms.update(re.escape(f) for f in _base64_cores(secret.encode()))
    if not forms:
        return None
    return re.compile("|".join(sorted(forms, key=len, reverse=True)))


def _percent_any(secret: str) -> str:
    """A regex for `secret` with each character raw or percent-encoded (upper or lower
    hex), and a space also as `+`: encoders differ in what they leave alone (`:`, `/`,
    `@` in a query), so every mix of the two is one of its forms."""
    parts = []
    for char in secret:
        if char in _UNRESERVED:
            parts.append(re.escape(char))
            continue
        encoded = "".join(f"%{b:02X}" for b in char.encode())
        options = {re.escape(char), re.escape(encoded), re.escape(encoded.lower())}
        if char == " ":
            options.add(r"\+")
        parts.append("(?:" + "|".join(sorted(options)) + ")")
    return "".join(parts)


def _json_forms(secret: str) -> set[str]:
    """The secret as a JSON string's inside (quotes, backslashes, non-ASCII escaped)."""
    forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms |= {f.replace("/", "\\/") for f in forms}  # some encoders escape '/'
    return {f for f in forms if f != secret}


def _base64_cores(secret: bytes) -> set[str]:
    """The part of base64(… + secret + …) that depends on the secret alone, for each of
    the three ways it can sit in 3-byte groups (Basic auth encodes `user:secret`)."""
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode()
        start = -(-offset // 3) * 4  # the first group made of secret bytes only
        end = (offset + len(secret)) // 3 * 4  # the last such group's end
        core = encoded[start:end]
        if len(core) >= _B64_MIN:
            cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores
