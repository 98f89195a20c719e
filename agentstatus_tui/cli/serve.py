"""`agentstatus serve`: the always-on monitor for a team, with the HTTP API."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine import event_loop
from ..engine.model import Config
from .common import demo_data_dir, load_config_from_args

if TYPE_CHECKING:
    from ..serve.listen import Tcp

log = logging.getLogger("agentstatus.serve")


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        parents=parents,
        help="run the monitor headless for a team, with an HTTP API, events and metrics",
        description="Poll every agent, store, alert and track incidents with no dashboard "
        "open, and serve the JSON API (/api/v1, described at /api/v1/openapi.json), "
        "Server-Sent Events and Prometheus /metrics. Listens on a unix socket "
        "($XDG_RUNTIME_DIR/agentstatus/api.sock, mode 0660) unless --listen is given. "
        "SIGHUP reloads the config; SIGTERM stops.",
    )
    p.add_argument("--listen", metavar="HOST:PORT",
                   help="listen on TCP (bearer tokens from the config's api: section are "
                   "required; without any token only a loopback address is allowed)")
    p.add_argument("--socket", metavar="PATH",
                   help="the unix socket (default $XDG_RUNTIME_DIR/agentstatus/api.sock); "
                   "with --listen, also listen here")
    p.add_argument("--tls-cert", metavar="FILE", help="serve TCP over TLS with this certificate")
    p.add_argument("--tls-key", metavar="FILE", help="the TLS certificate's private key")
    p.add_argument("--heartbeat", type=float, default=15.0, metavar="SECONDS",
                   help="comment heartbeat on idle event streams (default 15)")
    p.add_argument("--systemd-unit", action="store_true",
                   help="print a systemd unit for the daemon and exit")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    if args.systemd_unit:
        from ..serve.systemd import unit_text

        print(unit_text(), end="")
        return 0
    if bool(args.tls_cert) != bool(args.tls_key):
        print("agentstatus: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if args.tls_cert and not args.listen:
        print("agentstatus: TLS is for TCP: give --listen HOST:PORT too", file=sys.stderr)
        return 2
    if not args.heartbeat > 0:
        print("agentstatus: --heartbeat must be more than 0", file=sys.stderr)
        return 2
    try:
        return event_loop.run(_main(args))
    except KeyboardInterrupt:
        return 130


async def _main(args: argparse.Namespace) -> int:
    if getattr(args, "demo", False):
        from ..demo import DemoAgents

        async with DemoAgents() as demo:
            return await _serve(args, demo.config(), demo_data_dir(args), None)
    config = load_config_from_args(args)
    if config is None:
        return 2
    from ..engine.history import db

    data_dir = str(db.data_dir(args.data_dir or config.data_dir))
    return await _serve(args, config, data_dir, config.path)


def public_port_rule(tcp: Tcp | None) -> Callable[[Config], list[str]]:
    """The rule a config must pass when the daemon listens on `tcp`: tokens are required
    unless the address is loopback."""
    def check(config: Config) -> list[str]:
        if tcp is not None and not tcp.loopback and not config.api_tokens:
            return [f"listening on {tcp.host}:{tcp.port} (not loopback) needs at least one "
                    "bearer token under api: tokens: in the config"]
        return []

    return check


async def _serve(args: argparse.Namespace, config: Config, data_dir: str,
                 config_path: str | None) -> int:
    from ..engine.logs import setup_logging, teardown_logging
    from ..serve.app import make_app
    from ..serve.bad_requests import ApiRunner
    from ..serve.daemon import Daemon
    from ..serve.listen import (
        ListenError,
        default_socket,
        parse_listen,
        remove_socket,
        start_tcp,
        start_unix,
        tls_context,
    )

    try:
        tcp: Tcp | None = parse_listen(args.listen) if args.listen else None
        tls = tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
    except ListenError as exc:
        print(f"agentstatus: {exc}", file=sys.stderr)
        return 2
    rule = public_port_rule(tcp)
    problems = rule(config)
    if problems:
        for line in problems:
            print(f"agentstatus: {line}", file=sys.stderr)
        return 2
    sock: Path | None = None
    if args.socket or tcp is None:
        sock = Path(args.socket) if args.socket else default_socket(data_dir)

    handlers = setup_logging(config.secrets, stream_level=logging.INFO)

    def on_config(new: Config) -> None:
        nonlocal handlers
        old, handlers = handlers, setup_logging(new.secrets, stream_level=logging.INFO)
        teardown_logging(old)

    daemon = Daemon(config, data_dir=data_dir, config_path=config_path,
                    heartbeat=args.heartbeat, check_config=rule, on_config=on_config)
    # lingering_time=0: a request body the API did not read (refused before reading it,
    # or not in its Content-Encoding) closes the connection after the answer, instead of
    # being read and thrown away for up to 10 s (and a body that cannot be decoded
    # raising again there, logged by aiohttp as an unhandled exception).
    runner = ApiRunner(make_app(daemon), access_log=None, shutdown_timeout=3.0,
                       lingering_time=0)
    await runner.setup()
    try:
        where = []
        if sock is not None:
            await start_unix(runner, sock)
            where.append(f"unix:{sock}")
        if tcp is not None:
            await start_tcp(runner, tcp, tls)
            where.append(tcp.url(tls is not None))
            if tcp.loopback and not config.api_tokens:
                log.warning("no api tokens configured: anyone on this machine may use %s",
                            tcp.url(tls is not None))
    except ListenError as exc:
        print(f"agentstatus: {exc}", file=sys.stderr)
        await runner.cleanup()
        teardown_logging(handlers)
        return 2
    daemon.listening = where
    try:
        await daemon.start()
        loop = asyncio.get_running_loop()
        log.info("listening on %s (event loop: %s)", ", ".join(where),
                 type(loop).__module__.split(".")[0])
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        reloads: set[asyncio.Task[list[str]]] = set()

        def reload() -> None:
            task = loop.create_task(daemon.reload("SIGHUP"))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, reload)
        await stop.wait()
        log.info("stopping")
    finally:
        daemon.feed.close()
        with contextlib.suppress(Exception):
            await runner.cleanup()
        await daemon.stop()
        if sock is not None:
            remove_socket(sock)
        log.info("stopped")
        teardown_logging(handlers)
    return 0
