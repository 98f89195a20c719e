"""A small OpenAI-compatible test agent on loopback whose behaviour is chosen per path and region.

Usage (in any async test):

    async with AgentServer() as server:
        server.route("/ok", Reply("4"))
        server.route("/slow", Reply("4", delay=1.0), region="ap")   # only for region ap
        server.route("/flaky", Sequence(Reply(status=503), Reply("4")))
        url = server.url("/ok")
        ...
        server.requests   # every request received: path, region, headers, json body

Behaviours: Reply (JSON chat completion or any status/body), Stream (SSE chunks), Hang,
Sequence (one behaviour per request, the last repeats), Raw (bytes written straight to
the socket, for garbage status lines and resets), Big (a huge or endless body), Echo (the
answer repeats the request's headers). A path with no route answers 404.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

REGION_HEADER = "X-AgentStatus-Region"


def completion(content: str, model: str = "test-model") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content},
             "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def chunk(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "test-model",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }


@dataclass
class Received:
    path: str
    region: str | None
    headers: dict[str, str]
    body: Any
    at: float


Handler = Callable[[web.Request, Received], Awaitable[web.StreamResponse]]


@dataclass
class Reply:
    """A chat completion answering `content`, or `body` (str/bytes/dict) with any status."""

    content: str = "Hello! How can I help?"
    status: int = 200
    delay: float = 0.0
    body: str | bytes | dict[str, Any] | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.body is None:
            data: Any = completion(self.content) if self.status < 300 else {"error": "nope"}
        else:
            data = self.body
        raw = json.dumps(data).encode() if isinstance(data, dict) else data
        raw = raw.encode() if isinstance(raw, str) else raw
        return web.Response(status=self.status, body=raw, content_type=self.content_type,
                            headers=self.headers)


@dataclass
class Stream:
    """An SSE stream of chat.completion.chunk objects; `done=False` leaves out [DONE],
    `bad` inserts a line that is not JSON."""

    parts: tuple[str, ...] = ("Hel", "lo", "!")
    delay: float = 0.0  # before the first chunk
    gap: float = 0.0  # between chunks
    done: bool = True
    bad: bool = False
    crlf: bool = False  # end lines with \r\n, as some servers do
    raw: bytes | None = None  # one more event whose data is these bytes, as they are

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        eol = b"\r\n" if self.crlf else b"\n"

        async def event(data: bytes) -> None:
            await resp.write(b"data: " + data + eol + eol)

        # A role-only first chunk, as real servers send: not yet a content token.
        first = chunk("")
        first["choices"][0]["delta"] = {"role": "assistant"}
        await event(json.dumps(first).encode())
        for i, part in enumerate(self.parts):
            if self.gap and i:
                await asyncio.sleep(self.gap)
            await event(json.dumps(chunk(part)).encode())
        if self.bad:
            await event(b"{this is not json")
        if self.raw is not None:
            await event(self.raw)
        if self.done:
            await event(b"[DONE]")
        await resp.write_eof()
        return resp


@dataclass
class Hang:
    """Accepts the request and never answers."""

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


@dataclass
class Raw:
    """Bytes written straight to the socket, then the connection is dropped (`reset`
    aborts it: the client sees a connection reset)."""

    data: bytes = b""
    reset: bool = False

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        if self.data:
            transport.write(self.data)
            await asyncio.sleep(0.05)
        if self.reset:
            transport.abort()
        else:
            transport.close()
        # aiohttp needs a response object; the connection is already gone.
        await asyncio.sleep(0.1)
        return web.Response(status=500)


@dataclass
class Big:
    """A 2xx body of `size` bytes sent in chunks (None = endless), with or without a
    Content-Length. `sent` counts what actually left the server."""

    size: int | None = 10 * 1024 * 1024
    declare_length: bool = False
    sent: int = 0

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        headers = {"Content-Type": "application/json"}
        if self.declare_length and self.size is not None:
            headers["Content-Length"] = str(self.size)
        resp = web.StreamResponse(headers=headers)
        await resp.prepare(request)
        block = b"x" * 65536
        try:
            while self.size is None or self.sent < self.size:
                n = len(block) if self.size is None else min(len(block), self.size - self.sent)
                await resp.write(block[:n])
                self.sent += n
            await resp.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client hung up, as it should once the cap is reached
        return resp


@dataclass
class Echo:
    """A completion whose content is every request header, `Name: value` per line."""

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        text = "\n".join(f"{k}: {v}" for k, v in request.headers.items())
        return web.json_response(completion(text), headers={"X-Echo-Auth": request.headers.get("Authorization", "")})


class Sequence:
    """One behaviour per request, in order; the last one repeats."""

    def __init__(self, *steps: Handler) -> None:
        self.steps = steps
        self.calls = itertools.count()

    async def __call__(self, request: web.Request, rec: Received) -> web.StreamResponse:
        i = next(self.calls)
        return await self.steps[min(i, len(self.steps) - 1)](request, rec)


class AgentServer:
    """The test agent: an aiohttp.web server on 127.0.0.1, port chosen by the OS."""

    def __init__(self, *, ssl_context: Any = None) -> None:
        self.ssl_context = ssl_context  # serve https (e.g. with a self-signed cert)
        self.routes: dict[tuple[str, str | None], Handler] = {}
        self.requests: list[Received] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    def route(self, path: str, behaviour: Handler, *, region: str | None = None) -> str:
        """Serve `behaviour` at `path` (for one region only, if given); returns the URL."""
        self.routes[(path, region)] = behaviour
        return self.url(path)

    def url(self, path: str) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def received(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body: Any = await request.json() if request.can_read_body else None
        except ValueError:
            body = None
        region = request.headers.get(REGION_HEADER)
        rec = Received(request.path, region, dict(request.headers), body, time.monotonic())
        self.requests.append(rec)
        behaviour = self.routes.get((request.path, region)) or self.routes.get((request.path, None))
        if behaviour is None:
            return web.json_response({"error": "no such route"}, status=404)
        return await behaviour(request, rec)

    async def __aenter__(self) -> AgentServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def self_signed_context(tmp_dir: str) -> Any:
    """A server SSL context with a fresh self-signed certificate for 127.0.0.1 (needs the
    openssl command); no client trusts it, which is the point."""
    import ssl
    import subprocess
    from pathlib import Path

    cert, key = Path(tmp_dir) / "cert.pem", Path(tmp_dir) / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def gzip_bomb(mib: int) -> bytes:
    """A gzip body that expands to `mib` MiB of zeros, about 1 kB per MiB, built in
    milliseconds: after a full flush, every MiB of zeros compresses to the same bytes."""
    import struct
    import zlib

    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    head = z.compress(zeros) + z.flush(zlib.Z_FULL_FLUSH)  # with the gzip header
    block = z.compress(zeros) + z.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    end = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # final empty block
    trailer = struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)
    return head + block * (mib - 1) + end + trailer


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
