"""What an attached dashboard knows beyond the agents: the daemon's store failing (pushed
as an event, shown as a local dashboard shows it), and a reloaded config (the whole state
read again)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from agent_server import AgentServer, Reply
from disk_faults import fill, tmpfs
from serve_process import ServeProcess, agents_config

from agentstatus_tui.client.remote import RemoteMonitor
from agentstatus_tui.client.target import Target
from agentstatus_tui.engine import events
from agentstatus_tui.ui.app import AgentStatusApp

pytestmark = pytest.mark.timeout(120)


async def until(cond: Callable[[], Any], *, limit: float = 40.0, what: str = "condition",
                pilot: Any = None) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        if pilot is not None:
            await pilot.pause(0.05)
        else:
            await asyncio.sleep(0.05)


async def test_the_daemons_store_failing_reaches_the_attached_header(tmp_path: Path):
    with tmpfs(tmp_path / "data", size="2m") as data:
        async with AgentServer() as agents:
            agents.route("/ok", Reply("4"))
            text = agents_config({"steady": agents.url("/ok")}, interval="1s")
            async with ServeProcess(tmp_path, text, tcp=False, socket=True) as d:
                assert d.data_dir == data
                api = await RemoteMonitor.attach(Target(socket=d.socket))
                app = AgentStatusApp(api)
                async with app.run_test(size=(120, 30)) as pilot:
                    await until(lambda: app.header.text("where") == "attached: api.sock",
                                pilot=pilot)
                    assert api.store_failure is None
                    assert not app.header.text("alerts").startswith("STORE FAILING")
                    fill(data)
                    await until(lambda: app.header.text("alerts").startswith("STORE FAILING"),
                                pilot=pilot, what="STORE FAILING")
                    assert app.header.paging_failing  # the red header
                    assert api.store_failure is not None and "full" in api.store_failure.cause
                # A dashboard attached later reads it from the state.
                later = await RemoteMonitor.attach(Target(socket=d.socket))
                try:
                    assert later.store_failure is not None
                finally:
                    await later.stop()
                await d.stop(signal.SIGKILL)


async def test_a_reloaded_config_is_read_again(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h")
        async with ServeProcess(tmp_path, text, tcp=False, socket=True) as d:
            api = await RemoteMonitor.attach(Target(socket=d.socket), retry=(0.05, 0.5))
            seen: list[events.Event] = []
            api.subscribe(seen.append)
            try:
                await api.start()
                read = api.resyncs
                d.config.write_text(text.replace("validations: 2", "validations: 3"))
                await d.send(signal.SIGHUP)
                await until(lambda: api.resyncs > read, what="the state read again")
                assert any(isinstance(e, events.ConnectionChanged) and e.connected
                           for e in seen)
                # The feed goes on from the new state: a run now arrives as an event.
                result = await api.run_now("steady")
                assert result is not None
                await until(lambda: any(isinstance(e, events.RunFinished) and e.result.manual
                                        for e in seen), what="the run's event")
            finally:
                await api.stop()
