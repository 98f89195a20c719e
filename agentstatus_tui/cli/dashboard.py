"""`agentstatus` with no subcommand: the live dashboard (`--demo` for the demo agents)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine import event_loop
from ..engine.model import Config
from .attach import token
from .common import config_given_or_found, demo_data_dir, load_config_from_args

if TYPE_CHECKING:
    from ..client.target import Target
    from ..engine.frontend import MonitorAPI
    from ..ui.app import AgentStatusApp


def run_dashboard(args: argparse.Namespace) -> int:
    """Open the dashboard; returns the exit code (0 after `q`)."""
    from ..ui.themes import theme_names

    theme = getattr(args, "theme", None)
    if theme is not None and theme not in theme_names():
        print(
            f"agentstatus: unknown theme {theme!r} (one of: {', '.join(theme_names())})",
            file=sys.stderr,
        )
        return 2
    try:
        return event_loop.run(_dashboard(args))
    except KeyboardInterrupt:
        return 130


async def _dashboard(args: argparse.Namespace) -> int:
    if getattr(args, "demo", False):
        from ..demo import DemoAgents

        async with DemoAgents() as demo:
            return await _serve(demo.config(), demo_data_dir(args), args)
    said: list[str] = []  # why it polls from here, though a daemon answers
    engine = choose_engine(args, said)
    if engine is None:
        return 2
    if not isinstance(engine, Config):
        return await _attached(engine, args)
    return await _serve(engine, args.data_dir, args, said)


def choose_engine(args: argparse.Namespace, said: list[str] | None = None
                  ) -> Target | Config | None:
    """A daemon to attach to (`--attach`, or unless `--local` one keeping this dashboard's
    data dir that answers on a default socket), else the config to poll from here (None:
    it could not be read, and the errors are printed). Polling from here though another
    daemon answers: the reason is printed on stderr and added to `said`."""
    if getattr(args, "attach", None):
        from ..client.target import parse_target

        return parse_target(args.attach)
    if getattr(args, "local", False):
        return load_config_from_args(args)
    from .daemon_sockets import find_daemon

    named = getattr(args, "data_dir", None)
    config = None
    if not named and config_given_or_found(args):
        config = load_config_from_args(args)  # it may name the data dir
        if config is None:
            return None
    found = find_daemon(named or (config.data_dir if config is not None else None), said)
    if found is not None:
        return _socket(found)
    return config if config is not None else load_config_from_args(args)


def _socket(path: Path) -> Target:
    # The daemon's client (and its HTTP library) is imported only to attach to one.
    from ..client.target import Target

    return Target(socket=path)


async def _attached(target: Target, args: argparse.Namespace) -> int:
    from ..client.remote import RemoteMonitor
    from ..engine.frontend import FrontEndError
    from ..engine.history import db
    from ..engine.logs import LOG_FILENAME, setup_logging, teardown_logging

    secret = token(args)
    log_file = db.data_dir(getattr(args, "data_dir", None)) / LOG_FILENAME
    with db.store_errors(log_file):
        handlers = setup_logging([secret] if secret else [], log_file=log_file)
    try:
        try:
            monitor = await RemoteMonitor.attach(target, token=secret)
        except FrontEndError as exc:
            print(f"agentstatus: cannot attach to {target.where}: {exc}", file=sys.stderr)
            return 1
        try:
            return await _run_app(monitor, args)
        finally:
            await monitor.stop()
    finally:
        teardown_logging(handlers)


async def _serve(config: Config, data_dir: str | None, args: argparse.Namespace,
                 said: Sequence[str] = ()) -> int:
    from ..engine.history import db
    from ..engine.logs import LOG_FILENAME, setup_logging, teardown_logging
    from ..engine.monitor import Monitor

    # The screen is the dashboard's: its log goes to a file beside the history.
    log_file = db.data_dir(data_dir or config.data_dir) / LOG_FILENAME
    with db.store_errors(log_file):  # a read-only data dir is one line, not a traceback
        handlers = setup_logging(config.secrets, log_file=log_file)
    monitor = Monitor.open(config, data_dir=data_dir, probe_thread=True)
    try:
        monitor.load_history()
        return await _run_app(monitor, args, said)
    finally:
        await monitor.stop()
        teardown_logging(handlers)


def dashboard_app(api: MonitorAPI, args: argparse.Namespace, said: Sequence[str] = ()
                  ) -> AgentStatusApp:
    """The dashboard over `api`; what `said` holds is shown as a toast once it is up (the
    same line on stderr is only seen after `q`)."""
    from ..ui.app import AgentStatusApp

    return AgentStatusApp(api, theme=getattr(args, "theme", None), notices=said)


async def _run_app(api: MonitorAPI, args: argparse.Namespace, said: Sequence[str] = ()) -> int:
    app = dashboard_app(api, args, said)
    # A dropped SSH session (SIGHUP) or a `kill` (SIGTERM) closes the dashboard the
    # way `q` does, so the store records that verdicts are unknown from now on instead
    # of counting the time the dashboard is gone as the last verdict.
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGHUP, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, app.exit)
    # mouse=False: no mouse-reporting escape codes over an SSH link.
    await app.run_async(mouse=False)
    return app.return_code or 0
