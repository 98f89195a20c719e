"""The README's keys tables are the help screen's lists: a key added, renamed or rebound
by default shows in both or the test says which differs."""

from __future__ import annotations

import re
from pathlib import Path

from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_tables() -> list[list[tuple[str, str, str]]]:
    section = README.read_text(encoding="utf-8").split("\n## Keys\n", 1)[1].split("\n## ", 1)[0]
    tables: list[list[tuple[str, str, str]]] = []
    rows: list[tuple[str, str, str]] | None = None
    for line in section.splitlines():
        if line.startswith("| key |"):
            rows = []
            tables.append(rows)
        elif line.startswith("|---") or not line.startswith("|"):
            continue
        elif rows is not None:
            key, desc, ident = (c.strip() for c in line.strip("|").split(" | "))
            rows.append((key, desc, ident))
    return tables


def as_markdown(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [(" ".join(f"`{k}`" for k in keys.split(", ")) if keys else "", str(desc),
             f"`{ident}`" if ident else "") for keys, desc, ident in rows]


async def test_the_readme_keys_tables_are_the_help_screen(monitor: Monitor) -> None:
    app = AgentStatusApp(monitor, live=False)
    async with app.run_test(size=(120, 40)):
        dashboard, incident = app.key_list(), app.incident_key_list()
    tables = readme_tables()
    assert len(tables) == 2, "README ## Keys: the dashboard table, then the incident panel's"
    assert tables[0] == as_markdown(dashboard)
    assert tables[1] == as_markdown(incident)
    assert all(re.fullmatch(r"`[^`]+`( `[^`]+`)*", k) for k, _d, _i in tables[0] + tables[1])
