"""The chat-completion body: the JSON answer's text, and the SSE chunk stream's."""

from __future__ import annotations

import json
import time
import zlib
from typing import Any


class BadBody(Exception):
    """A 2xx answer that is not a chat completion (BAD_BODY)."""


class TooLarge(Exception):
    """The body, decoded, is over the size cap (TOO_LARGE)."""


def parse_json(data: bytes | bytearray) -> Any:
    """The JSON value of `data`, or BadBody (nesting too deep for the parser included:
    an answer nested 100,000 levels deep is a bad body, not a crash)."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        kind = "nested too deeply" if isinstance(e, RecursionError) else "not JSON"
        raise BadBody(f"{kind}: {snippet(bytes(data[:240]), 120)}") from None


def snippet(data: bytes, n: int) -> str:
    text = " ".join(data[: n * 2].decode("utf-8", "replace").split())
    return text if len(text) <= n else text[: n - 1] + "…"


class Decoder:
    """Undoes a Content-Encoding (gzip or deflate) as the body streams in, never holding
    more than `cap` decoded bytes: a gzip bomb is cut off at the cap (TOO_LARGE) after
    decoding at most that much, whatever it would expand to."""

    def __init__(self, encoding: str, cap: int) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise BadBody(f"unsupported Content-Encoding: {encoding[:40]}")
        self.deflate = encoding == "deflate"
        self.cap = cap
        self.total = 0  # decoded bytes so far

    def feed(self, data: bytes) -> bytes:
        room = self.cap - self.total + 1  # one byte over the cap proves it is too large
        try:
            out = self._z.decompress(data, room)
        except zlib.error as e:
            if self.deflate and self.total == 0:  # raw deflate, without the zlib header
                self._z, self.deflate = zlib.decompressobj(-zlib.MAX_WBITS), False
                return self.feed(data)
            raise BadBody(f"body does not decode: {e}") from None
        self.total += len(out)
        if self.total > self.cap:
            raise TooLarge(f"body over the {self.cap:,}-byte cap once decoded")
        return out


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
        except (ValueError, KeyError, TypeError, RecursionError):
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
