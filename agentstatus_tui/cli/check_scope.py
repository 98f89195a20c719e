"""Which agents one `check` probes: every agent (or the ones named on the command line)
except the paused ones. A pause is kept in the store by the dashboard (`p`) or the API,
and the cron `check` honours it as the polling monitor does: no request, no verdict
stored, no page, and no failing exit code for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..engine.model import AgentConfig, Config
from ..engine.text import stamp


@dataclass(frozen=True)
class CheckScope:
    """The agents this check reports on (`shown`, in config order), the paused ones among
    them with when they were paused, and the names given that match no agent."""

    shown: tuple[AgentConfig, ...]
    paused: Mapping[str, float]
    unknown: tuple[str, ...] = ()
    named: bool = False  # agents were named on the command line

    @property
    def probed(self) -> list[AgentConfig]:
        return [a for a in self.shown if a.id not in self.paused]


def check_scope(config: Config, names: Sequence[str], paused: Mapping[str, float]
                ) -> CheckScope:
    """The scope of `check [AGENT ...]`: agents are named by id (or by their name)."""
    if not names:
        shown = tuple(config.agents)
        return CheckScope(shown, {a.id: paused[a.id] for a in shown if a.id in paused})
    wanted: list[str] = []
    unknown: list[str] = []
    for name in names:
        agent = next((a for a in config.agents if name in (a.id, a.name)), None)
        if agent is None:
            unknown.append(name)
        elif agent.id not in wanted:
            wanted.append(agent.id)
    shown = tuple(a for a in config.agents if a.id in wanted)
    return CheckScope(shown, {a.id: paused[a.id] for a in shown if a.id in paused},
                      tuple(unknown), named=True)


def paused_line(agent: AgentConfig, since: float | None, *, named: bool = False) -> str:
    """A paused agent's line under the Nagios line (as `check --server` prints it). Named
    on the command line, it also says since when and how to resume it."""
    if not named:
        return f"{agent.name}: UNKNOWN (paused)"
    return (f"{agent.name}: UNKNOWN (paused since {stamp(since)}: not checked; resume it "
            f"in the dashboard with its pause key, p by default, or with "
            f"POST /api/v1/agents/{agent.id}/resume)")


def unknown_agents_line(unknown: Sequence[str], config: Config) -> str:
    known = ", ".join(a.id for a in config.agents) or "none"
    names = ", ".join(f"'{n}'" for n in unknown)
    return f"no agent {names} (agents: {known})"
