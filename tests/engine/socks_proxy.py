"""Small SOCKS5 proxies on loopback for tests: a working one (no auth, CONNECT only) that
really connects where it is asked, and broken ones that hang or reset.

    async with Socks5Proxy() as proxy:            # proxy.url, proxy.asked
    async with Socks5Proxy(route={"far.invalid": port}) as proxy:   # a name only it knows
    async with Socks5Proxy(mode="hang") as proxy: # accepts, never answers the greeting
    async with Socks5Proxy(mode="reset") as proxy: # reads the greeting, resets
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

# SOCKS5 reply codes (RFC 1928)
GENERAL_FAILURE, HOST_UNREACHABLE, CONNECTION_REFUSED = 1, 4, 5


class Socks5Proxy:
    def __init__(self, *, route: dict[str, int] | None = None, mode: str = "ok") -> None:
        self.route = route or {}  # host name -> loopback port (names only the proxy knows)
        self.mode = mode
        self.asked: list[str] = []  # host:port of every CONNECT, as the client sent it
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(r, w)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            w.close()
        finally:
            self._tasks.discard(task)

    async def _serve(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        if self.mode == "hang":
            await asyncio.sleep(3600)
        _, n = await r.readexactly(2)
        await r.readexactly(n)
        if self.mode == "reset":
            sock = w.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            w.transport.abort()
            return
        w.write(b"\x05\x00")
        _, _cmd, _, atyp = await r.readexactly(4)
        if atyp == 3:
            host = (await r.readexactly((await r.readexactly(1))[0])).decode()
        elif atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, await r.readexactly(4))
        else:
            host = socket.inet_ntop(socket.AF_INET6, await r.readexactly(16))
        (port,) = struct.unpack("!H", await r.readexactly(2))
        self.asked.append(f"{host}:{port}")
        target_host, target_port = host, port
        if host in self.route:
            target_host, target_port = "127.0.0.1", self.route[host]
        try:
            ur, uw = await asyncio.open_connection(target_host, target_port)
        except ConnectionRefusedError:
            code = CONNECTION_REFUSED
        except socket.gaierror:
            code = HOST_UNREACHABLE
        except OSError:
            code = GENERAL_FAILURE
        else:
            code = 0
        w.write(b"\x05" + bytes([code]) + b"\x00\x01" + bytes(4) + b"\x00\x00")
        await w.drain()
        if code:
            w.close()
            return
        await asyncio.gather(self._pipe(r, uw), self._pipe(ur, w))

    async def __aenter__(self) -> Socks5Proxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            with contextlib.suppress(BaseException):
                await t
