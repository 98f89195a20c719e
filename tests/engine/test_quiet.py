"""quiet_for: what holds an agent's pages, against a real SQLite store file — silences by
agent, region and tag; expired, ended and future ones; maintenance windows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentstatus_tui.engine.alerts.quiet import Quiet, quiet_for
from agentstatus_tui.engine.alerts.silences import (
    SilenceError,
    add_silence,
    expire_silence,
    list_silences,
)
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import AgentConfig, Config, MaintenanceWindow, Region

NOW = 1_800_000_000.0
HOUR = 3600.0

BOT = AgentConfig("bot", "Bot", "https://bot/v1", regions=("us", "eu", "ap"), tags=("batch",))
GATEWAY = AgentConfig("gateway", "Gateway", "https://gw/v1", regions=("us", "eu"))
CONFIG = Config(agents=(BOT, GATEWAY),
                regions={n: Region(n) for n in ("us", "eu", "ap")})


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    with Store(tmp_path / "agentstatus.db") as store:
        yield store.conn


def silence(conn: sqlite3.Connection, kind: str, value: str, *, hours: float = 2.0,
            reason: str = "deploy", author: str | None = "alice", now: float = NOW,
            starts_at: float | None = None) -> str:
    return add_silence(conn, matcher_kind=kind, matcher_value=value, ends_at=now + hours * HOUR,
                       reason=reason, author=author, now=now, starts_at=starts_at).id


def test_nothing_is_quiet_in_a_fresh_store(conn: sqlite3.Connection):
    assert quiet_for(conn, CONFIG, BOT, NOW) is None
    assert quiet_for(conn, CONFIG, BOT, NOW, regions=("eu",)) is None


def test_an_agent_silence_quiets_that_agent_only_until_its_end(conn: sqlite3.Connection):
    sid = silence(conn, "agent", "bot", reason="db migration")
    assert quiet_for(conn, CONFIG, BOT, NOW + 60) == Quiet(
        "silence", sid, NOW + 2 * HOUR, "db migration", "alice")
    assert quiet_for(conn, CONFIG, GATEWAY, NOW + 60) is None
    assert quiet_for(conn, CONFIG, BOT, NOW + 2 * HOUR) is None  # ended


def test_a_tag_silence_quiets_the_agents_with_that_tag(conn: sqlite3.Connection):
    sid = silence(conn, "tag", "batch")
    quiet = quiet_for(conn, CONFIG, BOT, NOW)
    assert quiet is not None and quiet.id == sid
    assert quiet_for(conn, CONFIG, GATEWAY, NOW) is None


def test_a_region_silence_quiets_only_when_every_down_region_is_silenced(
        conn: sqlite3.Connection):
    eu = silence(conn, "region", "eu", hours=3)
    assert quiet_for(conn, CONFIG, BOT, NOW) is None  # nothing DOWN regionally
    assert quiet_for(conn, CONFIG, BOT, NOW, regions=("eu",)) == Quiet(
        "silence", eu, NOW + 3 * HOUR, "deploy", "alice")
    assert quiet_for(conn, CONFIG, BOT, NOW, regions=("eu", "ap")) is None  # ap is not
    ap = silence(conn, "region", "ap", hours=1, reason="ap network work")
    # Both covered: quiet until the first of them ends.
    assert quiet_for(conn, CONFIG, BOT, NOW, regions=("eu", "ap")) == Quiet(
        "silence", ap, NOW + HOUR, "ap network work", "alice")
    assert quiet_for(conn, CONFIG, BOT, NOW + HOUR, regions=("eu", "ap")) is None


def test_expired_and_future_silences_quiet_nothing(conn: sqlite3.Connection):
    sid = silence(conn, "agent", "bot")
    expire_silence(conn, sid, NOW + 60)
    assert quiet_for(conn, CONFIG, BOT, NOW + 30) is not None  # before it was expired
    assert quiet_for(conn, CONFIG, BOT, NOW + 60) is None
    later = silence(conn, "agent", "bot", starts_at=NOW + HOUR, hours=3)
    assert quiet_for(conn, CONFIG, BOT, NOW + 120) is None
    got = quiet_for(conn, CONFIG, BOT, NOW + HOUR)
    assert got is not None and got.id == later
    assert [s.id for s in list_silences(conn, NOW + 120)] == [later]
    assert {s.id for s in list_silences(conn, NOW + 120, include_expired=True)} == {sid, later}
    with pytest.raises(SilenceError, match="already ended"):
        expire_silence(conn, sid, NOW + 120)
    with pytest.raises(SilenceError, match="no silence 'nope'"):
        expire_silence(conn, "nope", NOW)


def test_the_longest_quiet_wins(conn: sqlite3.Connection):
    silence(conn, "agent", "bot", hours=1)
    long = silence(conn, "tag", "batch", hours=5)
    got = quiet_for(conn, CONFIG, BOT, NOW)
    assert got is not None and (got.id, got.until) == (long, NOW + 5 * HOUR)


def test_a_silence_needs_a_reason_and_an_end(conn: sqlite3.Connection):
    with pytest.raises(SilenceError, match="needs a reason"):
        silence(conn, "agent", "bot", reason="   ")
    with pytest.raises(SilenceError, match="end in the future"):
        silence(conn, "agent", "bot", hours=0)
    with pytest.raises(SilenceError, match="an agent, a region or a tag"):
        silence(conn, "channel", "slack")


def test_silences_are_shared_through_the_file(tmp_path: Path):
    with Store(tmp_path / "agentstatus.db") as writer:
        sid = silence(writer.conn, "agent", "bot")
    with Store(tmp_path / "agentstatus.db") as reader:
        got = quiet_for(reader.conn, CONFIG, BOT, NOW)
    assert got is not None and got.id == sid


def test_maintenance_windows_quiet_by_agent_tag_and_region(conn: sqlite3.Connection):
    windows = (
        MaintenanceWindow("upgrade", agents=("gateway",), start=NOW - HOUR, end=NOW + HOUR,
                          reason="gateway upgrade"),
        MaintenanceWindow("nightly", tags=("batch",), cron="0 * * * *", duration=HOUR / 2),
        MaintenanceWindow("eu-net", regions=("eu",), start=NOW - HOUR, end=NOW + 4 * HOUR),
    )
    config = Config(agents=CONFIG.agents, regions=CONFIG.regions, maintenance=windows)
    assert quiet_for(conn, config, GATEWAY, NOW) == Quiet(
        "maintenance", "upgrade", NOW + HOUR, "gateway upgrade", None)
    top = NOW - NOW % HOUR  # the hourly window is on for the first half of each hour
    assert quiet_for(conn, config, BOT, top + 60) == Quiet(
        "maintenance", "nightly", top + HOUR / 2, "maintenance window nightly", None)
    assert quiet_for(conn, config, BOT, top + HOUR / 2) is None
    got = quiet_for(conn, config, BOT, top + HOUR / 2, regions=("eu",))
    assert got is not None and got.id == "eu-net"
    # A DOWN region covered by a window, another by a silence: quiet till the first ends.
    sid = silence(conn, "region", "ap", hours=1, now=top + HOUR / 2)
    got = quiet_for(conn, config, BOT, top + HOUR / 2, regions=("eu", "ap"))
    assert got is not None and got.id == sid


async def test_adding_and_expiring_a_silence_publishes_the_paging_status(tmp_path: Path):
    from agentstatus_tui.engine.events import Event, PagingChanged
    from agentstatus_tui.engine.monitor import Monitor

    mon = Monitor.open(CONFIG, data_dir=str(tmp_path))
    seen: list[Event] = []
    mon.subscribe(seen.append)
    try:
        silence = await mon.add_silence("tag", "batch", mon.clock() + HOUR, "reindex", "bob")
        changed = [e for e in seen if isinstance(e, PagingChanged)]
        assert [e.agent_id for e in changed] == ["bot"]  # gateway has no such tag
        status = changed[0].snapshot.paging
        assert status.marker == "SILENCED" and status.silenced is not None
        assert status.silenced.reason.endswith("— reindex")
        assert [s.id for s in await mon.silences()] == [silence.id]
        await mon.expire_silence(silence.id)
        last = [e for e in seen if isinstance(e, PagingChanged)][-1]
        assert last.agent_id == "bot" and last.snapshot.paging.silenced is None
    finally:
        await mon.stop()
