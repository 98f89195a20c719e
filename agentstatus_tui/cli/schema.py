"""`schema`: the config file's JSON Schema, for editors (completion, descriptions, checks
while typing)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "schema",
        help="print the config file's JSON Schema (for editor completion and checks)",
        description="Print the JSON Schema of the agents config, or write it to FILE. Put "
        "`# yaml-language-server: $schema=agents.schema.json` at the top of agents.yaml "
        "and editors with a YAML language server complete and check it. `validate` stays "
        "the full check (channel names, ${VAR}s, duplicate ids).",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="write it here instead of stdout")
    p.set_defaults(func=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    from ..engine.config.schema import config_schema

    text = json.dumps(config_schema(), indent=2) + "\n"
    if args.file is None:
        sys.stdout.write(text)
        return 0
    path = Path(args.file)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"agentstatus: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Wrote {path}.")
    return 0
