"""Asking a running `agentstatus serve` daemon instead of probing: where it listens
(`--server URL|SOCKET`, default the unix socket of this data dir), the bearer token, and
one JSON GET with every way it can fail said in one line for a person (or cron)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import httpx

from ..client.target import Target, parse_target
from .daemon_sockets import daemon_for, data_dir_path, default_sockets

TOKEN_ENV = "AGENTSTATUS_API_KEY"  # the seed's name for the API key
DEFAULT_TIMEOUT = 10.0  # seconds: the Nagios plugin default


class DaemonError(Exception):
    """The daemon could not be asked (not answering, refused the token, answered
    nonsense): one line for a person, without any token."""


class DaemonUnreachable(DaemonError):
    pass


class DaemonRefused(DaemonError):
    """401/403: the token is missing, unknown, or may not do this."""


def default_socket(args: argparse.Namespace) -> Path:
    """The socket of the daemon to ask when none is named, from `default_sockets` (this
    data dir's, as serve chooses it, then the system daemon's): with a data dir named
    (--data-dir, the config's `data_dir:`), the one whose daemon keeps that data dir, as
    the dashboard attaches; with none, the first that exists (the team's daemon, for a
    user who runs none of their own)."""
    named = getattr(args, "data_dir", None) or _config_data_dir(args)
    mine = data_dir_path(named)
    sockets = default_sockets(mine)
    if named:
        return daemon_for(mine)[0] or sockets[0]
    return next((s for s in sockets if s.exists()), sockets[0])


def _config_data_dir(args: argparse.Namespace) -> str | None:
    """The `data_dir:` of the config named by --config, when it has one and loads."""
    path = getattr(args, "config", None)
    if not path:
        return None
    from ..engine.config.load import load_config
    from ..engine.model import ConfigError

    try:
        return load_config(path).data_dir
    except (ConfigError, OSError):
        return None


def target_from_args(args: argparse.Namespace) -> Target:
    given = getattr(args, "server", None)
    if given:
        return parse_target(given)
    return Target(socket=default_socket(args))


def add_server_options(parser: argparse.ArgumentParser, *, what: str) -> None:
    parser.add_argument(
        "--token", metavar="TOKEN",
        help=f"the daemon's bearer token for TCP (default ${TOKEN_ENV}; prefer the variable: "
        "a token on the command line is visible to other users in ps); the unix socket "
        "needs none")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
        help=f"how long to wait for the daemon {what} (default {DEFAULT_TIMEOUT:g})")


class DaemonClient:
    """Synchronous JSON GETs against one daemon (a CLI command asks once and exits)."""

    def __init__(self, target: Target, token: str | None, timeout: float) -> None:
        self.target = target
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        transport = (httpx.HTTPTransport(uds=os.fspath(target.socket))
                     if target.socket is not None else None)
        self._client = httpx.Client(base_url=target.base_url, headers=headers,
                                    timeout=httpx.Timeout(timeout), transport=transport,
                                    trust_env=False, follow_redirects=False)

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def get(self, path: str, *, ok: tuple[int, ...] = (200,)) -> tuple[int, Any]:
        """(status, JSON body) of GET `path`; raises DaemonError unless the status is in
        `ok`."""
        where = str(self.target)
        if self.target.socket is not None and not self.target.socket.exists():
            raise DaemonUnreachable(f"no daemon at {where}: the socket does not exist "
                                    "(is `agentstatus serve` running?)")
        try:
            r = self._client.get(path)
        except httpx.TimeoutException:
            raise DaemonUnreachable(f"the daemon at {where} did not answer in time") from None
        except httpx.HTTPError as exc:
            cause = _cause(exc)
            if self.target.socket is not None and cause == "Connection refused":
                raise DaemonUnreachable(f"no daemon answers on {where} (the socket was left "
                                        "by one that stopped)") from None
            raise DaemonUnreachable(f"cannot reach the daemon at {where}: {cause}") from None
        if r.status_code in (401, 403):
            hint = ("" if r.status_code == 403 else
                    f"; give it with ${TOKEN_ENV} or --token")
            raise DaemonRefused(f"the daemon at {where} refused the request "
                                f"({r.status_code}: {_message(r)}){hint}")
        if r.status_code not in ok:
            raise DaemonError(f"the daemon at {where} answered {r.status_code} to {path}: "
                              f"{_message(r)}")
        try:
            return r.status_code, r.json()
        except ValueError:
            raise DaemonError(f"the daemon at {where} answered {path} with something that "
                              "is not JSON (is it an agentstatus daemon?)") from None


def client_from_args(args: argparse.Namespace) -> DaemonClient:
    token = getattr(args, "token", None) or os.environ.get(TOKEN_ENV) or None
    return DaemonClient(target_from_args(args), token, getattr(args, "timeout", DEFAULT_TIMEOUT))


def _message(r: httpx.Response) -> str:
    try:
        body = r.json()
        message = body["error"]["message"]
        if isinstance(message, str):
            return message[:300]
    except (ValueError, KeyError, TypeError):
        pass
    return (r.reason_phrase or "no reason given")[:300]


def _cause(exc: BaseException) -> str:
    """The innermost cause's words: `Connection refused`, `No such file or directory`."""
    seen = exc
    while seen.__cause__ is not None or seen.__context__ is not None:
        nxt = seen.__cause__ or seen.__context__
        assert nxt is not None
        seen = nxt
    if isinstance(seen, OSError) and seen.strerror:
        return seen.strerror
    text = " ".join(str(seen).split()) or type(seen).__name__
    return text[:200]


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=1)
