"""How big a config really is once its aliases and merge keys are expanded.

YAML aliases are shared, not copied, so a 1 kB file can stand for billions of values:
ten `<<: [*m, *m, …]` merges nested nine deep, or lists of aliases to lists of aliases
("billion laughs"). An alias inside its own anchor (`&r {a: b, <<: *r}`) never ends.
Before any value is read, the node graph is walked once (each distinct node once, without
recursion) and such a file is refused with a config error naming the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Values once expanded: a config with a thousand agents, each with its headers, gold
# prompts and runbook, has about 50,000. Reading 10^6 took seconds.
MAX_VALUES = 250_000
# Levels of mappings and lists: the deepest real key path (a gold prompt's expect list)
# has six.
MAX_DEPTH = 64


@dataclass(frozen=True)
class Oversize:
    line: int
    path: str
    message: str

    def __post_init__(self) -> None:
        if len(self.path) > 80:  # a path 64 levels deep says nothing more than its start
            object.__setattr__(self, "path", self.path[:77] + "…")


def _children(node: Node) -> list[tuple[str, Node]]:
    if isinstance(node, MappingNode):
        out: list[tuple[str, Node]] = []
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else "?"
            out.append((name, key))
            out.append((name, value))
        return out
    if isinstance(node, SequenceNode):
        return [(f"[{i}]", item) for i, item in enumerate(node.value)]
    return []


def _join(path: str, name: str) -> str:
    if name.startswith("["):
        return path + name
    return f"{path}.{name}" if path else name


@dataclass
class _Frame:
    node: Node
    path: str
    children: list[tuple[str, Node]]
    pending: Iterator[tuple[str, Node]]


def oversize(root: Node) -> Oversize | None:
    """Why `root` is too big or never ends when expanded, or None when it is fine."""
    size: dict[int, int] = {}  # id(node) -> values it stands for, once expanded
    open_ids: set[int] = {id(root)}  # nodes on the current path: seeing one again is a cycle
    children = _children(root)
    stack = [_Frame(root, "", children, iter(children))]
    while stack:
        frame = stack[-1]
        step = next(frame.pending, None)
        if step is None:
            stack.pop()
            open_ids.discard(id(frame.node))
            total = 1 + sum(size[id(child)] for _, child in frame.children)
            size[id(frame.node)] = total
            if total > MAX_VALUES:
                return Oversize(
                    frame.node.start_mark.line + 1,
                    frame.path,
                    f"config too large: its aliases and merge keys (<<) expand to more than "
                    f"{MAX_VALUES:,} values",
                )
            continue
        name, child = step
        if id(child) in size:
            continue
        if id(child) in open_ids:
            return Oversize(
                child.start_mark.line + 1,
                _join(frame.path, name),
                "config too deeply merged: an alias is used inside its own anchor "
                "(&a … *a), so it never ends",
            )
        if len(stack) >= MAX_DEPTH:
            return Oversize(
                child.start_mark.line + 1,
                _join(frame.path, name),
                f"config nested too deeply (more than {MAX_DEPTH} levels of mappings and lists)",
            )
        if isinstance(child, ScalarNode):
            size[id(child)] = 1  # no children: done at once (most nodes are scalars)
            continue
        path = _join(frame.path, name)
        open_ids.add(id(child))
        grandchildren = _children(child)
        stack.append(_Frame(child, path, grandchildren, iter(grandchildren)))
    return None
