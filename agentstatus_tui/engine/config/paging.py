"""The paging policy's keys in the config: under an agent's (or the defaults') `alerts:`
`confirm`, `recover_after`, `remind_every`, `escalation` and `flapping`, and an agent's
`depends_on` (ids that exist, no cycle). Errors read `file:line: key.path: message` like
every other key."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from yaml.nodes import Node, ScalarNode

from ..model import EscalationStep, Flapping
from .limits import DAY, MINUTE, Range
from .yaml_lines import BOOL, INVALID, Reader, did_you_mean

PAGING_ALERT_KEYS = ("confirm", "recover_after", "remind_every", "escalation", "flapping")
ESCALATION_KEYS = ("after", "channels")
FLAPPING_KEYS = ("changes", "window", "stable_for")

PAGING = {
    "confirm": Range(1, 100, why="runs in a row"),
    "recover_after": Range(1, 100, why="runs in a row"),
    "remind_every": Range(MINUTE, 7 * DAY, "seconds"),
    "after": Range(0.0, 7 * DAY, "seconds"),
    "changes": Range(2, 1000),
    "window": Range(MINUTE, 7 * DAY, "seconds"),
    "stable_for": Range(MINUTE, 7 * DAY, "seconds"),
}


def read_alert_key(r: Reader, key: str, node: Node, path: str,
                   channel_names: Sequence[str]) -> Any:
    """The value of one paging key under `alerts:`, or INVALID (the error said)."""
    if key in ("confirm", "recover_after"):
        return r.integer(node, path, PAGING[key])
    if key == "remind_every":
        return r.duration(node, path, PAGING[key])
    if key == "escalation":
        return _escalation(r, node, path, channel_names)
    return _flapping(r, node, path)


def _escalation(r: Reader, node: Node, path: str, channel_names: Sequence[str]) -> Any:
    items = r.sequence(node, path)
    if not isinstance(items, list):
        return INVALID
    before = r.error_count
    steps: list[EscalationStep] = []
    last_after = -1.0
    for n, p in items:
        fields = r.mapping(n, p, keys=ESCALATION_KEYS, required=ESCALATION_KEYS,
                           allow_null=False)
        if not isinstance(fields, dict) or len(fields) < len(ESCALATION_KEYS):
            continue
        after = r.duration(fields["after"].node, fields["after"].path, PAGING["after"])
        names = r.text_list(fields["channels"].node, fields["channels"].path)
        if not isinstance(after, float) or not isinstance(names, list):
            continue
        if not names:
            r.error(fields["channels"].node, fields["channels"].path,
                    "needs at least one channel")
        for name in names:
            if name not in channel_names:
                known = ", ".join(channel_names) or "none defined under channels:"
                r.error(fields["channels"].node, fields["channels"].path,
                        f"unknown channel '{name}'{did_you_mean(name, channel_names)}"
                        f" (channels: {known})")
        if after <= last_after:
            r.error(fields["after"].node, fields["after"].path,
                    "each step must come later than the one before it")
        last_after = max(last_after, after)
        steps.append(EscalationStep(after, tuple(dict.fromkeys(names))))
    return tuple(steps) if r.error_count == before else INVALID


def _flapping(r: Reader, node: Node, path: str) -> Any:
    """`flapping: {changes: 5, window: 30m, stable_for: 30m}`; `flapping: false` turns
    the detection off (changes 0)."""
    if isinstance(node, ScalarNode) and node.tag == BOOL:
        on = r.boolean(node, path)
        if on is False:
            return Flapping(changes=0)
        if on is True:
            return Flapping()
        return INVALID
    fields = r.mapping(node, path, keys=FLAPPING_KEYS)
    if not isinstance(fields, dict):
        return INVALID
    before = r.error_count
    values: dict[str, Any] = {}
    for key, field in fields.items():
        if r.is_null(field.node):
            continue
        if key == "changes":
            values[key] = r.integer(field.node, field.path, PAGING[key])
        else:
            values[key] = r.duration(field.node, field.path, PAGING[key])
    if r.error_count != before:
        return INVALID
    return Flapping(**values)


def read_depends_on(r: Reader, node: Node, path: str) -> Any:
    names = r.text_list(node, path)
    if not isinstance(names, list):
        return INVALID
    return tuple(dict.fromkeys(names))


def check_dependencies(r: Reader, written: Mapping[str, tuple[Node, str, tuple[str, ...]]],
                       ids: Collection[str]) -> None:
    """Every `depends_on` names a known agent, never itself, and no chain comes back to
    where it started (`written`: agent id -> (node, path, ids))."""
    known = list(ids)
    for agent_id, (node, path, parents) in written.items():
        for parent in parents:
            if parent == agent_id:
                r.error(node, path, f"'{agent_id}' cannot depend on itself")
            elif parent not in ids:
                r.error(node, path, f"unknown agent '{parent}'{did_you_mean(parent, known)}")
    graph = {a: [p for p in ps if p in written or p in ids] for a, (_, _, ps) in written.items()}
    reported: set[frozenset[str]] = set()
    for start in written:
        cycle = _cycle_from(start, graph)
        if cycle is None or frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        node, path, _ = written[start]
        r.error(node, path, "a dependency cycle: " + " -> ".join([*cycle, cycle[0]]))


def _cycle_from(start: str, graph: Mapping[str, list[str]]) -> list[str] | None:
    """The cycle through `start`, if one exists (depth first, start first)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, trail = stack.pop()
        for parent in graph.get(node, ()):
            if parent == start and len(trail) > 1:
                return trail
            if parent == start or parent in seen:
                continue
            seen.add(parent)
            stack.append((parent, [*trail, parent]))
    return None
