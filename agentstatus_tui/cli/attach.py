"""Which engine the dashboard uses: a daemon's (`agentstatus serve`) when one answers on
the socket for this data dir, or `--attach URL|SOCKET`; else its own Monitor (`--local`,
or nothing answers)."""

from __future__ import annotations

import argparse
import os

TOKEN_ENV = "AGENTSTATUS_API_KEY"  # the seed's name for the daemon's token


def add_attach_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--attach", metavar="URL|SOCKET",
        help="show a running `agentstatus serve` instead of polling from here: its URL "
             "(http://host:8747) or unix socket path. Bare `agentstatus` attaches by itself "
             "when a daemon keeping the same data dir answers on the default socket or "
             "the system daemon's (/run/agentstatus/api.sock)")
    where.add_argument("--local", action="store_true",
                       help="poll from this dashboard even when a daemon is running")
    parser.add_argument(
        "--token", metavar="TOKEN",
        help=f"the daemon's bearer token for --attach URL (default: ${TOKEN_ENV}; the "
             "variable keeps it out of the process list)")


def token(args: argparse.Namespace) -> str | None:
    return getattr(args, "token", None) or os.environ.get(TOKEN_ENV) or None
