"""/metrics text rendered when each agent's event arrives (so a scrape only joins it) is
the text a scrape would render from the monitor's state at that moment."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from incident_fixtures import make_run
from prometheus_client.utils import floatToGoString

from agentstatus_tui.engine.model import AgentConfig, Config, Region
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.serve.metrics import MonitorMetrics, _int

REGIONS = ("us", "eu", "ap")


def agent_lines(body: bytes) -> list[str]:
    return [line for line in body.decode().splitlines() if 'agent="' in line]


@pytest.mark.parametrize("n", [0, 1, 7, 999_999, 1_000_000, 1_234_567, 10**12])
def test_counts_are_written_as_go_writes_floats(n: int):
    assert _int(n) == floatToGoString(n)


async def test_text_rendered_at_events_is_what_a_scrape_would_render(tmp_path: Path):
    agents = tuple(AgentConfig(id=f"a{i}", name=f"A{i}", url="http://127.0.0.1:9/v1",
                               regions=REGIONS) for i in range(4))
    config = Config(agents=agents, regions={r: Region(r) for r in REGIONS})
    mon = Monitor.open(config, data_dir=str(tmp_path))
    try:
        metrics = MonitorMetrics(lambda: mon)
        mon.subscribe(metrics.on_event)
        now = time.time()
        outcomes = [{r: [None, None] for r in REGIONS},
                    {"us": ["HTTP_503", "HTTP_503"], "eu": [None, None], "ap": [None, None]},
                    {r: ["TIMEOUT", "TIMEOUT"] for r in REGIONS},
                    {r: [None, "HTTP_500"] for r in REGIONS}]
        await asyncio.gather(*(mon.accept(make_run(a.id, now, o))
                               for a, o in zip(agents, outcomes, strict=True)))
        await mon.accept(make_run("a2", now + 60, {r: [None, None] for r in REGIONS}))
        await mon.set_paused("a3", True)
        await asyncio.sleep(0)
        assert all(metrics._series(a.id).text is not None for a in agents)  # nothing left
        at_events = agent_lines(metrics.render()[0])
        metrics.forget({a.id for a in agents})  # rendered again from the monitor's state
        at_scrape = agent_lines(metrics.render()[0])
        assert at_events == at_scrape
        assert 'agentstatus_agent_paused{agent="a3"} 1.0' in at_events
        assert 'agentstatus_agent_verdict{agent="a2",region="",verdict="REACHABLE"} 1.0' in at_events
        assert ('agentstatus_probes_total{agent="a1",region="us",result="HTTP_503"} 2.0'
                in at_events)
    finally:
        await mon.stop()
