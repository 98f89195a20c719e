"""Options every command shares, and turning them into a Config."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

from ..engine.model import Config, ConfigError

T = TypeVar("T")


def add_common_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """The options of every command. They may stand before or after the subcommand: the
    subcommands' copy (`suppress=True`) sets nothing unless given, so it never overwrites
    a value given before the subcommand with its default."""
    extra: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument("--config", "-c", metavar="FILE", help="the agents config (YAML)",
                        **extra)
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where history, the alert outbox and incidents live "
        "(default: $AGENTSTATUS_DATA_DIR or the user data dir)",
        **extra,
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="monitor built-in demo agents on loopback (no account, no network)",
        **extra,
    )


EXIT_STORE_FAILED = 3  # Nagios UNKNOWN: nothing could be checked


NO_CONFIG_HELP = """\
agentstatus: no config found (looked for {user_config}).
  Try the demo:            agentstatus --demo
  Start from the sample:   agentstatus init      (writes a commented {config_name} there)
  Use another file:        agentstatus --config FILE
  Check a config:          agentstatus validate FILE"""


def read_config(path: str | Path, loader: Callable[[str | Path], T]) -> T | None:
    """`loader(path)`, or None after printing every config error (file:line: key path)
    or why the file cannot be read."""
    try:
        return loader(path)
    except ConfigError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        return None
    except OSError as exc:
        print(f"agentstatus: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def load_config_from_args(args: argparse.Namespace) -> Config | None:
    """The Config named by --config, else the user's agents.yaml. Prints every error (or
    how to start) on stderr and returns None when there is no usable config. --demo is
    handled by the caller: the demo agents must be started inside its event loop."""
    from ..engine.config.load import find_user_config, load_config

    path: Path | None = Path(args.config) if getattr(args, "config", None) else None
    if path is None:
        path = find_user_config()
    if path is None:
        from ..engine.config.load import CONFIG_FILENAME, user_config_path

        print(NO_CONFIG_HELP.format(user_config=user_config_path(), config_name=CONFIG_FILENAME),
              file=sys.stderr)
        return None
    return read_config(path, load_config)


def config_given_or_found(args: argparse.Namespace) -> bool:
    """Whether there is a config to read: --config, or the user's agents.yaml."""
    from ..engine.config.load import find_user_config

    return bool(getattr(args, "config", None)) or find_user_config() is not None


def demo_data_dir(args: argparse.Namespace) -> str:
    """The demo keeps its own history (in `demo/` under the data dir), apart from the real
    agents' history, and across restarts like the real thing."""
    from ..engine.history import db

    path = db.data_dir(getattr(args, "data_dir", None)) / "demo"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def store_failure(args: argparse.Namespace, exc: BaseException) -> str:
    """The one line a broken store is reported with: `store failed: FILE: CAUSE`. An error
    found by a read long after the open names the data dir's database file."""
    from ..engine.history import db

    if isinstance(exc, db.StoreError):
        return str(exc)
    raw = getattr(args, "data_dir", None) or os.environ.get("AGENTSTATUS_DATA_DIR")
    where = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir(db.APP_NAME))
    return str(db.StoreError(where / db.DB_FILENAME, db.failure_cause(exc)))
