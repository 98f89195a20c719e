"""Held pages: a child of a DOWN parent (`depends_on`) does not page — the alert log shows
it suppressed, naming the parent as the likely cause — and pages once the parent is back
if it is still DOWN; resolutions are never held. Flapping pages once, then stays quiet
until stable."""

from __future__ import annotations

from pathlib import Path

from alerts_helpers import HOOK_PATH, channels, config, pd_events
from paging_helpers import Clock, Pager, paging_agent, slack_texts
from receivers import HttpReceiver

from agentstatus_tui.engine.alerts import pages
from agentstatus_tui.engine.alerts.outbox import SUPPRESSED
from agentstatus_tui.engine.model import Flapping, Verdict

D, G, U = Verdict.DOWN, Verdict.DEGRADED, Verdict.UP
MIN = 60.0


def family(http: HttpReceiver, tmp_path: Path) -> Pager:
    gateway = paging_agent(("slack", "hook"), agent_id="gateway", name="Gateway")
    search = paging_agent(("slack", "hook"), agent_id="search", name="Search",
                          depends_on=("gateway",))
    return Pager(config((gateway, search), channels(http.url(), 1)),
                 tmp_path / "agentstatus.db", Clock())


async def test_a_child_of_a_down_parent_pages_once_the_parent_is_back(
        http: HttpReceiver, tmp_path: Path) -> None:
    p = family(http, tmp_path)
    try:
        await p.step(U, agent_id="gateway")
        await p.step(U, agent_id="search")
        await p.step(D, agent_id="gateway")
        await p.step(D, agent_id="search")
        await p.step(D, agent_id="search")
        assert slack_texts(http) == ["[DOWN] Gateway is DOWN (was UP)"]
        held = [r for r in p.center.log() if r.agent_id == "search"]
        assert [(r.channel, r.status, r.last_error) for r in held] == [
            ("hook", SUPPRESSED, "Gateway is DOWN: likely cause"),
            ("slack", SUPPRESSED, "Gateway is DOWN: likely cause")]
        await p.step(U, agent_id="gateway")  # the parent is back, the child still DOWN
        await p.step(D, agent_id="search")
        await p.step(U, agent_id="search")
    finally:
        await p.close()
    assert slack_texts(http) == [
        "[DOWN] Gateway is DOWN (was UP)",
        "[RECOVERED] Gateway is UP again after 3m",
        "[DOWN] Search is DOWN (was UP)",
        "[RECOVERED] Search is UP again after 4m"]
    hooks = [r.json for r in http.at(HOOK_PATH)]
    assert hooks[2]["details"]["held"] == "Gateway is DOWN: likely cause"


async def test_a_child_that_recovers_with_its_parent_never_pages(
        http: HttpReceiver, tmp_path: Path) -> None:
    p = family(http, tmp_path)
    try:
        await p.step(D, agent_id="gateway")
        await p.step(D, agent_id="search")
        await p.step(U, agent_id="search")
        await p.step(U, agent_id="gateway")
        row = pages.read(p.store.conn, "search")
    finally:
        await p.close()
    assert slack_texts(http) == ["[DOWN] Gateway is DOWN (was UNKNOWN)",
                                 "[RECOVERED] Gateway is UP again after 3m"]
    assert row.held is None and not row.is_open


async def test_a_resolution_is_never_held_by_a_down_parent(
        http: HttpReceiver, tmp_path: Path) -> None:
    p = family(http, tmp_path)
    try:
        await p.step(D, agent_id="search")  # paged: the gateway was fine
        await p.step(D, agent_id="gateway")
        await p.step(U, agent_id="search")
    finally:
        await p.close()
    assert slack_texts(http) == ["[DOWN] Search is DOWN (was UNKNOWN)",
                                 "[DOWN] Gateway is DOWN (was UNKNOWN)",
                                 "[RECOVERED] Search is UP again after 2m"]


async def test_flapping_pages_once_then_stays_quiet_until_stable(
        http: HttpReceiver, tmp_path: Path) -> None:
    bot = paging_agent(("pagerduty", "slack"),
                       flapping=Flapping(changes=4, window=30 * MIN, stable_for=20 * MIN))
    p = Pager(config((bot,), channels(http.url(), 1)), tmp_path / "agentstatus.db", Clock())
    try:
        await p.step(U)
        for v in (D, U, D, U):  # the fourth change within the window: FLAPPING
            await p.step(v)
        for v in (D, U, D, U, D, U):  # quiet
            await p.step(v)
        row = pages.read(p.store.conn, "support-bot")
        await p.later(19 * MIN)
        assert len(slack_texts(http)) == 4
        await p.step(U, seconds=2 * MIN)  # 21 minutes without a change: stable, UP
    finally:
        await p.close()
    assert row.flapping_since is not None
    assert slack_texts(http) == [
        "[DOWN] Support Bot is DOWN (was UP)",
        "[RECOVERED] Support Bot is UP again after 1m",
        "[DOWN] Support Bot is DOWN (was UP)",
        "[FLAPPING] Support Bot is flapping: 4 verdict changes in 30m; quiet until stable"
        " for 20m",
        # From the second page to the last change, when it came back for good.
        "[RECOVERED] Support Bot is UP again after 7m"]
    (t1, k1), (r1, _), (t2, k2), (f, k3), (r2, k4) = pd_events(http)
    assert (t1, r1, t2, f, r2) == ("trigger", "resolve", "trigger", "trigger", "resolve")
    assert k2 == k3 == k4 != k1  # the flapping page is the open page's incident


async def test_flapping_that_settles_down_pages_as_down(
        http: HttpReceiver, tmp_path: Path) -> None:
    bot = paging_agent(("slack",), on_recovery=False,
                       flapping=Flapping(changes=3, window=30 * MIN, stable_for=10 * MIN))
    p = Pager(config((bot,), channels(http.url(), 1)), tmp_path / "agentstatus.db", Clock())
    try:
        for v in (U, G, U, G):  # flapping without a verdict that pages: shown, not paged
            await p.step(v)
        await p.step(D)
        for _ in range(11):
            await p.step(D)
        row = pages.read(p.store.conn, "support-bot")
    finally:
        await p.close()
    assert slack_texts(http) == ["[DOWN] Support Bot is DOWN"]
    assert row.is_open and row.flapping_since is None
