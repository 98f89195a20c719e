"""The chat-completion body: the JSON answer's text, and the SSE chunk stream's."""

from __future__ import annotations

import json
import time
from typing import Any


class BadBody(Exception):
    """A 2xx answer that is not a chat completion (BAD_BODY)."""


def completion_text(data: Any) -> str:
    """`choices[0].message.content` of a chat completion, or BadBody."""
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise BadBody("not a chat completion (no choices[0].message.content)") from None
    if not isinstance(content, str):
        raise BadBody("choices[0].message.content is not a string")
    return content



class SSEStream:
    """Incremental parser of a chat.completion.chunk event stream."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.pending = b""
        self.parts: list[str] = []
        self.first_token: float | None = None
        self.done = False

    def feed(self, data: bytes) -> None:
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            self._line(line.strip())
            if self.done:
                return

    def _line(self, line: bytes) -> None:
        if not line.startswith(b"data:"):
            return  # blank separators, comments (":"), event:/id:/retry: fields
        payload = line[5:].strip()
        if payload == b"[DONE]":
            self.done = True
            return
        try:
            obj = json.loads(payload)
            choices = obj["choices"]
            if not isinstance(choices, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise BadBody(f"bad stream chunk: {payload[:80]!r}") from None
        for choice in choices:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str) and content:
                if self.first_token is None:
                    self.first_token = time.perf_counter() - self.t0
                self.parts.append(content)

    def finish(self) -> str:
        if not self.done:
            if self.pending.strip():
                self._line(self.pending.strip())
            if not self.done:
                raise BadBody("stream ended without data: [DONE]")
        return "".join(self.parts)
