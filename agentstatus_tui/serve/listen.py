"""Where the daemon listens: a unix socket by default (mode 0660, so the on-call group of
a bastion shares it), TCP with `--listen HOST:PORT`, TLS with `--tls-cert/--tls-key`."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

SOCKET_MODE = 0o660
SOCKET_DIR_MODE = 0o750
SOCKET_NAME = "api.sock"


class ListenError(Exception):
    """Why the daemon cannot listen where it was asked to (a message for a person)."""


@dataclass(frozen=True)
class Tcp:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def url(self, tls: bool) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if tls else 'http'}://{host}:{self.port}"


def parse_listen(text: str) -> Tcp:
    """`HOST:PORT`, `[::1]:PORT` or `:PORT` (all interfaces)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ListenError(f"--listen wants HOST:PORT (e.g. 127.0.0.1:8747), not {text!r}")
    host = host.strip("[]") or "0.0.0.0"
    return Tcp(host, int(port))


def default_socket(data_dir: str) -> Path:
    """`$XDG_RUNTIME_DIR/agentstatus/api.sock`; without a runtime dir, beside the store."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) / "agentstatus" if runtime else Path(data_dir)
    return base / SOCKET_NAME


def claim_socket(path: Path) -> None:
    """Make sure `path` is free: a daemon answering there is an error; a stale socket
    left by a killed daemon is removed. Creates the directory (0750) if needed."""
    if len(os.fsencode(path)) > 100:
        raise ListenError(f"the socket path is too long for a unix socket: {path}")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=SOCKET_DIR_MODE)
    if not path.exists() and not path.is_symlink():
        return
    if not stat.S_ISSOCK(path.lstat().st_mode):
        raise ListenError(f"{path} exists and is not a socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(os.fspath(path))
        except OSError:
            path.unlink(missing_ok=True)  # nobody answers: left by a daemon that died
            return
    raise ListenError(f"another daemon is already listening on {path}")


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ListenError(f"cannot load the TLS certificate or key: {exc}") from None
    return ctx


async def start_unix(runner: web.AppRunner, path: Path) -> web.UnixSite:
    claim_socket(path)
    site = web.UnixSite(runner, os.fspath(path))
    await site.start()
    os.chmod(path, SOCKET_MODE)
    return site


async def start_tcp(runner: web.AppRunner, tcp: Tcp,
                    tls: ssl.SSLContext | None) -> web.TCPSite:
    site = web.TCPSite(runner, tcp.host, tcp.port, ssl_context=tls, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        raise ListenError(f"cannot listen on {tcp.host}:{tcp.port}: "
                          f"{exc.strerror or exc}") from None
    return site


def remove_socket(path: Path) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()
