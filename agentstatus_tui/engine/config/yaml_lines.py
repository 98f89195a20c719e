"""Reading the config's YAML node tree into typed values, keeping every error's line and key path.

The reader never stops at the first problem: each getter records what is wrong and
returns `INVALID`, so one pass over the file reports every error at once. Values are
read from `yaml.compose` nodes (not `safe_load` objects) because only nodes remember
the line they came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..secrets import redact
from .limits import ANY_DURATION, Range
from .yaml_size import MAX_DEPTH, oversize

STR: Final = "tag:yaml.org,2002:str"
INT: Final = "tag:yaml.org,2002:int"
FLOAT: Final = "tag:yaml.org,2002:float"
BOOL: Final = "tag:yaml.org,2002:bool"
NULL: Final = "tag:yaml.org,2002:null"
MERGE: Final = "tag:yaml.org,2002:merge"

ROOT_LABEL = "(top level)"


class _Invalid:
    """Marks a value whose error is already recorded: callers just skip it."""

    _instance: _Invalid | None = None

    def __new__(cls) -> _Invalid:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID: Final = _Invalid()

# `$${` is a literal `${`; `${NAME}` is replaced; anything else after `${` is an error.
_VAR_REF = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)(?P<close>\})?")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_DURATION = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w))+\s*")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\Z", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}

_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_KIND_NAMES = {
    STR: "text",
    INT: "an integer",
    FLOAT: "a number",
    BOOL: "a boolean",
    NULL: "nothing",
}


def child(path: str, key: str) -> str:
    """The key path of `key` inside the mapping at `path`; keys that are not plain words
    are quoted (`runbook.common_issues["HTTP 500"]`)."""
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    quoted = '"' + key.replace('"', '\\"') + '"'
    return f"{path}[{quoted}]"


def item(path: str, index: int) -> str:
    return f"{path}[{index}]"


def as_written(value: str, secret_names: dict[str, str]) -> str:
    """`value` with every secret in it put back as `${VAR}`: how to show a URL (or a proxy
    with credentials) without its secrets, in a form a shell can still expand."""
    for secret in sorted(secret_names, key=len, reverse=True):
        if secret in value:
            value = value.replace(secret, "${" + secret_names[secret] + "}")
    return value


def did_you_mean(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(node: Node) -> str:
    """What kind of value a node holds, for "expected X, got Y" messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return _KIND_NAMES.get(node.tag, "text")


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


@dataclass(frozen=True)
class Entry:
    """One `key: value` of a mapping, with both nodes (their lines differ in block style)."""

    key: str
    key_node: Node
    node: Node
    path: str


@dataclass(frozen=True)
class _Scalar:
    tag: str
    text: str  # after `${VAR}` substitution
    substituted: bool


class Reader:
    """Typed getters over YAML nodes that record `file:line: path: message` errors."""

    def __init__(
        self, filename: str, env: Mapping[str, str], *, unset_ok: bool = False
    ) -> None:
        self.filename = filename
        self.env = env
        self.secrets: set[str] = set()
        # value -> the variable it came from, to show `${VAR}` where a value is displayed
        self.secret_names: dict[str, str] = {}
        self._errors: list[tuple[int, int, str]] = []
        # With `unset_ok` (validating a file on a machine without its secrets), an unset
        # variable is noted here instead of being an error, and its value goes unchecked.
        self.unset_ok = unset_ok
        self.unset: list[str] = []

    # ------------------------------------------------------------------ errors

    def error(self, where: Node | int, path: str, message: str) -> _Invalid:
        line = where if isinstance(where, int) else line_of(where)
        self._errors.append((line, len(self._errors), f"{path or ROOT_LABEL}: {message}"))
        return INVALID

    @property
    def error_count(self) -> int:
        return len(self._errors)

    def errors(self) -> list[str]:
        """Every error in file order. Masked again with the secrets as a last line of
        defence: messages quote what was written (`${VAR}`), never a resolved value."""
        return [
            f"{self.filename}:{line}: {redact(message, self.secrets)}"
            for line, _, message in sorted(self._errors)
        ]

    # ------------------------------------------------------------------ parsing

    def compose(self, text: str) -> Node | _Invalid | None:
        """The document's node tree; INVALID (with the error recorded) when it does not
        parse, or stands for too much once its aliases and merge keys are expanded."""
        try:
            root = _compose(text)
        except RecursionError:
            return self.error(1, "", f"config nested too deeply (more than {MAX_DEPTH} "
                                     "levels of mappings and lists)")
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            message = f"invalid YAML: {exc.problem or exc.context or 'cannot parse'}"
            if exc.context and exc.problem and exc.context_mark:
                message += f" ({exc.context} at line {exc.context_mark.line + 1})"
            if "'\\t'" in message:
                message += "; YAML indents with spaces, not tabs"
            elif mark and "${" in _line(text, mark.line) and "{" in _line(text, mark.line):
                # `{a: ${X}}`: in a flow mapping the braces of an unquoted ${X} are syntax.
                message += '; quote values that use ${VAR}: "${VAR}"'

            return self.error(line, _path_at_error(text), message)
        except yaml.YAMLError as exc:
            return self.error(1, "", f"invalid YAML: {exc}")
        if root is not None and (problem := oversize(root)):
            return self.error(problem.line, problem.path, problem.message)
        return root

    # ------------------------------------------------------------------ structure

    @staticmethod
    def is_null(node: Node) -> bool:
        return isinstance(node, ScalarNode) and node.tag == NULL

    def mapping(
        self,
        node: Node,
        path: str,
        *,
        keys: Collection[str] | None = None,
        required: Collection[str] = (),
        what: str = "key",
        allow_null: bool = True,
    ) -> dict[str, Entry] | _Invalid:
        """The entries of a mapping node. With `keys`, any other key is an error (with a
        "did you mean"); `what` names those keys in the message ("check", "key")."""
        if allow_null and self.is_null(node):
            entries: dict[str, Entry] = {}
        elif not isinstance(node, MappingNode):
            return self.error(node, path, f"expected a mapping, got {describe(node)}")
        else:
            entries = self._entries(node, path)
        return self.check_keys(node, path, entries, keys=keys, required=required, what=what)

    def check_keys(
        self,
        node: Node,
        path: str,
        entries: dict[str, Entry],
        *,
        keys: Collection[str] | None = None,
        required: Collection[str] = (),
        what: str = "key",
    ) -> dict[str, Entry]:
        """`entries` without the unknown keys, each reported; missing required keys too."""
        entries = dict(entries)
        if keys is not None:
            for entry in list(entries.values()):
                if entry.key not in keys:
                    self.error(
                        entry.key_node,
                        path,
                        f"unknown {what} '{entry.key}'{did_you_mean(entry.key, keys)}",
                    )
                    del entries[entry.key]
        for key in required:
            if key not in entries:
                self.error(node, path, f"missing required key '{key}'")
        return entries

    def _entries(self, node: MappingNode, path: str) -> dict[str, Entry]:
        own: dict[str, Entry] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                merged.extend(
                    value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                )
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag == NULL:
                self.error(key_node, path, f"keys must be text, got {describe(key_node)}")
                continue
            key = key_node.value
            if key in own:
                self.error(
                    key_node,
                    path,
                    f"duplicate key '{key}' (first at line {line_of(own[key].key_node)})",
                )
                continue
            own[key] = Entry(key, key_node, value_node, child(path, key))
        # `<<: *anchor` fills in only the keys the mapping does not set itself.
        for source in merged:
            if not isinstance(source, MappingNode):
                self.error(source, path, "'<<' must name a mapping (an &anchor)")
                continue
            for key, entry in self._entries(source, path).items():
                own.setdefault(key, Entry(key, entry.key_node, entry.node, child(path, key)))
        return own

    def sequence(
        self, node: Node, path: str, *, allow_single: bool = False
    ) -> list[tuple[Node, str]] | _Invalid:
        """The items of a list with their paths; null is an empty list. With
        `allow_single`, a lone scalar counts as a list of one."""
        if self.is_null(node):
            return []
        if isinstance(node, SequenceNode):
            return [(n, item(path, i)) for i, n in enumerate(node.value)]
        if allow_single and isinstance(node, ScalarNode):
            return [(node, path)]
        return self.error(node, path, f"expected a list, got {describe(node)}")

    # ------------------------------------------------------------------ scalars

    def _scalar(self, node: Node, path: str, expected: str) -> _Scalar | _Invalid:
        if not isinstance(node, ScalarNode):
            return self.error(node, path, f"expected {expected}, got {describe(node)}")
        if node.tag != STR or "$" not in node.value:
            return _Scalar(node.tag, node.value, substituted=False)
        text = self._substitute(node, path)
        if text is INVALID:
            return INVALID
        assert isinstance(text, str)
        if text == node.value:
            return _Scalar(node.tag, text, substituted=False)
        # A value from the environment is typed by its text, so `port: ${SMTP_PORT}` works.
        tag = _RESOLVER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        return _Scalar(tag, text, substituted=True)

    def _substitute(self, node: ScalarNode, path: str) -> str | _Invalid:
        failed = False

        def replace(match: re.Match[str]) -> str:
            nonlocal failed
            if match.group(0) == "$${":
                return "${"
            name, closed = match.group("body"), match.group("close")
            if not closed:
                failed = True
                self.error(
                    node, path, "'${' without a closing '}' (write '$${' for a literal '${')"
                )
                return ""
            if not _VAR_NAME.match(name):
                failed = True
                self.error(node, path, f"'${{{name}}}' is not a valid environment variable name")
                return ""
            value = self.env.get(name)
            if not value and self.unset_ok:
                failed = True
                self.unset.append(f"{self.filename}:{line_of(node)}: {path}: ${{{name}}}")
                return ""
            if value is None:
                failed = True
                self.error(node, path, f"environment variable '{name}' is not set")
                return ""
            if value == "":
                failed = True
                self.error(node, path, f"environment variable '{name}' is set but empty")
                return ""
            self.secrets.add(value)
            self.secret_names.setdefault(value, name)
            return value

        text = _VAR_REF.sub(replace, node.value)
        return INVALID if failed else text

    @staticmethod
    def _construct(tag: str, text: str) -> Any:
        return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, ScalarNode(tag, text))

    @staticmethod
    def shown(node: Node) -> str:
        """The value as written, for messages: `${VAR}` stays unresolved so no secret leaks."""
        text = node.value if isinstance(node, ScalarNode) else ""
        return repr(text if len(text) <= 60 else text[:57] + "...")

    def text(self, node: Node, path: str, *, allow_empty: bool = False) -> str | _Invalid:
        """A string; numbers count as their text (`page_id: 123456`), booleans and nulls
        do not (`name: yes` is almost never meant as the word "yes")."""
        value = self._scalar(node, path, "text")
        if value is INVALID:
            return INVALID
        assert isinstance(value, _Scalar)
        if not value.substituted and value.tag in (BOOL, NULL):
            hint = f' (quote it: "{node.value}")' if value.tag == BOOL else ""
            return self.error(node, path, f"expected text, got {describe(node)}{hint}")
        if not allow_empty and not value.text.strip():
            return self.error(node, path, "must not be empty")
        return value.text

    def text_list(
        self, node: Node, path: str, *, allow_single: bool = True
    ) -> list[str] | _Invalid:
        items = self.sequence(node, path, allow_single=allow_single)
        if items is INVALID:
            return INVALID
        assert isinstance(items, list)
        out = [self.text(n, p) for n, p in items]
        return INVALID if INVALID in out else [s for s in out if isinstance(s, str)]

    def text_map(self, node: Node, path: str) -> dict[str, str] | _Invalid:
        """A free-form mapping of text to text (links, headers, component ids)."""
        entries = self.mapping(node, path)
        if entries is INVALID:
            return INVALID
        assert isinstance(entries, dict)
        out: dict[str, str] = {}
        ok = True
        for key, entry in entries.items():
            value = self.text(entry.node, entry.path)
            if isinstance(value, str):
                out[key] = value
            else:
                ok = False
        return out if ok else INVALID

    def boolean(self, node: Node, path: str) -> bool | _Invalid:
        value = self._scalar(node, path, "true or false")
        if value is INVALID:
            return INVALID
        assert isinstance(value, _Scalar)
        if value.tag != BOOL:
            return self.error(node, path, f"expected true or false, got {self.shown(node)}")
        return bool(self._construct(BOOL, value.text))

    def _numeric(self, tag: str, text: str) -> int | float:
        """An int or float scalar's value; one too long to convert (more digits than
        Python converts) reads as infinite, so the range check names it."""
        try:
            value = self._construct(tag, text)
        except (ValueError, OverflowError):
            return float("inf")
        return value if isinstance(value, int | float) else float("nan")

    def _out_of_range(self, node: Node, path: str, number: float, limit: Range) -> bool:
        if limit.holds(number):
            return False
        self.error(node, path, limit.problem(self.shown(node)))
        return True

    def integer(self, node: Node, path: str, limit: Range) -> int | _Invalid:
        value = self._scalar(node, path, "an integer")
        if value is INVALID:
            return INVALID
        assert isinstance(value, _Scalar)
        if value.tag != INT:
            return self.error(node, path, f"expected an integer, got {self.shown(node)}")
        number = self._numeric(INT, value.text)
        if self._out_of_range(node, path, number, limit):
            return INVALID
        return int(number)

    def number(self, node: Node, path: str, limit: Range) -> float | _Invalid:
        """A number; `95%` reads as 0.95 so thresholds can be written either way."""
        value = self._scalar(node, path, "a number")
        if value is INVALID:
            return INVALID
        assert isinstance(value, _Scalar)
        text = value.text.strip()
        if value.tag in (INT, FLOAT):
            number = float(self._numeric(value.tag, value.text))
        elif value.tag == STR and text.endswith("%") and _is_float(text[:-1]):
            number = float(text[:-1]) / 100
        else:
            return self.error(node, path, f"expected a number, got {self.shown(node)}")
        if number != number:
            return self.error(node, path, f"expected a number, got {self.shown(node)}")
        if self._out_of_range(node, path, number, limit):
            return INVALID
        return number

    def duration(self, node: Node, path: str, limit: Range = ANY_DURATION) -> float | _Invalid:
        """Seconds from `500ms`, `10s`, `5m`, `1h`, `1d`, `1h30m` or a plain number of
        seconds, within `limit` (never zero: no duration in the config means "instantly")."""
        value = self._scalar(node, path, "a duration")
        if value is INVALID:
            return INVALID
        assert isinstance(value, _Scalar)
        seconds: float | None = None
        if value.tag in (INT, FLOAT):
            seconds = float(self._numeric(value.tag, value.text))
        elif value.tag == STR:
            seconds = parse_duration(value.text)
        if seconds is None or seconds != seconds:
            return self.error(
                node,
                path,
                f"expected a duration like 500ms, 10s, 5m, 1h, 7d or seconds, got {self.shown(node)}",
            )
        if self._out_of_range(node, path, seconds, limit):
            return INVALID
        return seconds

    def size(self, node: Node, path: str, limit: Range) -> int | _Invalid:
        """Bytes from an integer or `512KB`, `1MB`, `1MiB`; units count in 1024s."""
        value = self._scalar(node, path, "a size")
        if value is INVALID:
            return INVALID
        assert isinstance(value, _Scalar)
        size: float | None = None
        if value.tag == INT:
            size = self._numeric(INT, value.text)
        elif value.tag == STR and (m := _SIZE.match(value.text.strip())):
            unit = (m.group(2) or "").lower()[:1]
            size = float(m.group(1)) * _SIZE_UNITS[unit]
        if size is None:
            return self.error(
                node, path, f"expected a size like 1048576, 512KB or 1MB, got {self.shown(node)}"
            )
        if self._out_of_range(node, path, size, limit):
            return INVALID
        return int(size)

    def url(
        self, node: Node, path: str, *, schemes: Collection[str] = ("http", "https")
    ) -> str | _Invalid:
        value = self.text(node, path)
        if value is INVALID:
            return INVALID
        assert isinstance(value, str)
        problem = url_problem(value, schemes)
        if problem:
            return self.error(node, path, f"{problem}, got {self.shown(node)}")
        return value


# libyaml, when PyYAML was built with it: ten times faster than PyYAML's own parser
# (a config of 500 agents: ~8 ms instead of ~85 ms before the dashboard can start).
_FAST_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> Node | None:
    """The node tree of `text`. A document libyaml does not take (any error, or nesting
    deeper than its limit) is parsed again by PyYAML's own parser, so what is reported
    (messages, lines, the nesting limit) is always that parser's."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except Exception:  # any failure: the reference parser says why
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def parse_duration(text: str) -> float | None:
    """Seconds from a duration string, or None when it is not one."""
    text = text.strip().lower()
    if _is_float(text):
        return float(text)
    if not _DURATION.fullmatch(text):
        return None
    return sum(float(n) * _DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(text))


def url_problem(value: str, schemes: Collection[str]) -> str | None:
    """Why `value` is not a usable URL with one of `schemes`, or None when it is."""
    want = " or ".join(f"{s}://" for s in schemes)
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in schemes or not value.strip().lower().startswith(
        tuple(f"{s}://" for s in schemes)
    ):
        return f"expected a URL starting with {want}"
    if not parts.hostname:
        return "the URL has no host"
    if any(c.isspace() for c in value):
        return "a URL must not contain spaces"
    return None


def _line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lower() not in ("nan", "inf", "-inf", "+inf", "infinity")


def _path_at_error(text: str) -> str:
    """The key path the YAML parser had reached when it failed, so even a syntax error
    names where it is. Replays the event stream up to the failure."""
    # Frames: ["map", current key, reading its value?] or ["seq", current index, None].
    stack: list[list[Any]] = []
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            frame = stack[-1] if stack else None
            if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                if frame and frame[0] == "seq":
                    frame[1] += 1
                elif frame and not frame[2]:
                    frame[1] = getattr(event, "value", None) or "*"
                    frame[2] = True
                elif frame:
                    frame[2] = False
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if frame and frame[0] == "seq":
                    frame[1] += 1
                elif frame and not frame[2]:
                    frame[1], frame[2] = "?", True  # a complex key: rare, named "?"
                is_map = isinstance(event, yaml.MappingStartEvent)
                stack.append(["map", None, False] if is_map else ["seq", -1, None])
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
                if stack and stack[-1][0] == "map":
                    stack[-1][2] = False
    except yaml.YAMLError:
        pass
    path = ""
    for kind, position, reading_value in stack:
        if kind == "map":
            if reading_value and position is not None:
                path = child(path, str(position))
        elif position >= 0:
            path = item(path, position)
    return path
