"""Judging a gold prompt's answer against its expectations (pure: text in, failures out)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from ..model import Expectation

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n(.*)\n\s*```$", re.DOTALL)


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _strip_fence(text: str) -> str:
    # Models often wrap JSON in a Markdown code fence; the JSON inside is what counts.
    m = _FENCE.match(text.strip())
    return m.group(1) if m else text


def failure(exp: Expectation, answer: str, ttfb: float | None) -> str | None:
    """Why `answer` fails `exp`, or None when it holds."""
    kind, value = exp.kind, exp.value
    if kind == "contains":
        ok = str(value) in answer
    elif kind == "icontains":
        ok = str(value).casefold() in answer.casefold()
    elif kind == "not_contains":
        ok = str(value) not in answer
    elif kind == "equals":
        # Trailing newlines and surrounding spaces are formatting, not the answer.
        ok = answer.strip() == str(value).strip()
    elif kind == "regex":
        pattern = value if isinstance(value, re.Pattern) else re.compile(str(value))
        ok = pattern.search(answer) is not None
    elif kind == "json":
        try:
            json.loads(_strip_fence(answer))
            ok = True
        except ValueError:
            ok = False
    elif kind == "max_ttfb":
        ok = ttfb is not None and ttfb <= float(value)
        if not ok:
            got = "no answer" if ttfb is None else f"{ttfb * 1000:.0f}ms"
            return f"max_ttfb: {float(value) * 1000:.0f}ms, got {got}"
    else:
        return f"unknown check {kind!r}"
    if ok:
        return None
    return f"{exp.describe()} failed on {_short(answer)!r}"


def failures(expect: Iterable[Expectation], answer: str, ttfb: float | None) -> list[str]:
    """Every expectation `answer` fails; empty when the gold prompt passes (all must hold)."""
    return [f for e in expect if (f := failure(e, answer, ttfb)) is not None]
