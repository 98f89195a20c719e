"""The `agentstatus` command: the dashboard by default, and subcommands for scripts."""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
from collections.abc import Sequence

from .. import __version__
from ..engine.history.db import StoreError
from .common import EXIT_STORE_FAILED, add_common_options, store_failure

# Each module has `register(subparsers, parents)`; it adds its subcommand(s) and sets
# `func(args) -> int` on them. One module per area, owned by that area.
COMMAND_MODULES = (
    "agentstatus_tui.cli.check",
    "agentstatus_tui.cli.alerts",
    "agentstatus_tui.cli.incidents",
    "agentstatus_tui.cli.ack",
    "agentstatus_tui.cli.history",
    "agentstatus_tui.cli.silences",
    "agentstatus_tui.cli.init",
    "agentstatus_tui.cli.schema",
    "agentstatus_tui.cli.serve",
    "agentstatus_tui.cli.status",
)


def build_parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(add_help=False)
    add_common_options(top)
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common, suppress=True)
    parser = argparse.ArgumentParser(
        prog="agentstatus",
        description="Monitor AI agents (OpenAI chat-completions endpoints) from the terminal. "
        "Without a COMMAND it opens the dashboard.",
        parents=[top],
    )
    parser.add_argument("--version", action="version", version=f"agentstatus {__version__}")
    parser.add_argument("--theme", help="dashboard theme: dark, light, high-contrast, monochrome")
    from .attach import add_attach_options

    add_attach_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, [common])
    # The command is optional (bare `agentstatus` opens the dashboard); argparse would
    # print it as required.
    usage = parser.format_usage().removeprefix("usage: ").rstrip("\n")
    parser.usage = usage.replace("COMMAND ...", "[COMMAND ...]")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    try:
        if func is None:
            from .dashboard import run_dashboard

            return run_dashboard(args)
        code = int(func(args) or 0)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        return 130
    except (StoreError, sqlite3.Error) as exc:
        # A broken store is one line naming the file and the cause, not a traceback.
        print(f"agentstatus: {store_failure(args, exc)}", file=sys.stderr)
        return EXIT_STORE_FAILED
    except BrokenPipeError:
        # `agentstatus check --json | head`: the reader left; that is not an error of ours.
        # Point stdout at devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
