"""Restart continuity end to end: a Monitor polls real loopback agents and stops; a new one
on the same data dir shows the same history at once, and the database holds no secret."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent_server import AgentServer, Echo, Reply

from agentstatus_tui.engine.config.load import load_config_text
from agentstatus_tui.engine.history import db
from agentstatus_tui.engine.history.store import Store
from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.monitor import Monitor

SECRET = "sk-restart-5e0c1d9a7b3f2468"

CONFIG = """\
defaults: {{validations: 2, retries: 0, timeout: 2s}}
regions: {{us: {{}}, eu: {{}}}}
agents:
  - id: echo-bot
    name: Echo Bot
    url: {ok}
    headers: {{Authorization: "Bearer ${{ECHO_TOKEN}}"}}
  - id: broken-bot
    name: Broken Bot
    url: {down}
    headers: {{Authorization: "Bearer ${{ECHO_TOKEN}}"}}
"""


async def test_quit_and_restart_brings_history_back_and_stores_no_secret(tmp_path: Path):
    data = tmp_path / "data"
    async with AgentServer() as server:
        # The healthy agent echoes every request header, token included, into its answer.
        server.route("/ok", Echo())
        server.route("/down", Reply(status=503, body={"error": f"overloaded {SECRET}"}))
        config = load_config_text(
            CONFIG.format(ok=server.url("/ok"), down=server.url("/down")),
            "agents.yaml",
            {"ECHO_TOKEN": SECRET},
        )
        assert SECRET in config.secrets

        # The dashboard: polling starts with every agent at once; quit after that round.
        async with Monitor.open(config, data_dir=str(data)) as mon:
            await mon.start()
            while any(st.last is None for st in mon.states.values()):
                await asyncio.sleep(0.02)
            first = {a: st.last for a, st in mon.states.items()}
        assert first["echo-bot"].verdict is Verdict.REACHABLE
        assert first["broken-bot"].verdict is Verdict.DOWN

        async with Monitor.open(config, data_dir=str(data)) as again:
            again.load_history()
            echo, broken = again.states["echo-bot"], again.states["broken-bot"]
            # A clean stop recorded UNKNOWN; what was seen before is all still there.
            assert echo.verdict is Verdict.UNKNOWN and broken.verdict is Verdict.UNKNOWN
            assert echo.last is not None and echo.last.verdict is Verdict.REACHABLE
            assert set(echo.last.regions) == {"us", "eu"}
            assert broken.last is not None and broken.last.overall.errors == {"HTTP_503": 2}
            assert len(echo.points) == 1 and echo.points[0] is not None
            assert [(t.previous, t.current) for t in broken.transitions] == [
                (Verdict.DOWN, Verdict.UNKNOWN), (Verdict.UNKNOWN, Verdict.DOWN)
            ]
            assert echo.uptime["24h"] == 1.0 and broken.uptime["24h"] == 0.0

            # Then a cron `check` round on the same store.
            second = {r.agent_id: r for r in await again.run_round(deliver_deadline=None)}
            assert again.states["echo-bot"].verdict is Verdict.REACHABLE
            assert second["broken-bot"].verdict is Verdict.DOWN

    with Store.open(data) as store:
        assert len(store.recent_runs("echo-bot")) == 2
        assert [t.current for t in store.transitions("broken-bot")] == [
            Verdict.DOWN, Verdict.UNKNOWN, Verdict.DOWN
        ]
        [report] = store.report(0, agent_ids=["broken-bot"])
        # One outage, not two: the restart gap (UNKNOWN) inside it does not split it.
        assert report.outage_count == 1 and report.outages[0].ongoing
        store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    raw = b"".join(
        f.read_bytes() for f in data.rglob("*") if f.is_file() and f.name.startswith(db.DB_FILENAME)
    )
    assert raw and SECRET.encode() not in raw
