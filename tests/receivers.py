"""Loopback receivers for alert tests: an HTTP server that records every request and
answers from a script (500 once, 429 with Retry-After, …), and an SMTP server (aiosmtpd)
that collects mail. Reusable by any test that needs to see what was sent."""

from __future__ import annotations

import asyncio
import json
import socket
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from multidict import CIMultiDict


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering: a slow receiver
    drip: float = 0.0  # seconds between the body's bytes, after the status line
    filler: int = 0  # bytes of "x" streamed after `body`: a huge answer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: CIMultiDict[str]  # case-insensitive, as HTTP headers are
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HttpReceiver:
    """Records requests to any path; answers each path's scripted replies in order, then
    its default (200 "ok"; PagerDuty-like paths can set 202 JSON)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.requests: list[Received] = []
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._defaults: dict[str, Reply] = {}
        self._runner: web.AppRunner | None = None
        self.arrived = asyncio.Event()
        self.body_bytes_sent = 0  # of dripped or filler answers, until the client left
        self.answers_ended = 0  # dripped or filler answers that finished or were dropped

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *replies: Reply) -> None:
        self._scripts[path].extend(replies)

    def default(self, path: str, reply: Reply) -> None:
        self._defaults[path] = reply

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Received(request.method, request.path, CIMultiDict(request.headers),
                                      body))
        self.arrived.set()
        queue = self._scripts.get(request.path)
        reply = queue.popleft() if queue else self._defaults.get(request.path, Reply())
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drip or reply.filler:
            return await self._stream(request, reply)
        return web.Response(status=reply.status, text=reply.body, headers=reply.headers)

    async def _stream(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        """The status line at once, then the body a byte per `drip` seconds, or `body`
        followed by `filler` bytes as fast as the client takes them."""
        resp = web.StreamResponse(status=reply.status, headers=reply.headers)
        resp.content_type = "text/plain"
        if reply.filler:
            resp.content_length = len(reply.body.encode()) + reply.filler
        await resp.prepare(request)
        try:
            if reply.drip:
                for byte in reply.body.encode():
                    await resp.write(bytes([byte]))
                    self.body_bytes_sent += 1
                    await asyncio.sleep(reply.drip)
            else:
                await resp.write(reply.body.encode())
                chunk = b"x" * 65536
                left = reply.filler
                while left > 0:
                    piece = chunk[:left]
                    await resp.write(piece)
                    self.body_bytes_sent += len(piece)
                    left -= len(piece)
            await resp.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client hung up: what it was meant to do
        finally:
            self.answers_ended += 1
        return resp

    async def start(self) -> HttpReceiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> HttpReceiver:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


PAGERDUTY_OK = Reply(202, json.dumps({"status": "success", "message": "Event processed"}),
                     {"Content-Type": "application/json"})


class _MailHandler:
    def __init__(self, box: list[EmailMessage]) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content,
                                 policy=policy.default)
        self.box.append(msg)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class DripSmtpServer:
    """An SMTP server that never finishes its greeting: one byte every `every` seconds
    of an endless `220-` banner. Counts the connections it was given."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.port = free_port()
        self.connections = 0
        self.connected = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def _greet(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.connected.set()
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                for byte in b"220-slow.example.com greeting\r\n":
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(self.every)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def __aenter__(self) -> DripSmtpServer:
        self._server = await asyncio.start_server(self._greet, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await self._server.wait_closed()


class SmtpReceiver:
    """aiosmtpd on loopback. With `username`/`password`, AUTH LOGIN/PLAIN is offered
    (without TLS: a loopback test) and required."""

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.logins: list[str] = []
        kwargs: dict[str, Any] = {}
        if username is not None:
            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                              data: Any) -> AuthResult:
                ok = (isinstance(data, LoginPassword) and data.login.decode() == username
                      and data.password.decode() == password)
                if ok:
                    self.logins.append(username)
                return AuthResult(success=ok)

            kwargs = {"authenticator": authenticator, "auth_required": True,
                      "auth_require_tls": False}
        self.controller = Controller(_MailHandler(self.messages), hostname="127.0.0.1",
                                     port=self.port, **kwargs)

    def start(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
