"""Judging a gold prompt's answer against its expectations (pure: text in, failures out).

An answer is written by the agent, so judging it must take time in proportion to its
length whatever it holds: regexes run on RE2, whose matching is linear (a backtracking
engine spends hours on `(a+)+$` against forty `a`s and a `!`), the Markdown fence is cut
off with string operations, and JSON nested too deeply to parse is a failure, not a crash.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable

import re2  # type: ignore[import-untyped]

from ..model import Expectation
from ..text import latency

# RE2 caps the memory of one compiled pattern; a pattern past it is refused when the
# config is read (a "pattern too large" error), never at match time.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # errors are reported as config errors, not on stderr
_FENCE_LANG = re.compile(r"[a-zA-Z0-9_-]*\Z")

# What a backtracking regex can do and RE2 cannot, as hints after RE2's own message.
_UNSUPPORTED = (
    (re.compile(r"\\[1-9]|\(\?P="), "backreferences are not supported"),
    (re.compile(r"\(\?<?[=!]"), "lookahead and lookbehind are not supported"),
    (re.compile(r"\\Z"), "\\Z is not supported: write \\z for the end of the text"),
    (re.compile(r"[*+?}]\+"), "possessive quantifiers are not supported"),
    (re.compile(r"\(\?>"), "atomic groups are not supported"),
)


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a gold prompt's regex, or None when it can. Patterns run
    on RE2 (linear-time matching), which lacks backtracking-only features."""
    try:
        _compiled(pattern)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "cannot compile"
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        hints = [hint for probe, hint in _UNSUPPORTED if probe.search(pattern)]
        if hints:
            reason += f" — {'; '.join(hints)} (regexes run on RE2, which matches in linear time)"
        return f"bad regex: {reason}"
    return None


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re2._Regexp:
    return re2.compile(pattern, _RE2_OPTIONS)


def _regex_holds(pattern: str, answer: str) -> bool:
    regex = _compiled(pattern)
    if regex.search(answer) is not None:
        return True
    # Python's `$` also matches before a final newline, and answers often end with one:
    # keep that meaning (RE2's `$` is the very end of the text).
    return answer.endswith("\n") and regex.search(answer[:-1]) is not None


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text[: n * 8].split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _strip_fence(text: str) -> str:
    """The text inside a Markdown code fence (```json … ```), or `text` when it is not
    one whole fenced block: models often wrap JSON that way and the JSON is what counts."""
    stripped = text.strip()
    first_end = stripped.find("\n")
    last_start = stripped.rfind("\n")
    if first_end < 0 or first_end == last_start:
        return text
    first, last = stripped[:first_end], stripped[last_start + 1 :]
    if not first.startswith("```") or last.strip() != "```":
        return text
    if not _FENCE_LANG.match(first[3:].rstrip()):
        return text
    return stripped[first_end + 1 : last_start]


def _json_problem(answer: str) -> str | None:
    try:
        json.loads(_strip_fence(answer))
    except RecursionError:
        return "JSON nested too deeply"
    except ValueError:
        return "not JSON"
    return None


def _pattern_text(value: object) -> str:
    return value.pattern if isinstance(value, re.Pattern) else str(value)


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
        pattern = _pattern_text(value)
        problem = regex_problem(pattern)
        if problem:
            return f"regex: {pattern!r}: {problem}"
        ok = _regex_holds(pattern, answer)
    elif kind == "json":
        why = _json_problem(answer)
        if why == "JSON nested too deeply":
            return f"json failed: {why}"
        ok = why is None
    elif kind == "max_ttfb":
        ok = ttfb is not None and ttfb <= float(value)
        if not ok:
            return f"max_ttfb: {latency(float(value))}, got {latency(ttfb, none='no answer')}"
    else:
        return f"unknown check {kind!r}"
    if ok:
        return None
    return f"{exp.describe()} failed on {_short(answer)!r}"


def failures(expect: Iterable[Expectation], answer: str, ttfb: float | None) -> list[str]:
    """Every expectation `answer` fails; empty when the gold prompt passes (all must hold)."""
    return [f for e in expect if (f := failure(e, answer, ttfb)) is not None]
