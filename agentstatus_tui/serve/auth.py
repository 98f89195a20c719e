"""Who may call the API. On TCP: a bearer token from the config (`api: tokens:`), checked
in constant time against every configured token; GET needs `read`, anything else
`write`. On the unix socket the file's mode and group decide who may connect, so no token
is asked for; the caller's user name (from the socket's peer credentials) is recorded on
what they do. Answers never say which tokens exist; tokens never reach a log."""

from __future__ import annotations

import hashlib
import hmac
import pwd
import socket
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from ..engine.model import ApiToken
from .errors import ApiError, Handler

# Paths anyone who can connect may read: liveness, readiness and the API's description.
PUBLIC = frozenset({"/healthz", "/readyz", "/api/v1/openapi.json"})


@dataclass(frozen=True)
class Caller:
    name: str  # the token's name, or the unix user on the socket
    scope: str  # read / write


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def find_token(presented: str, tokens: Sequence[ApiToken]) -> ApiToken | None:
    """The token matching `presented`, comparing with every configured one in constant
    time (digests of equal length, no early exit), so timing tells nothing."""
    given = _digest(presented)
    found: ApiToken | None = None
    for token in tokens:
        if hmac.compare_digest(given, _digest(token.token)) and found is None:
            found = token
    return found


def unix_user(request: web.Request) -> str | None:
    """The connecting process's user on a unix socket (SO_PEERCRED), else None."""
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is None or sock.family != socket.AF_UNIX or not hasattr(socket, "SO_PEERCRED"):
        return None
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", raw)
        return pwd.getpwuid(uid).pw_name
    except (OSError, KeyError):
        return "unix"


UNAUTHORIZED = ApiError(401, "a valid bearer token is required",
                        headers={"WWW-Authenticate": 'Bearer realm="agentstatus"'})


def middleware(tokens: Callable[[], Sequence[ApiToken]]) -> Middleware:
    """`tokens()` is read on every request, so a reloaded config takes effect at once."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        need = "read" if request.method in ("GET", "HEAD", "OPTIONS") else "write"
        user = unix_user(request)
        if user is not None:
            request["caller"] = Caller(user, "write")
            return await handler(request)
        if request.path in PUBLIC:
            request["caller"] = Caller("anonymous", "read")
            return await handler(request)
        configured = tokens()
        if not configured:  # loopback TCP without tokens (refused elsewhere)
            request["caller"] = Caller("loopback", "write")
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise UNAUTHORIZED
        token = find_token(presented.strip(), configured)
        if token is None:
            raise UNAUTHORIZED
        if need == "write" and token.scope != "write":
            raise ApiError(403, "this token may only read")
        request["caller"] = Caller(token.name, token.scope)
        return await handler(request)

    return authenticate


def caller(request: web.Request) -> Caller:
    found = request.get("caller")
    return found if isinstance(found, Caller) else Caller("anonymous", "read")
