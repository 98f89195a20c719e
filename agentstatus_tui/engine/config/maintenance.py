"""The `maintenance:` section of the config: planned work, by window name.

    maintenance:
      weekly-restart:                  # recurring: cron in local time, and a duration
        cron: "0 2 * * SUN"
        duration: 2h
        timezone: Europe/Berlin        # default UTC
        tags: [batch]
        reason: weekly restart of the batch cluster
      db-upgrade:                      # one-off
        start: "2026-12-01 02:00"      # local to `timezone`, or with an offset
        end: "2026-12-01 04:00"
        agents: [support-bot]

A window names at least one agent, region or tag; every name must exist in the file, so
a typo cannot leave a window that quiets nothing (or the wrong thing).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..maintenance import cron_problem, instant
from ..model import MaintenanceWindow
from ..printable import printable
from .limits import DAY, MINUTE, Range
from .yaml_lines import Entry, Reader, did_you_mean

WINDOW_KEYS = ("start", "end", "cron", "duration", "timezone", "agents", "regions", "tags",
               "reason")
TARGET_KEYS = ("agents", "regions", "tags")
DURATION = Range(MINUTE, 31 * DAY, "seconds")
NAME = re.compile(r"[a-z0-9-]+\Z")
DEFAULT_TIMEZONE = "UTC"


def timezone_problem(name: str) -> str | None:
    """Why `name` is not an IANA time zone this machine knows, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(name, sorted(available_timezones()))
        return f"unknown timezone '{name}'{hint} (an IANA name like Europe/Berlin or UTC)"
    return None


def read_maintenance(r: Reader, entry: Entry, *, agents: Collection[str],
                     regions: Collection[str], tags: Collection[str],
                     ) -> tuple[MaintenanceWindow, ...]:
    """The windows that read cleanly; every problem is reported on `r`."""
    windows = r.mapping(entry.node, entry.path)
    if not isinstance(windows, dict):
        return ()
    out: list[MaintenanceWindow] = []
    for name, window in windows.items():
        if not NAME.match(name):
            r.error(window.key_node, entry.path,
                    f"window name '{name}' may use only a-z, 0-9 and '-'")
            continue
        read = _Window(r, name, window, agents, regions, tags).read()
        if read is not None:
            out.append(read)
    return tuple(out)


class _Window:
    def __init__(self, r: Reader, name: str, entry: Entry, agents: Collection[str],
                 regions: Collection[str], tags: Collection[str]) -> None:
        self.r, self.name, self.entry = r, name, entry
        self.known = {"agents": agents, "regions": regions, "tags": tags}

    def read(self) -> MaintenanceWindow | None:
        r, entry = self.r, self.entry
        fields = r.mapping(entry.node, entry.path, keys=WINDOW_KEYS, allow_null=False)
        if not isinstance(fields, dict):
            return None
        before = r.error_count
        zone_name = DEFAULT_TIMEZONE
        if "timezone" in fields:
            tz = fields["timezone"]
            text = r.text(tz.node, tz.path)
            if isinstance(text, str):
                problem = timezone_problem(text)
                if problem:
                    r.error(tz.node, tz.path, problem)
                else:
                    zone_name = text
        targets = {key: self._targets(fields[key]) for key in TARGET_KEYS if key in fields}
        if not any(targets.values()) and r.error_count == before:
            r.error(entry.node, entry.path,
                    "name the agents, regions or tags it applies to (at least one)")
        reason = ""
        if "reason" in fields:
            text = r.text(fields["reason"].node, fields["reason"].path)
            reason = printable(text, multiline=False) if isinstance(text, str) else ""
        window = self._when(fields, ZoneInfo(zone_name))
        if window is None or r.error_count > before:
            return None
        return dataclasses.replace(
            window, agents=targets.get("agents", ()), regions=targets.get("regions", ()),
            tags=targets.get("tags", ()), reason=reason, timezone=zone_name)

    def _targets(self, entry: Entry) -> tuple[str, ...]:
        r = self.r
        names = r.text_list(entry.node, entry.path)
        if not isinstance(names, list):
            return ()
        known = self.known[entry.key]
        what = entry.key.rstrip("s")
        for name in names:
            if name not in known:
                listed = ", ".join(sorted(known)) or "none"
                r.error(entry.node, entry.path,
                        f"unknown {what} '{name}'{did_you_mean(name, list(known))}"
                        f" ({entry.key}: {listed})")
        return tuple(dict.fromkeys(names))

    def _when(self, fields: dict[str, Entry], zone: ZoneInfo) -> MaintenanceWindow | None:
        r, entry = self.r, self.entry
        recurring = "cron" in fields or "duration" in fields
        one_off = "start" in fields or "end" in fields
        if recurring and one_off:
            r.error(entry.node, entry.path,
                    "either start and end (once) or cron and duration (recurring), not both")
            return None
        if not recurring and not one_off:
            r.error(entry.node, entry.path,
                    "say when: start and end (once), or cron and duration (recurring)")
            return None
        if recurring:
            for key in ("cron", "duration"):
                if key not in fields:
                    r.error(entry.node, entry.path, f"missing required key '{key}'")
            if "cron" not in fields or "duration" not in fields:
                return None
            cron = r.text(fields["cron"].node, fields["cron"].path)
            if isinstance(cron, str) and (problem := cron_problem(cron)):
                r.error(fields["cron"].node, fields["cron"].path, f"{problem}: '{cron}'")
                return None
            duration = r.duration(fields["duration"].node, fields["duration"].path, DURATION)
            if not isinstance(cron, str) or not isinstance(duration, float):
                return None
            return MaintenanceWindow(self.name, cron=" ".join(cron.split()), duration=duration)
        for key in ("start", "end"):
            if key not in fields:
                r.error(entry.node, entry.path, f"missing required key '{key}'")
        if "start" not in fields or "end" not in fields:
            return None
        start = self._time(fields["start"], zone)
        end = self._time(fields["end"], zone)
        if start is None or end is None:
            return None
        if end <= start:
            r.error(fields["end"].node, fields["end"].path, "the end must come after the start")
            return None
        return MaintenanceWindow(self.name, start=start, end=end)

    def _time(self, entry: Entry, zone: ZoneInfo) -> float | None:
        text = self.r.text(entry.node, entry.path)
        if not isinstance(text, str):
            return None
        try:
            when = datetime.fromisoformat(text.strip())
        except ValueError:
            self.r.error(entry.node, entry.path,
                         f"expected a date and time like 2026-12-01 02:00 (or with an "
                         f"offset, 2026-12-01T02:00+01:00), got {text.strip()!r}")
            return None
        if when.tzinfo is not None:
            return when.timestamp()
        return instant(when, zone)

