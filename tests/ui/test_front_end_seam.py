"""The dashboard talks to the engine only through the front-end interface (MonitorAPI), and
draws from the snapshots the engine's events carry."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest
from dashboard_fixtures import NOW

from agentstatus_tui.engine import events
from agentstatus_tui.engine.frontend import MonitorAPI
from agentstatus_tui.engine.model import Verdict
from agentstatus_tui.engine.monitor import Monitor
from agentstatus_tui.ui.app import AgentStatusApp

PACKAGE = Path(__file__).resolve().parents[2] / "agentstatus_tui"
# The Monitor's parts: a front end that reached them would not work over a remote engine.
ENGINE_PARTS = {"store", "writer", "alerts", "incidents", "states", "hub", "prober"}
ENGINE_OBJECTS = {"Monitor", "Store", "StoreWriter", "AlertCenter", "IncidentTracker",
                  "IncidentStore", "Checklist", "Prober", "ProbeThread"}


def _front_end_files() -> list[Path]:
    return sorted((PACKAGE / "ui").rglob("*.py"))


def test_the_ui_never_reaches_into_the_monitor() -> None:
    found = []
    for path in _front_end_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and node.attr in ENGINE_PARTS:
                found.append(f"{where}: .{node.attr}")
            elif isinstance(node, ast.ImportFrom):
                names = {alias.name for alias in node.names} & ENGINE_OBJECTS
                if names or (node.module or "").endswith("engine.monitor"):
                    found.append(f"{where}: imports {', '.join(sorted(names)) or node.module}")
    assert not found, "the UI must use engine.frontend.MonitorAPI only:\n" + "\n".join(found)


def test_the_monitor_fills_the_front_end_interface(monitor: Monitor) -> None:
    api: MonitorAPI = monitor  # checked by mypy too
    wanted = {
        name: member for name, member in vars(MonitorAPI).items()
        if not name.startswith("_") and (callable(member) or isinstance(member, property))
    }
    assert len(wanted) > 20
    for name, member in wanted.items():
        if isinstance(member, property):
            assert name in dir(api), f"Monitor lacks {name}"
            continue
        mine = getattr(type(api), name, None)
        assert mine is not None, f"Monitor lacks {name}"
        assert inspect.iscoroutinefunction(mine) == inspect.iscoroutinefunction(member), (
            f"Monitor.{name}: async must match the interface (I/O is async, reads are not)"
        )
        wanted_params = list(inspect.signature(member).parameters)
        params = inspect.signature(mine).parameters
        assert list(params)[: len(wanted_params)] == wanted_params, (
            f"Monitor.{name}: parameters differ from the interface"
        )
        extra = list(params.values())[len(wanted_params):]
        assert all(p.default is not inspect.Parameter.empty for p in extra), (
            f"Monitor.{name}: parameters beyond the interface's must be optional"
        )


def test_snapshots_are_immutable_copies(monitor: Monitor) -> None:
    snap = monitor.agents()["support-bot"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.verdict = Verdict.DOWN  # type: ignore[misc]
    with pytest.raises(TypeError):
        snap.uptime["24h"] = 0.0  # type: ignore[index]
    monitor.states["support-bot"].points.append(9.9)
    assert 9.9 not in snap.points  # a copy, not a view of the engine's state


async def test_the_dashboard_draws_what_the_event_carries(monitor: Monitor) -> None:
    app = AgentStatusApp(monitor, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.grid.cell_text("support-bot", "verdict") == "UP"
        # The event's snapshot says DOWN; the Monitor's own state still says UP. The
        # dashboard must show the event's picture, never read the engine back.
        before = monitor.snapshot("support-bot")
        carried = dataclasses.replace(before, verdict=Verdict.DOWN, since=NOW - 60)
        monitor.publish(events.AgentPaused("support-bot", False, carried))
        await pilot.pause()
        assert app.grid.cell_text("support-bot", "verdict") == "DOWN"
        assert app.detail.title.startswith("Support Bot · DOWN")
        assert monitor.states["support-bot"].verdict is Verdict.UP
