"""The live event feed behind `GET /api/v1/events` (Server-Sent Events).

Each event is numbered, kept in a bounded ring (for `Last-Event-ID` resume) and offered
to every client's bounded queue without waiting. It is serialised once, when a client
first needs it (to send it or to replay it), so events nobody reads cost no JSON. A client whose
queue is full is too slow: its queue is replaced by a `resync` event and it is dropped,
so one stalled reader never slows the daemon or the other readers. Ids start at the
daemon's start time in milliseconds, so an id from before a restart is older than every
id kept and asks for a resync instead of silently resuming in the wrong place."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

RING_SIZE = 1000
QUEUE_SIZE = 256
# Bytes the kernel may hold for one event client that does not read (Linux doubles it):
# without a bound the send buffer grows to megabytes per client (tcp_wmem), so a stalled
# reader would cost that much memory and be noticed only minutes later.
SEND_BUFFER = 64 * 1024

log = logging.getLogger("agentstatus.serve")


def bound_send_buffer(transport: asyncio.BaseTransport | None) -> None:
    """Cap the kernel's send buffer of an event stream's socket (TCP or unix)."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)


Body = bytes | Callable[[], bytes]  # an event's JSON, or how to build it when needed


class Frame:
    """One event as sent: `data` is built from the body when first asked, then kept."""

    __slots__ = ("_body", "_data", "id", "kind")

    def __init__(self, event_id: int | None, kind: str, body: Body) -> None:
        self.id = event_id  # None: not resumable (resync)
        self.kind = kind
        self._body: Body | None = body
        self._data: bytes | None = None

    @property
    def data(self) -> bytes:
        if self._data is None:
            body, self._body = self._body, None
            kind = self.kind
            try:
                text = body() if callable(body) else body
            except Exception:  # never a stream ended on a bad event: the reader resyncs
                log.exception("event %s could not be written", self.id)
                kind, text = "resync", b'{"reason":"an event could not be written"}'
            assert text is not None
            head = f"id: {self.id}\n" if self.id is not None else ""
            self._data = b"%bevent: %b\ndata: %b\n\n" % (head.encode(), kind.encode(), text)
        return self._data


def frame(event_id: int | None, kind: str, payload: Mapping[str, Any]) -> Frame:
    return Frame(event_id, kind, json.dumps(payload, separators=(",", ":")).encode())


def resync(reason: str) -> Frame:
    return frame(None, "resync", {"reason": reason})


@dataclass(eq=False)
class Client:
    queue: asyncio.Queue[Frame | None]
    replay: list[Frame] = field(default_factory=list)
    dropped: bool = False


class EventFeed:
    def __init__(self, *, ring_size: int = RING_SIZE, queue_size: int = QUEUE_SIZE,
                 first_id: int | None = None) -> None:
        self._ring: deque[Frame] = deque(maxlen=ring_size)
        self._queue_size = queue_size
        self._next = first_id if first_id is not None else int(time.time() * 1000)
        self._clients: set[Client] = set()
        self.dropped = 0  # clients dropped for being too slow, since start

    @property
    def clients(self) -> int:
        return len(self._clients)

    @property
    def last_id(self) -> int:
        return self._next - 1

    def publish(self, kind: str, payload: Mapping[str, Any] | Callable[[], bytes]) -> None:
        """`payload`, or a function that writes its JSON (called once, when a client first
        needs the event; it must read only what cannot change, such as the event)."""
        f = (Frame(self._next, kind, payload) if callable(payload)
             else frame(self._next, kind, payload))
        self._next += 1
        self._ring.append(f)
        for client in list(self._clients):
            try:
                client.queue.put_nowait(f)
            except asyncio.QueueFull:
                self._drop(client, "too slow: events were dropped")

    def _drop(self, client: Client, reason: str) -> None:
        self._clients.discard(client)
        client.dropped = True
        self.dropped += 1
        while not client.queue.empty():
            client.queue.get_nowait()
        client.queue.put_nowait(resync(reason))
        client.queue.put_nowait(None)

    def attach(self, last_event_id: str | None = None) -> Client:
        """A new client; with `last_event_id`, the events it missed are in `replay` (or a
        resync event when they are no longer kept)."""
        client = Client(asyncio.Queue(self._queue_size + 2))
        if last_event_id is not None:
            client.replay = self._missed(last_event_id)
        self._clients.add(client)
        return client

    def _missed(self, last_event_id: str) -> list[Frame]:
        try:
            last = int(last_event_id.strip())
        except ValueError:
            return [resync("unknown Last-Event-ID")]
        if last == self.last_id:
            return []
        oldest = self._ring[0].id if self._ring else self._next
        if last > self.last_id or oldest is None or last < oldest - 1:
            return [resync("events since Last-Event-ID are no longer kept")]
        return [f for f in self._ring if f.id is not None and f.id > last]

    def detach(self, client: Client) -> None:
        self._clients.discard(client)

    def close(self) -> None:
        """End every client's stream (the daemon is stopping)."""
        for client in list(self._clients):
            self._clients.discard(client)
            try:
                client.queue.put_nowait(None)
            except asyncio.QueueFull:
                while not client.queue.empty():
                    client.queue.get_nowait()
                client.queue.put_nowait(None)
