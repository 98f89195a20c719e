"""Where a dashboard attaches: the daemon's unix socket (a path) or its URL."""

from __future__ import annotations

import os
import shlex
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the HTTP library comes with attaching, not with finding a daemon
    import httpx


@dataclass(frozen=True)
class Target:
    url: str | None = None  # http(s)://host:port, for TCP
    socket: Path | None = None  # the unix socket

    def __str__(self) -> str:
        """How a message names it in full: `unix:PATH`, or the URL."""
        return f"unix:{self.socket}" if self.socket is not None else str(self.url)

    @property
    def where(self) -> str:
        """How the header names it: the socket's file name, or the URL."""
        return self.socket.name if self.socket is not None else str(self.url)

    @property
    def base_url(self) -> str:
        return "http://daemon" if self.socket is not None else str(self.url).rstrip("/")

    def transport(self) -> httpx.AsyncHTTPTransport:
        import httpx

        if self.socket is not None:
            return httpx.AsyncHTTPTransport(uds=os.fspath(self.socket))
        return httpx.AsyncHTTPTransport()

    @property
    def curl_base(self) -> str:
        """How curl reaches the daemon: its URL, or `--unix-socket PATH http://localhost`."""
        if self.socket is not None:
            return f"--unix-socket {shlex.quote(os.fspath(self.socket))} http://localhost"
        return self.base_url


def parse_target(text: str) -> Target:
    """`http://host:port`, `https://…`, `unix:PATH`, or the path of a unix socket."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return Target(url=text.rstrip("/"))
    return Target(socket=Path(text.removeprefix("unix:")).expanduser())


def socket_answers(path: Path, timeout: float = 1.0) -> bool:
    """Whether a process accepts connections on the unix socket at `path` (a daemon left
    a stale file behind when it was killed: nobody answers there)."""
    try:
        if not stat.S_ISSOCK(path.stat().st_mode):
            return False
    except OSError:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(timeout)
        try:
            probe.connect(os.fspath(path))
        except OSError:
            return False
    return True
