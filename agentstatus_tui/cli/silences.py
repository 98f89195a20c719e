"""`agentstatus silence add | list | expire`: quiet an agent, region or tag for a while,
with a reason, in the store every dashboard, cron `check` and `serve` on the data dir
reads."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime, timedelta

from ..engine.alerts.silences import (
    Silence,
    SilenceError,
    add_silence,
    check_matcher,
    expire_silence,
    list_silences,
    local_user,
    silence_document,
)
from ..engine.history.store import Store
from ..engine.model import Config
from ..engine.secrets import redact
from ..engine.text import duration, iso_utc_now, when

EXIT_OK, EXIT_USAGE = 0, 2
_CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})\Z")


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "silence", parents=parents,
        help="hold an agent's (region's, tag's) pages for a while, with a reason",
        description="Silences hold pages of an agent, a region or a tag until they end. "
        "The agent is still polled and recorded. Every dashboard, cron check and serve "
        "on the same data dir sees them.")
    actions = s.add_subparsers(dest="silence_action", metavar="ACTION", required=True)

    add = actions.add_parser("add", parents=parents, help="silence an agent, region or tag",
                             description="Silence an agent, a region or a tag. A silence "
                             "needs an end (--for or --until) and a reason.")
    what = add.add_mutually_exclusive_group(required=True)
    what.add_argument("--agent", metavar="ID", help="the agent's id")
    what.add_argument("--region", metavar="R", help="a region: an agent is quiet while "
                      "every region it is DOWN in is silenced")
    what.add_argument("--tag", metavar="T", help="every agent with this tag")
    end = add.add_mutually_exclusive_group()
    end.add_argument("--for", dest="for_", metavar="DURATION", help="how long: 30m, 2h, 1d")
    end.add_argument("--until", metavar="TIME",
                     help="when it ends, local time: 14:00 (the next one) or 2026-12-01 14:00")
    add.add_argument("--reason", help="why it is quiet (shown with SILENCED)")
    add.add_argument("--author", help="who silenced it (default: your user name)")
    add.add_argument("--json", action="store_true", help="print the silence as JSON")
    add.set_defaults(func=cmd_add)

    ls = actions.add_parser("list", parents=parents, help="silences in force or to come",
                            description="Silences in force or still to come, the soonest "
                            "to end first.")
    ls.add_argument("--all", action="store_true", help="also the ended and expired ones")
    ls.add_argument("--json", action="store_true", help="print one JSON document")
    ls.set_defaults(func=cmd_list)

    ex = actions.add_parser("expire", parents=parents, help="end a silence now",
                            description="End a silence now (it stays listed with --all).")
    ex.add_argument("silence_id", metavar="ID", help="the silence's id (silence list)")
    ex.add_argument("--json", action="store_true", help="print the silence as JSON")
    ex.set_defaults(func=cmd_expire)


# ---------------------------------------------------------------- set-up


def _store(args: argparse.Namespace, config: Config | None) -> Store:
    if getattr(args, "demo", False):
        from .common import demo_data_dir

        return Store.open(demo_data_dir(args))
    return Store.open(getattr(args, "data_dir", None) or (config.data_dir if config else None))


def _config(args: argparse.Namespace, *, required: bool) -> tuple[bool, Config | None]:
    """(ok, config). The config is read when given (or `required`: the names a silence
    may match are in it); --demo uses the demo's agents."""
    if getattr(args, "demo", False):
        from ..demo import AGENTS, REGIONS
        from ..engine.model import AgentConfig, Region

        agents = tuple(AgentConfig(a.id, a.name, "http://127.0.0.1/", regions=REGIONS)
                       for a in AGENTS)
        return True, Config(agents=agents, regions={n: Region(n) for n in REGIONS})
    if not (required or getattr(args, "config", None)):
        return True, None
    from .common import load_config_from_args

    config = load_config_from_args(args)
    return config is not None, config


def _fail(message: str) -> int:
    print(f"agentstatus: {message}", file=sys.stderr)
    return EXIT_USAGE


def end_time(for_: str | None, until: str | None, now: float) -> float:
    """The end of a new silence from --for or --until. SilenceError when neither is
    given or one cannot be read."""
    if for_ is not None:
        from ..engine.config.yaml_lines import parse_duration

        seconds = parse_duration(for_)
        if seconds is None or seconds <= 0:
            raise SilenceError(f"--for: not a duration: {for_!r} (try 30m, 2h or 1d)")
        return now + seconds
    if until is not None:
        text = until.strip()
        clock = _CLOCK_TIME.match(text)
        base = datetime.fromtimestamp(now).astimezone()
        if clock:
            hour, minute = int(clock.group(1)), int(clock.group(2))
            if hour > 23 or minute > 59:
                raise SilenceError(f"--until: not a time: {until!r}")
            at = base.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if at.timestamp() <= now:
                at += timedelta(days=1)
            return at.timestamp()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise SilenceError(f"--until: not a time: {until!r} (try 14:00 or "
                               "2026-12-01 14:00)") from None
        if parsed.tzinfo is None:
            parsed = parsed.astimezone()  # local time
        return parsed.timestamp()
    raise SilenceError("a silence needs an end: --for 2h or --until 14:00")


# ---------------------------------------------------------------- commands


def cmd_add(args: argparse.Namespace) -> int:
    ok, config = _config(args, required=True)
    if not ok or config is None:
        return EXIT_USAGE
    kind, value = next((k, v) for k, v in (("agent", args.agent), ("region", args.region),
                                           ("tag", args.tag)) if v is not None)
    now = time.time()
    try:
        check_matcher(config, kind, value)
        if not (args.reason or "").strip():
            raise SilenceError('a silence needs a reason: --reason "why it is quiet"')
        ends_at = end_time(args.for_, args.until, now)
        author = args.author if args.author is not None else local_user()
        with _store(args, config) as store:
            silence = add_silence(store.conn, matcher_kind=kind, matcher_value=value,
                                  ends_at=ends_at, reason=args.reason, author=author, now=now)
    except SilenceError as exc:
        return _fail(redact(str(exc), config.secrets))
    if args.json:
        print(json.dumps(silence_document(silence, now), indent=1))
    else:
        print(f"silence {silence.id} added: {_target(silence)} quiet until "
              f"{when(silence.ends_at, now)} ({duration(silence.ends_at - now)} from now)"
              f" — {silence.reason}" + (f" (by {silence.author})" if silence.author else ""))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    ok, config = _config(args, required=False)
    if not ok:
        return EXIT_USAGE
    now = time.time()
    with _store(args, config) as store:
        found = list_silences(store.conn, now, include_expired=args.all)
    if args.json:
        print(json.dumps({"generated_at": iso_utc_now(),
                          "silences": [silence_document(s, now) for s in found]}, indent=1))
        return EXIT_OK
    if not found:
        print("no silences" + ("" if args.all else " in force (--all lists ended ones)"))
        return EXIT_OK
    rows = [["ID", "SILENCES", "STATE", "FROM", "UNTIL", "BY", "REASON"]]
    for s in found:
        rows.append([s.id, _target(s), s.state(now), when(s.starts_at, now),
                     when(s.until, now) + (f" (in {duration(s.until - now)})"
                                           if s.until > now else ""),
                     s.author or "-", s.reason])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def cmd_expire(args: argparse.Namespace) -> int:
    ok, config = _config(args, required=False)
    if not ok:
        return EXIT_USAGE
    now = time.time()
    try:
        with _store(args, config) as store:
            silence = expire_silence(store.conn, args.silence_id.strip(), now)
    except SilenceError as exc:
        return _fail(f"{exc} (silence list --all shows them)")
    if args.json:
        print(json.dumps(silence_document(silence, now), indent=1))
    else:
        print(f"silence {silence.id} expired: {_target(silence)} pages again "
              f"(it was quiet until {when(silence.ends_at, now)} — {silence.reason})")
    return EXIT_OK


def _target(s: Silence) -> str:
    return f"{s.matcher_kind} {s.matcher_value}"
