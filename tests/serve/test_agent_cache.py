"""The API's agent objects built from the snapshot each agent's latest event carried (at
the first read after it, then kept, so `GET /api/v1/agents` mostly joins bytes) are the
objects built from the monitor's state at the request: the run in flight, the next run
and a paging status that moved without an event included."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from pathlib import Path

from incident_fixtures import make_run

from agentstatus_tui.engine.model import AgentConfig, Config, Region
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.serve import documents, engine_reads

REGIONS = ("us", "eu")


async def test_objects_built_from_events_are_the_objects_of_the_moment(tmp_path: Path):
    agents = tuple(AgentConfig(id=f"a{i}", name=f"A{i}", url="http://127.0.0.1:9/v1",
                               regions=REGIONS) for i in range(3))
    mon = Monitor.open(Config(agents=agents, regions={r: Region(r) for r in REGIONS}),
                       data_dir=str(tmp_path))
    try:
        cache = documents.AgentCache(lambda a: engine_reads.live(mon, a))
        built: list[str] = []

        def view(agent_id: str) -> engine_reads.AgentView | None:
            built.append(agent_id)
            return engine_reads.agent(mon, agent_id)

        def on_event(event: object) -> None:
            snapshot = getattr(event, "snapshot", None)
            if snapshot is not None and type(event).__name__ != "RunStarted":
                cache.update(snapshot)

        mon.subscribe(on_event)
        now = time.time()
        await asyncio.gather(*(mon.accept(make_run(a.id, now, {r: [None, None] for r in REGIONS}))
                               for a in agents))
        await mon.set_paused("a1", True)
        await asyncio.sleep(0)
        # What moves without an event: the poll loop's next run, a run in flight, paging.
        mon.states["a0"].next_run_at = now + 42.5
        mon.states["a2"].in_flight = True
        for a in agents:
            body = cache.get(a.id, view)
            assert body is not None
            assert json.loads(body) == json.loads(json.dumps(
                documents.agent(mon.snapshot(a.id)))), a.id
        assert built == []  # every object was built from its event's snapshot
        st = mon.states["a2"]
        st.paging = dataclasses.replace(st.paging, flapping=True)
        body = cache.get("a2", view)
        assert body is not None and json.loads(body)["flapping"] is True
        assert built == ["a2"]
        assert cache.get("nope", view) is None
    finally:
        await mon.stop()
