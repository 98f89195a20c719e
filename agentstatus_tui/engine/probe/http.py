"""aiohttp sessions for probing (one per region), and transport failures as error codes
with a detail that names the cause in plain words.

Probes go through aiohttp directly: httpx's layer over it doubled the CPU per probe, and
httpx's own transport (once needed for SOCKS) cost twenty times as much. SOCKS regions
use `aiohttp-socks`' connector, so a proxied region costs what a direct one does.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import aiohttp
import python_socks
from aiohttp_socks import ProxyConnector, ProxyType
from yarl import URL

from ..model import ErrorCode, Region

USER_AGENT = "agentstatus/0.1"
# Compressed answers are decoded by the Prober itself, bounded by the body cap.
ACCEPT_ENCODING = "gzip, deflate"
SOCKS_SCHEMES = {"socks5": ProxyType.SOCKS5, "socks5h": ProxyType.SOCKS5,
                 "socks4": ProxyType.SOCKS4}


_SSLError = ssl.SSLError  # the connector's `ssl` argument shadows the module there


class ProxyFailure(Exception):
    """The SOCKS proxy could not open the tunnel to the agent (refused, reset, garbage, or
    the agent unreachable from there): the agent was never reached, so this is CONNECT."""


class _SocksConnector(ProxyConnector):
    """aiohttp-socks' connector, with every failure to open the tunnel made a
    ProxyFailure (a TLS failure with the agent itself stays a TLS error)."""

    async def _connect_via_proxy(
        self, host: str, port: int, ssl: ssl.SSLContext | None = None,
        timeout: float | None = None,
    ) -> tuple[asyncio.Transport, aiohttp.client_proto.ResponseHandler]:
        try:
            return await super()._connect_via_proxy(host, port, ssl, timeout)
        except (TimeoutError, _SSLError):
            raise
        except (OSError, python_socks.ProxyError, python_socks.ProxyConnectionError,
                asyncio.IncompleteReadError) as e:
            proxy = f"{self._proxy_host}:{self._proxy_port}"
            raise ProxyFailure(_proxy_why(e, proxy, f"{host}:{port}")) from e


def _proxy_why(e: BaseException, proxy: str, target: str) -> str:
    for cause in _chain(e):
        if isinstance(cause, ConnectionRefusedError) or _errno(cause) == errno.ECONNREFUSED:
            return f"connection refused by the proxy {proxy}"
        if isinstance(cause, ConnectionResetError | asyncio.IncompleteReadError):
            return f"the proxy {proxy} closed the connection before reaching {target}"
    if isinstance(e, python_socks.ProxyError) and e.error_code == 5:
        return f"connection refused by {target} (reported by the proxy {proxy})"
    text = " ".join(str(e).split()) or type(e).__name__
    return f"the proxy {proxy} could not reach {target}: {text}"[:300]


def make_session(region: Region, *, max_in_flight: int) -> aiohttp.ClientSession:
    """The aiohttp session `region`'s probes leave through: direct, through an HTTP proxy
    (aiohttp's own: plain requests forwarded, https tunnelled with CONNECT) or through a
    SOCKS proxy (aiohttp-socks; names resolved by the proxy, as `ssh -D` users expect).
    Must be called inside the running event loop the session will be used from."""
    proxy = region.proxy
    http_proxy: str | None = None
    connector: aiohttp.TCPConnector
    scheme = proxy.split("://", 1)[0].lower() if proxy else ""
    if proxy and scheme in SOCKS_SCHEMES:
        url = URL(proxy)
        connector = _SocksConnector(
            host=url.host or "127.0.0.1",
            port=url.port or 1080,
            proxy_type=SOCKS_SCHEMES[scheme],
            username=url.user,
            password=url.password,
            rdns=True,
            limit=max_in_flight,
            ttl_dns_cache=60,
        )
    else:
        connector = aiohttp.TCPConnector(limit=max_in_flight, ttl_dns_cache=60)
        http_proxy = proxy
    return aiohttp.ClientSession(
        connector=connector,
        proxy=http_proxy,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        # Each probe stands alone, as a first-time caller would: no cookies kept.
        cookie_jar=aiohttp.DummyCookieJar(),
        # The Prober decodes bodies itself, counting decoded bytes against the cap.
        auto_decompress=False,
        # The Prober bounds each whole request with asyncio.timeout.
        timeout=aiohttp.ClientTimeout(total=None),
        # A region is an explicit place to probe from: environment proxies must not
        # silently reroute it.
        trust_env=False,
    )


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
_CONNECT_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.EADDRNOTAVAIL: "address not available",
}
_RESET_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


def _errno(e: BaseException) -> int | None:
    if isinstance(e, aiohttp.ClientConnectorError):
        return e.os_error.errno
    return e.errno if isinstance(e, OSError) else None


def _where(chain: list[BaseException]) -> str:
    for e in chain:
        if isinstance(e, aiohttp.ClientProxyConnectionError):
            return f" the proxy {e.host}:{e.port}"
        if isinstance(e, aiohttp.ClientConnectorError):
            return f" {e.host}:{e.port}"
    return ""


def failure(exc: BaseException) -> tuple[ErrorCode, str]:
    """The error code of a failed request and a one-line reason, judged by the exception
    AND what caused it: the most specific cause wins. aiohttp's own wording is not used
    for connection failures (it says "ssl:default" even for plain http)."""
    chain = _chain(exc)
    where = _where(chain)
    for e in chain:
        if isinstance(e, ssl.SSLError):
            return ErrorCode.TLS, f"TLS: {_ssl_text(e)}"[:300]
        if isinstance(e, aiohttp.ServerFingerprintMismatch):
            return ErrorCode.TLS, "TLS: the certificate's fingerprint does not match"
    for e in chain:
        if isinstance(e, ProxyFailure):
            return ErrorCode.CONNECT, str(e)[:300]
    for e in chain:
        if isinstance(e, socket.gaierror | aiohttp.ClientConnectorDNSError):
            return ErrorCode.DNS, f"cannot resolve{where or ' the host name'}: {_strerror(e)}"
    text = " ".join(str(e).lower() for e in chain)
    if any(w in text for w in _DNS_WORDS):
        return ErrorCode.DNS, f"cannot resolve{where or ' the host name'}"
    for e in chain:
        n = _errno(e)
        if isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError) or (
            n in _RESET_ERRNOS
        ):
            return ErrorCode.PROTOCOL, "connection reset by the agent"
        if isinstance(e, ConnectionRefusedError) or n in _CONNECT_WORDS:
            words = _CONNECT_WORDS.get(n or 0, "connection refused")
            return ErrorCode.CONNECT, f"{words} by{where}" if where else words
        if isinstance(e, aiohttp.ClientConnectorError):
            return ErrorCode.CONNECT, f"cannot connect to{where}: {_strerror(e)}"
    for e in chain:
        if isinstance(e, TimeoutError):
            return ErrorCode.TIMEOUT, "timed out"
    for e in chain:
        if isinstance(e, aiohttp.ServerDisconnectedError):
            return ErrorCode.PROTOCOL, "the agent closed the connection without a complete answer"
        if isinstance(e, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
            return ErrorCode.PROTOCOL, " ".join(f"{type(e).__name__}: {_message(e)}".split())[:300]
    if isinstance(exc, aiohttp.InvalidURL):
        return ErrorCode.CONNECT, f"invalid URL: {exc}"[:300]
    return ErrorCode.PROTOCOL, " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def classify(exc: BaseException) -> ErrorCode:
    """The error code alone (see `failure`)."""
    return failure(exc)[0]


def _ssl_text(e: ssl.SSLError) -> str:
    # "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ... (_ssl.c:1006)"
    text = str(e)
    return text.split("] ", 1)[-1].split(" (_ssl.c", 1)[0] or text


def _strerror(e: BaseException) -> str:
    if isinstance(e, aiohttp.ClientConnectorError):
        e = e.os_error
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e) or type(e).__name__


def _message(e: BaseException) -> str:
    if isinstance(e, aiohttp.ClientResponseError):
        return e.message
    return str(e)
