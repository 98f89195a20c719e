"""The demo pages its own loopback PagerDuty and Slack stand-ins, once per outage."""

from __future__ import annotations

from pathlib import Path

from agentstatus_tui.demo import DEMO_ROUTING_KEY, DemoAgents
from agentstatus_tui.engine.monitor import Monitor


async def test_demo_down_agents_page_the_demo_receivers_once(tmp_path: Path):
    async with DemoAgents(now=lambda: 120.0) as demo:  # night-owl is UP at t=120
        config = demo.config()
        async with Monitor.open(config, data_dir=str(tmp_path)) as mon:
            await mon.run_round(deliver_deadline=10)
            await mon.run_round(deliver_deadline=10)
            log = mon.alerts.log()
    triggers = [b for kind, b in demo.alerts_received
                if kind == "pagerduty" and b.get("event_action") == "trigger"]
    paged = sorted(b["payload"]["component"] for b in triggers)
    assert paged == ["crm-sync", "legacy-gateway"]
    assert all(b["routing_key"] == DEMO_ROUTING_KEY for b in triggers)
    # Both went DOWN within the group wait: one Slack message names them both.
    (slack,) = [b for kind, b in demo.alerts_received if kind == "slack"]
    assert slack["text"] == "[DOWN] 2 agents: CRM Sync DOWN, Legacy Gateway DOWN"
    assert {r.status for r in log} == {"delivered"}
    assert all(DEMO_ROUTING_KEY not in str(r) for r in log)
