"""One event client that stops reading, over a real TCP socket: the daemon drops it (its
bounded queue filled), the other clients keep getting every event in order, and the
daemon's memory stays bounded."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import aiohttp
import pytest
from agent_server import AgentServer, Reply
from serve_process import READ_TOKEN, ServeProcess, agents_config, until

pytestmark = pytest.mark.timeout(120)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class Reader:
    """An event client that reads everything: the ids it got, and any resync."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.kinds: list[str] = []

    async def read(self, session: aiohttp.ClientSession) -> None:
        async with session.get("/api/v1/events",
                               timeout=aiohttp.ClientTimeout(total=None)) as r:
            assert r.status == 200
            async for raw in r.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    self.ids.append(int(line[4:]))
                elif line.startswith("event: "):
                    self.kinds.append(line[7:])


def stalled_client(port: int) -> socket.socket:
    """Asks for the event stream, then never reads (a tiny receive buffer, so the
    daemon's writes back up soon)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Authorization: Bearer {READ_TOKEN}\r\n\r\n".encode())
    return sock


END = b"0\r\n\r\n"  # the last chunk of a chunked response: the stream ended


def read_to_end(sock: socket.socket) -> bytes:
    """What the daemon had queued for the stalled client, up to the stream's end."""
    sock.settimeout(30)
    data = b""
    with contextlib.suppress(OSError):
        while not data.endswith(END) and (chunk := sock.recv(65536)):
            data += chunk
    return data


async def test_a_stalled_event_client_is_dropped_and_the_others_keep_up(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({f"agent-{i:02d}": agents.url("/ok") for i in range(32)},
                             interval="1s")
        async with ServeProcess(tmp_path, text, socket=True) as d:
            async def clients() -> int:
                doc = await d.get_json("/api/v1/status", READ_TOKEN)
                return int(doc["events"]["clients"])

            readers = [Reader() for _ in range(3)]
            sessions = [d.session(None, unix=True), d.session(READ_TOKEN),
                        d.session(READ_TOKEN)]
            tasks = [asyncio.create_task(r.read(s)) for r, s in zip(readers, sessions,
                                                                     strict=True)]
            try:
                await until(lambda: _equals(clients(), 3), what="three readers attached")
                assert d.proc is not None
                rss = rss_mb(d.proc.pid)
                stalled = await asyncio.to_thread(stalled_client, d.port or 0)
                await until(lambda: _equals(clients(), 4), what="the stalled client attached")
                # It never reads: its queue fills and the daemon lets it go.
                await until(lambda: _equals(clients(), 3), timeout=90,
                            what="the stalled client dropped")
                grown = rss_mb(d.proc.pid) - rss
                seen = max(len(r.ids) for r in readers)
                await until(lambda: _true(min(len(r.ids) for r in readers) > seen + 20),
                            what="events after the drop")
                left = await asyncio.to_thread(read_to_end, stalled)
                stalled.close()
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                for s in sessions:
                    await s.close()
        assert grown < 40, f"the daemon grew {grown:.0f} MB while a client stalled"
        # The others missed nothing: every id in order, no resync.
        for r in readers:
            assert "resync" not in r.kinds
            assert r.ids == list(range(r.ids[0], r.ids[0] + len(r.ids)))
        # The stalled one's stream was ended, with a resync event as its last words (unless
        # it read nothing for longer than the daemon waits on one write: then the daemon
        # gave up on that write).
        assert left.startswith(b"HTTP/1.1 200") and left.endswith(END)
        if "could not keep up: told to resync and dropped" in d.log:
            assert left[:-len(END)].endswith(b'event: resync\ndata: {"reason":"too slow: '
                                             b'events were dropped"}\n\n\r\n')
        else:
            assert "an event client read nothing for 10s: its stream is ended" in d.log
        assert "Traceback" not in d.log


async def _equals(found: object, want: int) -> bool:
    return await found == want  # type: ignore[misc]


async def _true(value: bool) -> bool:
    return value
