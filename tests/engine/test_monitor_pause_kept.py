"""A pause outlives the monitor that took it: a restarted monitor (the daemon's or the
dashboard's) keeps the agent paused and UNKNOWN, polls the others, and a resume is kept
too."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent_server import AgentServer, Reply

from agentstatus_tui.engine.events import AgentPaused, Event
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import AgentConfig, Config, Region, Verdict
from agentstatus_tui.engine.monitor import Monitor


def config_for(ok: str, held: str) -> Config:
    opts: dict[str, object] = {"regions": ("us",), "timeout": 2.0, "validations": 1,
                               "retries": 0, "interval": 3600.0}
    agents = tuple(AgentConfig(id=i, name=i.upper(), url=u, **opts)  # type: ignore[arg-type]
                   for i, u in (("ok", ok), ("held", held)))
    return Config(agents=agents, regions={"us": Region("us")})


async def until(check, what: str) -> None:
    for _ in range(400):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def started(config: Config, data_dir: Path) -> tuple[Monitor, list[Event]]:
    mon = Monitor.open(config, data_dir=str(data_dir))
    mon.load_history()
    events: list[Event] = []
    mon.subscribe(events.append)
    await mon.start()
    return mon, events


async def test_a_pause_is_kept_across_restarts_until_resumed(tmp_path: Path):
    async with AgentServer() as server:
        config = config_for(server.route("/ok", Reply("hi")), server.route("/held", Reply("hi")))
        mon, _ = await started(config, tmp_path)
        await until(lambda: mon.states["held"].last is not None, "the first run")
        await mon.set_paused("held", True)
        await mon.stop()
        with Store(tmp_path / "agentstatus.db") as store:
            assert set(store.paused_agents()) == {"held"}

        asked = len(server.received("/held"))
        mon, events = await started(config, tmp_path)
        try:
            assert mon.states["held"].paused and mon.snapshot("held").paused
            assert mon.states["held"].verdict is Verdict.UNKNOWN
            assert any(isinstance(e, AgentPaused) and e.agent_id == "held" and e.paused
                       for e in events)
            # The others are polled at start; the paused one is not.
            await until(lambda: len(server.received("/ok")) >= 2, "the other agent's run")
            await until(lambda: mon.states["ok"].last is not None
                        and not mon.states["ok"].in_flight, "the other agent's verdict")
            assert len(server.received("/held")) == asked
            await mon.set_paused("held", False)
            await until(lambda: len(server.received("/held")) > asked, "the resumed run")
        finally:
            await mon.stop()

        mon, _ = await started(config, tmp_path)
        try:
            assert not mon.states["held"].paused
        finally:
            await mon.stop()
        with Store(tmp_path / "agentstatus.db") as store:
            assert store.paused_agents() == {}
