"""The heartbeat (a dead man's switch): pinged once per completed round, at most every
`every`, never when the round could not run, never showing its URL; `check` pings once."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from alerts_helpers import db_bytes
from receivers import HttpReceiver, free_port
from receivers import Reply as Answer

from agentstatus_tui.cli import main
from agentstatus_tui.engine.config.load import load_config_text
from agentstatus_tui.engine.model import (
    AgentConfig,
    Config,
    ConfigError,
    HeartbeatConfig,
    Region,
)
from agentstatus_tui.engine.monitor import Monitor

TOKEN = "0f6c1a52-hb7e-4d3b-9a51-secret7b2c9e"
PING_PATH = f"/ping/{TOKEN}"


class Clock:
    """An injectable clock: time moves only when the test says so."""

    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def agent(url: str, agent_id: str) -> AgentConfig:
    return AgentConfig(id=agent_id, name=agent_id.upper(), url=url, regions=("us",),
                       timeout=2.0, validations=1, retries=0, interval=3600.0)


def config(*agents: AgentConfig, url: str, every: float = 60.0,
           region: Region | None = None) -> Config:
    return Config(agents=agents, regions={"us": region or Region("us")},
                  heartbeat=HeartbeatConfig(url=url, every=every, timeout=5.0),
                  secrets=frozenset({url, TOKEN}))


async def until(cond: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def settled(mon: Monitor) -> None:
    """Let a ping the last run started finish (or see that none started)."""
    hb = mon.alerts.heartbeat
    assert hb is not None
    task = hb._task
    if task is not None:
        await asyncio.wait({task}, timeout=10)


async def test_pinged_once_per_completed_round_and_at_most_every_interval(
    http: HttpReceiver, tmp_path: Path
) -> None:
    clock = Clock()
    async with AgentServer() as server:
        url_a = server.route("/a", Reply("4"))
        url_b = server.route("/b", Reply(status=503, body={"error": "down"}))  # DOWN counts
        mon = Monitor.open(config(agent(url_a, "a"), agent(url_b, "b"),
                                  url=http.url(PING_PATH)),
                           data_dir=str(tmp_path), clock=clock)
        try:
            await mon.start()
            await until(lambda: len(http.at(PING_PATH)) == 1, "the first round's ping")

            clock.t += 61
            await mon.run_now("a")  # half a round: b has not run since the ping
            await settled(mon)
            assert len(http.at(PING_PATH)) == 1
            await mon.run_now("b")  # the round is complete and `every` has passed
            await until(lambda: len(http.at(PING_PATH)) == 2, "the second round's ping")

            clock.t += 10
            await mon.run_all_now()  # a whole round, but within `every` of the last ping
            await settled(mon)
            assert len(http.at(PING_PATH)) == 2
            clock.t += 60
            await mon.run_now("a")  # that round still counts once `every` has passed
            await until(lambda: len(http.at(PING_PATH)) == 3, "the held round's ping")
            await settled(mon)
            assert [r.method for r in http.at(PING_PATH)] == ["GET"] * 3
            health = mon.alerts.health().heartbeat
            assert health is not None and not health.failing
            assert health.last_ok_at == clock.t
        finally:
            await mon.stop()
    assert len(http.at(PING_PATH)) == 3  # stopping does not ping


async def test_not_pinged_when_nothing_could_be_probed_or_every_agent_is_paused(
    http: HttpReceiver, tmp_path: Path
) -> None:
    clock = Clock()
    async with AgentServer() as server:
        url = server.route("/a", Reply("4"))
        canary = server.route("/canary", Reply(status=500, body="no network"))
        # The region's canary fails: every run is discarded as UNKNOWN (the monitor
        # could not look), so no round completes.
        mon = Monitor.open(config(agent(url, "a"), url=http.url(PING_PATH),
                                  region=Region("us", canary=canary)),
                           data_dir=str(tmp_path), clock=clock)
        try:
            await mon.start()
            for _ in range(3):
                clock.t += 61
                result = await mon.run_now("a")
                assert result is not None and result.verdict.value == "UNKNOWN"
            await settled(mon)
            assert http.at(PING_PATH) == []
            assert mon.alerts.health().heartbeat is not None
        finally:
            await mon.stop()

        mon = Monitor.open(config(agent(url, "a"), url=http.url(PING_PATH)),
                           data_dir=str(tmp_path / "paused"), clock=clock)
        try:
            await mon.set_paused("a", True)
            await mon.start()
            clock.t += 61
            await mon.run_now("a")  # a manual run of a paused agent: no agent is active
            await settled(mon)
            assert http.at(PING_PATH) == []
        finally:
            await mon.stop()


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def test_a_failing_switch_is_logged_redacted_and_shown_in_alert_health(
    http: HttpReceiver, tmp_path: Path
) -> None:
    http.script(PING_PATH, Answer(500, f"bad token {TOKEN}"), Answer(500, f"bad {TOKEN}"))
    clock = Clock()
    logs = Lines()
    logger = logging.getLogger("agentstatus.heartbeat")
    logger.addHandler(logs)
    level = logger.level
    logger.setLevel(logging.INFO)
    async with AgentServer() as server:
        url = server.route("/a", Reply("4"))
        mon = Monitor.open(config(agent(url, "a"), url=http.url(PING_PATH)),
                           data_dir=str(tmp_path), clock=clock)
        try:
            await mon.start()
            await until(lambda: len(http.at(PING_PATH)) == 1, "the first ping")
            await settled(mon)
            first = clock.t
            health = mon.alerts.health()
            assert health.heartbeat is not None and health.heartbeat.failing
            assert health.heartbeat.failing_since == first
            assert not health.ok
            assert health.heartbeat.last_error is not None
            assert health.heartbeat.last_error.startswith("HTTP 500")
            assert TOKEN not in health.heartbeat.last_error
            clock.t += 61
            await mon.run_now("a")
            await until(lambda: len(http.at(PING_PATH)) == 2, "the second ping")
            await settled(mon)
            assert mon.alerts.health().heartbeat.failing_since == first  # type: ignore[union-attr]
            clock.t += 61
            await mon.run_now("a")
            await until(lambda: len(http.at(PING_PATH)) == 3, "the third ping")
            await settled(mon)
            health = mon.alerts.health()
            assert health.heartbeat is not None and not health.heartbeat.failing
            assert health.heartbeat.last_error is None and health.ok
        finally:
            await mon.stop()
            logger.removeHandler(logs)
            logger.setLevel(level)
    text = "\n".join(logs.lines)
    assert "heartbeat ping failed: HTTP 500" in text
    assert "heartbeat pings work again" in text
    assert TOKEN not in text and PING_PATH not in text
    assert TOKEN.encode() not in db_bytes(tmp_path / "agentstatus.db")


async def test_a_switch_that_never_answers_is_given_up_within_the_timeout(tmp_path: Path) -> None:
    clock = Clock()
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # takes the request, never answers

    port = free_port()
    server = await asyncio.start_server(silent, "127.0.0.1", port)
    try:
        async with AgentServer() as agents:
            url = agents.route("/a", Reply("4"))
            ping = f"http://127.0.0.1:{port}{PING_PATH}"
            cfg = config(agent(url, "a"), url=ping)
            cfg = dataclasses.replace(cfg, heartbeat=HeartbeatConfig(url=ping, timeout=1.0))
            mon = Monitor.open(cfg, data_dir=str(tmp_path), clock=clock)
            try:
                results = await mon.run_round(deliver_deadline=None)
                assert await mon.heartbeat_after_round(results) is False
                health = mon.alerts.health().heartbeat
                assert health is not None and health.last_error == "no answer within 1s"
                assert held, "the ping reached the switch"
            finally:
                await mon.stop()
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


CHECK_CONFIG = """\
defaults: {{validations: 1, retries: 0, timeout: 2s, regions: [us]}}
regions:
  us: {{{region}}}
heartbeat:
  url: "${{HEARTBEAT_URL}}"
  method: {method}
agents:
  - {{id: a, url: "{a}"}}
  - {{id: b, url: "{b}"}}
"""


async def run_check(cfg: Path, data: Path, *extra: str) -> int:
    argv = ["check", "--config", str(cfg), "--data-dir", str(data), *extra]
    return await asyncio.to_thread(main, argv)


async def test_check_pings_once_at_the_end_of_a_completed_round(
    http: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HEARTBEAT_URL", http.url(PING_PATH))
    async with AgentServer() as server:
        a = server.route("/a", Reply("4"))
        b = server.route("/b", Reply(status=503, body={"error": "down"}))
        canary = server.route("/canary", Reply(status=500))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CHECK_CONFIG.format(region="", method="post", a=a, b=b))
        assert await run_check(cfg, tmp_path / "data", "--json") == 2
        out = capsys.readouterr()
        assert [r.method for r in http.at(PING_PATH)] == ["POST"]
        doc = json.loads(out.out)
        assert doc["alerts"]["heartbeat"]["pinged"] is True
        assert doc["alerts"]["heartbeat"]["failing"] is False

        # The network is gone (the region's canary fails): nothing was probed, no ping.
        cfg.write_text(CHECK_CONFIG.format(region=f"canary: '{canary}'", method="GET",
                                           a=a, b=b))
        assert await run_check(cfg, tmp_path / "data", "--json") == 3
        out = capsys.readouterr()
        assert len(http.at(PING_PATH)) == 1
        assert json.loads(out.out)["alerts"]["heartbeat"]["pinged"] is False
        assert "heartbeat not pinged: 0 of 2 agents had a completed run" in out.err
    for text in (out.out, out.err):
        assert TOKEN not in text


async def test_check_says_on_stderr_when_the_switch_refuses_without_its_url(
    http: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    http.default(PING_PATH, Answer(404, f"no check {TOKEN}"))
    monkeypatch.setenv("HEARTBEAT_URL", http.url(PING_PATH))
    async with AgentServer() as server:
        a = server.route("/a", Reply("4"))
        cfg = tmp_path / "agents.yaml"
        cfg.write_text(CHECK_CONFIG.format(region="", method="GET", a=a, b=a))
        assert await run_check(cfg, tmp_path / "data", "--json") == 0
    out = capsys.readouterr()
    assert len(http.at(PING_PATH)) == 1
    hb = json.loads(out.out)["alerts"]["heartbeat"]
    assert hb["pinged"] is False and hb["failing"] is True
    assert hb["last_error"].startswith("HTTP 404")
    assert "HEARTBEAT FAILING: HTTP 404" in out.err
    for text in (out.out, out.err):
        assert TOKEN not in text and PING_PATH not in text


def test_config_reads_the_heartbeat_and_hides_its_url_even_when_written_literally() -> None:
    literal = f"https://hc-ping.example.com/{TOKEN}"
    cfg = load_config_text(
        f"heartbeat: {{url: '{literal}', every: 2m, method: post, timeout: 5s}}\n"
        "alerting: {group_wait: 10s, channel_failing_after: 15m}\n"
        "agents: [{id: a, url: 'https://a.example.com/v1'}]\n")
    assert cfg.heartbeat == HeartbeatConfig(url=literal, every=120.0, method="POST",
                                            timeout=5.0)
    assert literal in cfg.secrets and TOKEN in cfg.secrets
    assert cfg.delivery.group_wait == 10.0
    assert cfg.delivery.channel_failing_after == 900.0
    assert load_config_text("agents: [{id: a, url: 'https://a.example.com/v1'}]\n"
                            ).delivery.group_wait == 30.0


@pytest.mark.parametrize(("text", "error"), [
    ("heartbeat: {every: 1m}", "cfg.yaml:1: heartbeat: missing required key 'url'"),
    ("heartbeat: {url: 'ftp://x', every: 1m}", "cfg.yaml:1: heartbeat.url: "),
    ("heartbeat: {url: 'https://x.example', every: 1s}",
     "cfg.yaml:1: heartbeat.every: must be between 10s and 1d"),
    ("heartbeat: {url: 'https://x.example', method: PUT}",
     "cfg.yaml:1: heartbeat.method: unknown method 'PUT'"),
    ("heartbeat: {url: 'https://x.example', evry: 1m}", "cfg.yaml:1: heartbeat: unknown key"),
    ("alerting: {group_wait: 2h}", "cfg.yaml:1: alerting.group_wait: must be between 0s"),
    ("alerting:\n  channel_failing_after: soon",
     "cfg.yaml:2: alerting.channel_failing_after: expected a duration"),
])
def test_config_errors_name_file_line_and_key(text: str, error: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(text + "\nagents: [{id: a, url: 'https://a.example.com/v1'}]\n",
                         filename="cfg.yaml")
    assert any(line.startswith(error) for line in info.value.errors), info.value.errors
