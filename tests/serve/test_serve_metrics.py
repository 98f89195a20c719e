"""/metrics: the Prometheus text format, parsed by prometheus_client and checked by
promtool (Debian's prometheus package) where it is installed."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from prometheus_client.parser import text_string_to_metric_families
from receivers import PAGERDUTY_OK, HttpReceiver
from serve_process import PD_PATH, READ_TOKEN, ROUTING_KEY, ServeProcess, agents_config, until

pytestmark = pytest.mark.timeout(90)


async def scrape(d: ServeProcess) -> str:
    async with d.session(READ_TOKEN) as s, s.get("/metrics") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
        return await r.text()


@pytest.fixture
async def metrics_text(tmp_path) -> str:
    rx = HttpReceiver()
    rx.default(PD_PATH, PAGERDUTY_OK)
    await rx.start()
    try:
        async with AgentServer() as agents:
            agents.route("/ok", Reply("4"))
            agents.route("/down", Reply(status=503))
            text = agents_config({"steady": agents.url("/ok"), "broken": agents.url("/down")},
                                 pd_url=rx.url(PD_PATH), interval="30s")
            async with ServeProcess(tmp_path, text) as d:
                async def alert_counted():
                    body = await scrape(d)
                    return body if 'agentstatus_alerts_total{channel="pd"' in body else None

                yield await until(alert_counted, what="the delivered alert in /metrics")
    finally:
        await rx.stop()


def samples(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append(s)
    return out


def value(found: dict[str, list], name: str, **labels: str) -> float:
    (hit,) = [s for s in found[name] if all(s.labels.get(k) == v for k, v in labels.items())]
    return hit.value


async def test_metrics_follow_blackbox_exporter_names(metrics_text):
    found = samples(metrics_text)
    assert value(found, "agentstatus_probe_success", agent="steady", region="us") == 1
    assert value(found, "agentstatus_probe_success", agent="broken", region="eu") == 0
    assert value(found, "agentstatus_agent_verdict", agent="broken", region="",
                 verdict="DOWN") == 1
    assert value(found, "agentstatus_agent_verdict", agent="broken", region="",
                 verdict="UP") == 0
    assert value(found, "agentstatus_agent_verdict", agent="steady", region="eu",
                 verdict="REACHABLE") == 1
    assert value(found, "agentstatus_probes_total", agent="broken", region="us",
                 result="HTTP_503") >= 1
    assert value(found, "agentstatus_probes_total", agent="steady", region="us",
                 result="ok") >= 1
    inf = value(found, "agentstatus_probe_ttfb_seconds_bucket", agent="steady", region="us",
                le="+Inf")
    assert inf == value(found, "agentstatus_probe_ttfb_seconds_count", agent="steady",
                        region="us") >= 1
    assert 0 < value(found, "agentstatus_probe_ttfb_seconds_sum", agent="steady",
                     region="us") < 10
    assert value(found, "agentstatus_uptime_ratio", agent="steady", window="24h") == 1
    assert value(found, "agentstatus_uptime_ratio", agent="broken", window="7d") == 0
    assert value(found, "agentstatus_alerts_total", channel="pd", result="delivered") >= 1
    assert value(found, "agentstatus_outbox_pending") == 0
    assert value(found, "agentstatus_last_run_timestamp_seconds", agent="steady") > 1.7e9
    # Labels carry ids, names and codes only: no URL, error text or secret.
    for series in found.values():
        for s in series:
            for label in s.labels.values():
                assert "://" not in label and "127.0.0.1" not in label
                assert ROUTING_KEY not in label and len(label) <= 64


async def test_promtool_accepts_the_metrics(metrics_text):
    beside = Path(sys.executable).parent / "promtool"  # where .ci/run unpacks it
    promtool = str(beside) if beside.exists() else shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (from Debian's prometheus package; .ci/run "
                    "unpacks it into the venv where apt-get works)")
    out = await asyncio.to_thread(subprocess.run, [promtool, "check", "metrics"],
                                  input=metrics_text, capture_output=True, text=True,
                                  timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr


async def test_a_scrape_follows_the_agents_changes(tmp_path):
    """Each agent's series are kept between scrapes: its next event must refresh them."""
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="30s")
        async with ServeProcess(tmp_path, text) as d:
            before = samples(await scrape(d))
            assert value(before, "agentstatus_agent_paused", agent="steady") == 0
            probes = value(before, "agentstatus_probes_total", agent="steady", region="us",
                           result="ok")
            async with d.session() as s:
                async with s.post("/api/v1/agents/steady/run", params={"wait": "true"}) as r:
                    assert r.status == 200
                ran = samples(await scrape(d))
                assert value(ran, "agentstatus_probes_total", agent="steady", region="us",
                             result="ok") > probes
                async with s.post("/api/v1/agents/steady/pause") as r:
                    assert r.status == 200
            after = samples(await scrape(d))
            assert value(after, "agentstatus_agent_paused", agent="steady") == 1
            assert value(after, "agentstatus_agent_verdict", agent="steady", region="",
                         verdict="UNKNOWN") == 1
