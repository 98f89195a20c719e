"""`RemoteMonitor` against a real daemon, on the unix socket and on TCP: every member of
the front-end interface answers as the local Monitor would, and the daemon's events
arrive as the engine's own events."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from agent_server import AgentServer, Reply
from serve_process import READ_TOKEN, WRITE_TOKEN, ServeProcess, agents_config, until

from agentstatus_tui.client.remote import RemoteMonitor
from agentstatus_tui.client.target import Target
from agentstatus_tui.engine import events
from agentstatus_tui.engine.alerts.silences import NoSuchSilence, SilenceError
from agentstatus_tui.engine.frontend import FrontEndError
from agentstatus_tui.engine.incidents.rootcause import CAUSES
from agentstatus_tui.engine.model import Verdict

pytestmark = pytest.mark.timeout(120)

PD = "/v2/enqueue"


async def attached(d: ServeProcess, *, unix: bool, token: str | None = WRITE_TOKEN
                   ) -> RemoteMonitor:
    target = Target(socket=d.socket) if unix else Target(url=d.base)
    return await RemoteMonitor.attach(target, token=None if unix else token)


async def exercise(remote: RemoteMonitor, agents: AgentServer, *, pd: list) -> None:
    seen: list[events.Event] = []
    remote.subscribe(seen.append)
    await remote.start()
    cfg = remote.config
    assert [a.id for a in cfg.agents] == ["steady", "flaky"]
    assert set(cfg.regions) == {"us", "eu"}
    assert {n: c.type for n, c in cfg.channels.items()} == {"pd": "pagerduty"}
    assert remote.store_failure is None
    assert remote.connection.attached and remote.connection.connected
    snaps = remote.agents()
    assert list(snaps) == ["steady", "flaky"]

    # run_now: the run comes back, and its events arrive with the agent's snapshot.
    result = await remote.run_now("steady")
    assert result is not None and result.agent_id == "steady"
    assert result.verdict is Verdict.REACHABLE
    finished = await until(lambda: _async([e for e in seen if isinstance(e, events.RunFinished)
                                           and e.result.manual]), what="RunFinished")
    assert finished[0].snapshot.agent.id == "steady"
    await until(lambda: _async(remote.agents()["steady"].last is not None
                               and remote.agents()["steady"].last.manual), what="snapshot")

    # The flaky agent goes DOWN: a transition, PagerDuty, and an incident.
    result = await remote.run_now("flaky")
    assert result is not None and result.verdict is Verdict.DOWN
    # (its first round, before attaching, already found it DOWN)
    assert remote.agents()["flaky"].verdict is Verdict.DOWN
    changes = await remote.transitions("flaky", limit=10)
    assert changes and changes[-1].current is Verdict.DOWN and changes[-1].region is None
    now = time.time()
    outages = await remote.outages("flaky", now - 3600, now + 1)
    assert outages and outages[-1].ongoing
    uptimes = await remote.uptimes("flaky")
    assert set(uptimes) >= {"24h", "7d", "30d"}
    status = await remote.paging("flaky")
    assert status.page_open and not status.acknowledged
    assert remote.agents()["flaky"].paging.page_open

    # Alerts: the log, the attempts, the statuses, the health.
    log = await until(lambda: remote.alert_log(50), what="an alert")
    page = log[0]
    assert page.agent_id == "flaky" and page.channel == "pd"
    await until(lambda: _async(pd), what="PagerDuty got the page")
    attempts = await until(lambda: remote.alert_attempts(page.id), what="an attempt")
    assert attempts[0].alert_id == page.id
    statuses = await remote.alert_status([page.id])
    assert statuses[page.id] in ("pending", "delivered")
    health = await remote.alert_health()
    assert health.failed == 0
    assert await remote.alert_status([]) == {}

    # Pause and resume: the snapshot says so, through events.
    await remote.set_paused("steady", True)
    await until(lambda: _async(remote.agents()["steady"].paused), what="paused")
    await remote.set_paused("steady", False)
    await until(lambda: _async(not remote.agents()["steady"].paused), what="resumed")

    # Reproduce: one request from a region, no run stored.
    reply = await remote.send_probe("steady", "eu")
    assert reply.region == "eu" and reply.status == 200 and reply.error is None

    # The whole incident checklist.
    current = await until(lambda: remote.current_incident("flaky"), what="an incident")
    record = await remote.open_incident("flaky")
    assert record.incident.id == current.incident.id
    inc = record.incident.id
    assert (await remote.incident(inc)).incident.agent_id == "flaky"
    ack = await remote.acknowledge(inc, "looking")
    assert isinstance(ack, list)
    assert isinstance(await remote.post_investigating(inc), list)
    # The paging status follows (the daemon publishes the change to every dashboard).
    assert (await remote.paging("flaky")).acknowledged
    await until(lambda: _async([e for e in seen if isinstance(e, events.PagingChanged)
                                and e.snapshot.paging.acknowledged]), what="PagingChanged")
    assert remote.agents()["flaky"].paging.acknowledged
    await remote.go_to_step(inc, 3)
    await remote.complete_step(inc, 2)
    await remote.add_note(inc, "a note from afar")
    await remote.set_change(inc, "deployments", checked=True, note="v2 rolled out")
    await remote.record_probe(inc, "eu", "HTTP 500 in 3ms")
    await remote.set_root_cause(inc, key=CAUSES[0].key, text="it was the deploy")
    await remote.verify_requested(inc)
    await remote.add_followup(inc, "add a canary")
    record = await remote.incident(inc)
    followup = record.followups[0]
    await remote.toggle_followup(inc, followup.id)
    assert (await remote.incident(inc)).followups[0].done
    await remote.add_followup(inc, "to be deleted")
    extra = (await remote.incident(inc)).followups[-1]
    await remote.delete_followup(inc, extra.id)
    record = await remote.incident(inc)
    assert [f.text for f in record.followups] == ["add a canary"]
    assert record.incident.acknowledged_at is not None
    assert record.incident.root_cause and "it was the deploy" in record.incident.root_cause
    assert record.steps[2].done and record.steps[3].data["items"]["deployments"]["checked"]
    assert any(n.text == "a note from afar" for n in record.notes)
    texts = " ".join(e.text for e in record.timeline)
    assert "HTTP 500 in 3ms" in texts and "verify run requested" in texts
    done = await remote.resolve(inc, "rolled back")
    assert done.incident.resolved_at is not None and done.document.name.endswith(".md")
    incident_events = [e for e in seen if isinstance(e, events.IncidentChanged)]
    await until(lambda: _async([e for e in seen if isinstance(e, events.IncidentChanged)
                                and e.record.incident.resolved_at is not None]),
                what="the resolved incident's event")
    assert incident_events

    # A drill on a healthy agent: none open, one opened by hand.
    assert await remote.current_incident("steady") is None
    drill = await remote.open_incident("steady")
    assert drill.incident.agent_id == "steady"

    # Silences: added (the caller is the author), listed, expired; refusals as the engine's.
    silence = await remote.add_silence("agent", "steady", time.time() + 3600, "deploy", None)
    assert silence.matcher_value == "steady" and silence.author
    assert [x.id for x in await remote.silences()] == [silence.id]
    with pytest.raises(SilenceError, match=r"nobody-by-that-name"):
        await remote.add_silence("agent", "nobody-by-that-name", time.time() + 60, "x", None)
    ended = await remote.expire_silence(silence.id)
    assert ended.expired_at is not None
    assert await remote.silences() == []
    assert [x.id for x in await remote.silences(include_expired=True)] == [silence.id]
    with pytest.raises(NoSuchSilence):
        await remote.expire_silence("no-such-silence")

    # run_all_now starts every agent.
    before = len(agents.received("/ok"))
    await remote.run_all_now()
    await until(lambda: _async(len(agents.received("/ok")) > before), what="run all")


async def _async(value):
    return value


def daemon_config(agents: AgentServer, pd_url: str) -> str:
    return agents_config({"steady": agents.url("/ok"), "flaky": agents.url("/bad")},
                         interval="1h", pd_url=pd_url)


@pytest.mark.parametrize("unix", [True, False], ids=["unix-socket", "tcp"])
async def test_every_member_through_the_daemon(tmp_path: Path, unix: bool):
    pd: list = []
    async with AgentServer() as agents, AgentServer() as pager:
        agents.route("/ok", Reply("4"))
        agents.route("/bad", Reply("boom", status=500))

        async def paged(request, rec):
            pd.append(rec)
            from aiohttp import web
            return web.json_response({"status": "success", "dedup_key": "k"}, status=202)

        pager.route(PD, paged)
        text = daemon_config(agents, pager.url(PD))
        async with ServeProcess(tmp_path, text, tcp=not unix, socket=unix) as d:
            remote = await attached(d, unix=unix)
            try:
                await exercise(remote, agents, pd=pd)
            finally:
                await remote.stop()


async def test_a_read_token_reads_but_is_told_it_may_not_act(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h")
        async with ServeProcess(tmp_path, text) as d:
            remote = await attached(d, unix=False, token=READ_TOKEN)
            try:
                assert await remote.transitions("steady", limit=5) is not None
                with pytest.raises(FrontEndError, match="may only read"):
                    await remote.run_now("steady")
            finally:
                await remote.stop()
            with pytest.raises(FrontEndError):
                await RemoteMonitor.attach(Target(url=d.base), token="wrong-token-1234")


async def test_the_config_a_dashboard_gets_holds_no_secret(tmp_path: Path):
    async with AgentServer() as agents:
        agents.route("/ok", Reply("4"))
        text = agents_config({"steady": agents.url("/ok")}, interval="1h",
                             pd_url=agents.url(PD))
        text = text.replace(f"    url: {agents.url('/ok')}",
                            f"    url: {agents.url('/ok')}\n"
                            '    headers: {Authorization: "Bearer ${AGENTSTATUS_API_KEY}"}')
        async with ServeProcess(tmp_path, text) as d, d.session() as s:
            async with s.get("/api/v1/monitor/state") as r:
                body = await r.text()
            assert WRITE_TOKEN not in body and READ_TOKEN not in body
            assert "pd-routing-key" not in body
            remote = await attached(d, unix=False)
            try:
                agent = remote.config.agents[0]
                assert agent.header_templates["Authorization"] == "Bearer ${AGENTSTATUS_API_KEY}"
                assert not agent.headers
                result = await remote.run_now("steady")
                assert result is not None
                received = agents.received("/ok")[-1]
                assert received.headers["Authorization"] == f"Bearer {WRITE_TOKEN}"
            finally:
                await remote.stop()


async def test_unknown_daemon_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FrontEndError, match="Not connected"):
        await RemoteMonitor.attach(Target(socket=tmp_path / "nobody.sock"))
    await asyncio.sleep(0)
