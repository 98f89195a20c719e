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


def _top_parser(*, commands: bool) -> argparse.ArgumentParser:
    """The parser of `agentstatus [options]`; its commands are added by build_parser."""
    top = argparse.ArgumentParser(add_help=False)
    add_common_options(top)
    parser = argparse.ArgumentParser(
        prog="agentstatus",
        description="Monitor AI agents (OpenAI chat-completions endpoints) from the terminal. "
        "Without a COMMAND it opens the dashboard.",
        parents=[top],
        # Without the commands (the dashboard's quick parse), -h and --version are only
        # noted, never acted on: the full parser answers them. Same options either way,
        # so an abbreviated option reads the same in both.
        add_help=commands,
        exit_on_error=commands,
    )
    if commands:
        parser.add_argument("--version", action="version", version=f"agentstatus {__version__}")
    else:
        parser.add_argument("-h", "--help", action="store_true")
        parser.add_argument("--version", action="store_true")
    parser.add_argument("--theme", help="dashboard theme: dark, light, high-contrast, monochrome")
    from .attach import add_attach_options

    add_attach_options(parser)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = _top_parser(commands=True)
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, [common])
    # The command is optional (bare `agentstatus` opens the dashboard); argparse would
    # print it as required.
    usage = parser.format_usage().removeprefix("usage: ").rstrip("\n")
    parser.usage = usage.replace("COMMAND ...", "[COMMAND ...]")
    return parser


def dashboard_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The options of a bare `agentstatus [options]` (the dashboard), read without
    importing every command's module (a tenth of the dashboard's start-up); None when
    `argv` names a command, asks for help or the version, or does not parse: then the
    full parser reads it and says what is wrong."""
    try:
        args, rest = _top_parser(commands=False).parse_known_args(argv)
    except argparse.ArgumentError:
        return None
    if rest or args.help or args.version:
        return None
    del args.help, args.version
    args.command = None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = dashboard_args(words) or build_parser().parse_args(words)
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
