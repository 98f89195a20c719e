"""A pause is the last word: a polled run that was being stored when the engineer paused
the agent does not bring its verdict back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from incident_fixtures import make_run

from agentstatus_tui.engine.model import AgentConfig, Config, Region, Verdict
from agentstatus_tui.engine.monitor import Monitor


async def test_a_run_stored_during_a_pause_leaves_the_agent_paused_and_unknown(
    tmp_path: Path,
) -> None:
    agent = AgentConfig(id="a", name="Alpha", url="http://127.0.0.1:9/v1/chat/completions",
                        regions=("us",))
    config = Config(agents=(agent,), regions={"us": Region("us")})
    monitor = Monitor.open(config, data_dir=str(tmp_path))
    try:
        healthy = {"us": [None] * 4}
        storing = asyncio.create_task(monitor.accept(make_run("a", 1000.0, healthy)))
        await asyncio.sleep(0)  # the run is in the store's writer now
        await monitor.set_paused("a", True)
        await storing
        assert monitor.states["a"].verdict is Verdict.UNKNOWN
    finally:
        await monitor.stop()
