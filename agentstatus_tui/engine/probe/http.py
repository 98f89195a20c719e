"""HTTP clients for probing (one per region) and turning transport failures into error codes."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from ..model import ErrorCode, Region

USER_AGENT = "agentstatus/0.1"


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing: each probe stands alone, as a first-time caller would
    (and extracting cookies from every response was a tenth of the CPU per probe)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class ProbeClient(httpx.AsyncClient):
    """An httpx client without a cookie jar."""

    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        pass  # httpx's constructor sets cookies; a probe client keeps none


def make_client(
    region: Region, *, max_in_flight: int, force_httpx: bool = False
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` that sends through one aiohttp session for `region`.

    httpx's own transport costs ~10x more CPU per request (its pool scans every
    connection), so it is used only where aiohttp cannot go: a SOCKS proxy. `force_httpx`
    exists so tests can prove both transports classify errors the same way.
    Must be called inside the running event loop the client will be used from.
    """
    proxy = region.proxy
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    common = {
        "headers": {"User-Agent": USER_AGENT},
        "follow_redirects": False,
        # The Prober bounds each whole request (body included) with asyncio.timeout;
        # httpx's own 5 s default would cut slower agents short of their configured timeout.
        "timeout": None,
        # A region is an explicit place to probe from: environment proxies must not
        # silently reroute it.
        "trust_env": False,
    }
    if force_httpx or (proxy and proxy.startswith(("socks5://", "socks5h://", "socks4://"))):
        return ProbeClient(proxy=proxy, limits=limits, **common)

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=max_in_flight, ttl_dns_cache=60)
        return aiohttp.ClientSession(connector=connector, trust_env=False)

    transport = AiohttpTransport(
        client=session,
        limits=limits,
        proxy=httpx.Proxy(proxy) if proxy else None,
        trust_env=False,
    )
    return ProbeClient(transport=transport, **common)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from, outermost first."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 10:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


_DNS_WORDS = ("name or service not known", "nodename nor servname", "getaddrinfo",
              "temporary failure in name resolution", "no address associated")
_CONNECT_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL}
_RESET_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


def classify(exc: BaseException) -> ErrorCode:
    """The error code of a failed request, judged by the exception AND what caused it.

    httpx-aiohttp 0.2.0 maps a refused connection to `httpx.ConnectTimeout` (its cause is
    an `aiohttp.ClientConnectorError`), so the outer type alone would say TIMEOUT for an
    agent that is plainly down. The most specific cause wins.
    """
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, ssl.SSLError | aiohttp.ClientSSLError | aiohttp.ServerFingerprintMismatch):
            return ErrorCode.TLS
    for e in chain:
        if isinstance(e, socket.gaierror) or type(e).__name__ == "ClientConnectorDNSError":
            return ErrorCode.DNS
    text = " ".join(str(e).lower() for e in chain)
    if any(w in text for w in _DNS_WORDS):
        return ErrorCode.DNS
    if "ssl" in text and ("certificate" in text or "handshake" in text or "wrong version" in text):
        return ErrorCode.TLS
    for e in chain:
        if isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
            return ErrorCode.PROTOCOL
        if isinstance(e, ConnectionRefusedError | aiohttp.ClientConnectorError):
            return ErrorCode.CONNECT
        if isinstance(e, OSError) and e.errno in _RESET_ERRNOS:
            return ErrorCode.PROTOCOL
        if isinstance(e, OSError) and e.errno in _CONNECT_ERRNOS:
            return ErrorCode.CONNECT
    for e in chain:
        if isinstance(
            e,
            asyncio.TimeoutError
            | aiohttp.ServerTimeoutError
            | aiohttp.SocketTimeoutError,
        ):
            return ErrorCode.TIMEOUT
    for e in chain:
        if isinstance(
            e,
            aiohttp.ServerDisconnectedError
            | aiohttp.ClientPayloadError
            | aiohttp.ClientResponseError
            | httpx.RemoteProtocolError
            | httpx.ReadError
            | httpx.WriteError
            | httpx.DecodingError,
        ):
            return ErrorCode.PROTOCOL
    outer = chain[0]
    if isinstance(outer, httpx.ProxyError | httpx.ConnectError | httpx.UnsupportedProtocol):
        return ErrorCode.CONNECT
    if isinstance(outer, httpx.TimeoutException):
        return ErrorCode.TIMEOUT
    if isinstance(outer, httpx.NetworkError | aiohttp.ClientConnectionError):
        return ErrorCode.PROTOCOL
    return ErrorCode.PROTOCOL
