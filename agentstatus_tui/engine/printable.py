"""Text that is safe to put on a terminal: control and bidi-override characters escaped.

An agent's answer or a config's agent name can hold an escape sequence (a terminal
retitled, the screen cleared) or U+202E, which shows the rest of a name reversed. Each such
character is shown as its escape (`\\x1b`, `\\u202e`), so it is visible and harmless.
Ordinary text in any script, emoji sequences (U+200D) included, is left alone.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, the Arabic letter mark, the LTR/RTL
# marks, the line and paragraph separators, bidi embeddings, overrides and isolates.
_UNSAFE_BLOCK = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
)
_UNSAFE_MULTILINE = re.compile(f"[{_UNSAFE_BLOCK}]")
_UNSAFE_LINE = re.compile(f"[\t\n{_UNSAFE_BLOCK}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, multiline: bool = True) -> str:
    """`text` with every unsafe character escaped. Multi-line text keeps its newlines and
    tabs (a CRLF reads as a newline); a single line (a name) escapes them too."""
    if multiline:
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        return _UNSAFE_MULTILINE.sub(_escape, text)
    return _UNSAFE_LINE.sub(_escape, text)
