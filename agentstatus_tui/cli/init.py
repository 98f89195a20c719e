"""`init`: write the commented sample config where `agentstatus` looks for it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "init",
        help="write a commented sample config to start from",
        description="Write the sample config (every feature, commented) to the user config "
        "dir, where `agentstatus` finds it without --config, or to FILE. Never overwrites.",
    )
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="where to write it (default: the user config dir's agents.yaml)")
    p.add_argument("--stdout", action="store_true", help="print it instead of writing a file")
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from ..engine.config.load import sample_config_text, user_config_path

    text = sample_config_text()
    if args.stdout:
        sys.stdout.write(text)
        return 0
    path = Path(args.file) if args.file else user_config_path()
    if path.exists():
        print(f"agentstatus: {path} exists; not overwriting it", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"Wrote {path}.")
    print("Edit its agents, set the ${VAR}s it lists at the top, then:")
    where = "" if not args.file else f" --config {path}"
    print(f"  agentstatus validate {path}")
    print(f"  agentstatus{where}")
    return 0
