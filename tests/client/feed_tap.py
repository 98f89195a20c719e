"""A relay on a unix socket between an attached dashboard and a real daemon: every request
passes through unchanged; the event stream passes frame by frame, and a test may hold
frames back (a link that loses them), drop the next few (a gap in the ids), shift the ids
of the open streams (a daemon that restarted behind a proxy that kept the connection), or
send a frame of its own (the `resync` a daemon sends a client too slow to keep up)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

PASSED_HEADERS = ("authorization", "content-type", "accept", "last-event-id")
ID_LINE = re.compile(rb"^id: (\d+)$", re.MULTILINE)
KIND_LINE = re.compile(rb"^event: (\S+)$", re.MULTILINE)


@dataclass(eq=False)
class Stream:
    response: web.StreamResponse
    shift: int = 0  # added to every id this stream passes on
    kinds: list[str] = field(default_factory=list)  # the frames passed on, by kind


def kind_of(frame: bytes) -> str:
    found = KIND_LINE.search(frame)
    return found.group(1).decode() if found else "message"


class FeedTap:
    def __init__(self, upstream: Path, path: Path) -> None:
        self.upstream = upstream
        self.path = path
        self.hold = False  # keep frames from the dashboard (they are gone for good)
        self.held: list[str] = []  # kinds of the frames kept back or dropped
        self.streams: list[Stream] = []  # event streams open now
        self.opened = 0  # event streams opened since start
        self._drop = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FeedTap:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._relay)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.UnixSite(self._runner, str(self.path)).start()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.UnixConnector(path=str(self.upstream)),
            timeout=aiohttp.ClientTimeout(total=None, sock_read=None))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def drop(self, frames: int) -> None:
        """Lose the next `frames` frames of every stream."""
        self._drop = frames

    def jump(self, by: int) -> None:
        """From now on, the open streams' ids are `by` higher (their next id skips)."""
        for stream in self.streams:
            stream.shift += by

    async def send(self, frame: bytes) -> None:
        """A frame of the test's own, to every open stream."""
        for stream in list(self.streams):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await stream.response.write(frame)

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in PASSED_HEADERS}
        if request.path == "/api/v1/events":
            return await self._events(request, headers)
        body = await request.read()
        async with self._session.request(request.method, "http://daemon" + request.path_qs,
                                         data=body or None, headers=headers) as r:
            data = await r.read()
            return web.Response(status=r.status, body=data, headers={
                "Content-Type": r.headers.get("Content-Type", "application/json")})

    async def _events(self, request: web.Request, headers: dict[str, str]
                      ) -> web.StreamResponse:
        assert self._session is not None
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        async with self._session.get("http://daemon/api/v1/events", headers=headers) as up:
            response.set_status(up.status)
            await response.prepare(request)
            if up.status != 200:
                await response.write(await up.read())
                return response
            stream = Stream(response)
            self.streams.append(stream)
            self.opened += 1
            try:
                pending = b""
                async for chunk in up.content.iter_any():
                    pending += chunk
                    while b"\n\n" in pending:
                        raw, pending = pending.split(b"\n\n", 1)
                        await self._pass(stream, raw + b"\n\n")
            except (ConnectionError, RuntimeError):
                pass  # the dashboard hung up
            finally:
                self.streams.remove(stream)
        return response

    async def _pass(self, stream: Stream, frame: bytes) -> None:
        if frame.startswith(b":"):  # a heartbeat
            await stream.response.write(frame)
            return
        kind = kind_of(frame)
        if self.hold or self._drop > 0:
            self._drop = max(0, self._drop - 1)
            self.held.append(kind)
            return
        if stream.shift:
            frame = ID_LINE.sub(lambda m: b"id: %d" % (int(m.group(1)) + stream.shift), frame)
        stream.kinds.append(kind)
        await stream.response.write(frame)
