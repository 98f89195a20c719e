"""`agentstatus` with no subcommand: the live dashboard (`--demo` for the demo agents)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from ..engine.model import Config
from .common import demo_data_dir, load_config_from_args


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
        return asyncio.run(_dashboard(args))
    except KeyboardInterrupt:
        return 130


async def _dashboard(args: argparse.Namespace) -> int:
    if getattr(args, "demo", False):
        from ..demo import DemoAgents

        async with DemoAgents() as demo:
            return await _serve(demo.config(), demo_data_dir(args), args)
    config = load_config_from_args(args)
    if config is None:
        return 2
    return await _serve(config, args.data_dir, args)


async def _serve(config: Config, data_dir: str | None, args: argparse.Namespace) -> int:
    from ..engine.history import db
    from ..engine.logs import LOG_FILENAME, setup_logging, teardown_logging
    from ..engine.monitor import Monitor
    from ..ui.app import AgentStatusApp

    # The screen is the dashboard's: its log goes to a file beside the history.
    log_file = db.data_dir(data_dir or config.data_dir) / LOG_FILENAME
    with db.store_errors(log_file):  # a read-only data dir is one line, not a traceback
        handlers = setup_logging(config.secrets, log_file=log_file)
    monitor = Monitor.open(config, data_dir=data_dir, probe_thread=True)
    try:
        monitor.load_history()
        app = AgentStatusApp(monitor, theme=getattr(args, "theme", None))
        # A dropped SSH session (SIGHUP) or a `kill` (SIGTERM) closes the dashboard the
        # way `q` does, so the store records that verdicts are unknown from now on instead
        # of counting the time the dashboard is gone as the last verdict.
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, app.exit)
        # mouse=False: no mouse-reporting escape codes over an SSH link.
        await app.run_async(mouse=False)
    finally:
        await monitor.stop()
        teardown_logging(handlers)
    return app.return_code or 0
