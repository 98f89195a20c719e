"""The live event feed behind `GET /api/v1/events` (Server-Sent Events).

Each event is serialised once, numbered, kept in a bounded ring (for `Last-Event-ID`
resume) and offered to every client's bounded queue without waiting. A client whose
queue is full is too slow: its queue is replaced by a `resync` event and it is dropped,
so one stalled reader never slows the daemon or the other readers. Ids start at the
daemon's start time in milliseconds, so an id from before a restart is older than every
id kept and asks for a resync instead of silently resuming in the wrong place."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RING_SIZE = 1000
QUEUE_SIZE = 256
# Bytes the kernel may hold for one event client that does not read (Linux doubles it):
# without a bound the send buffer grows to megabytes per client (tcp_wmem), so a stalled
# reader would cost that much memory and be noticed only minutes later.
SEND_BUFFER = 64 * 1024


def bound_send_buffer(transport: asyncio.BaseTransport | None) -> None:
    """Cap the kernel's send buffer of an event stream's socket (TCP or unix)."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)


@dataclass(frozen=True)
class Frame:
    id: int | None  # None: not resumable (resync)
    data: bytes


def frame(event_id: int | None, kind: str, payload: Mapping[str, Any]) -> Frame:
    body = json.dumps(payload, separators=(",", ":"))
    head = f"id: {event_id}\n" if event_id is not None else ""
    return Frame(event_id, f"{head}event: {kind}\ndata: {body}\n\n".encode())


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

    def publish(self, kind: str, payload: Mapping[str, Any]) -> None:
        f = frame(self._next, kind, payload)
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
