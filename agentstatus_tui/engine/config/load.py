"""The agents config file: YAML with `${VAR}` and durations, read into `Config`.

Every problem is reported at once as `file:line: key.path: message` in one `ConfigError`,
never a traceback. `defaults:` may set any agent key except `id` and `name`; an agent's
own value replaces the default, except `headers`, `alerts` and `runbook`, which are
merged key by key (so a default `User-Agent` header survives an agent's own token).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import platformdirs
from yaml.nodes import MappingNode, Node

from ..model import (
    EXPECT_KINDS,
    AgentConfig,
    AlertRules,
    Channel,
    Config,
    ConfigError,
    DeliveryPolicy,
    Expectation,
    GoldPrompt,
    Region,
    Runbook,
    Thresholds,
)
from ..printable import printable
from ..probe.expectations import regex_problem
from .api import read_api
from .channels import read_channels, read_headers
from .delivery import heartbeat_secrets, read_alerting, read_heartbeat
from .keymap import BINDING_IDS
from .limits import AGENT, MAX_TTFB, THRESHOLD, TOP
from .maintenance import read_maintenance
from .paging import PAGING_ALERT_KEYS, check_dependencies, read_alert_key, read_depends_on
from .yaml_lines import INVALID, Entry, Reader, _Invalid, as_written, did_you_mean

APP_NAME = "agentstatus"
CONFIG_FILENAME = "agents.yaml"
SAMPLE_FILENAME = "sample_agents.yaml"
# A config of a thousand agents is about 1 MB; past this it is a mistake (a log, a disk image).
MAX_FILE_BYTES = 8 * 1024**2

TOP_KEYS = (
    "defaults",
    "thresholds",
    "regions",
    "channels",
    "agents",
    "max_in_flight",
    "max_body_bytes",
    "run_deadline",
    "retention",
    "theme",
    "bell",
    "keymap",
    "data_dir",
    "api",
    "alerting",
    "heartbeat",
    "maintenance",
)
AGENT_KEYS = (
    "id",
    "name",
    "url",
    "headers",
    "model",
    "stream",
    "regions",
    "interval",
    "recheck",
    "timeout",
    "validations",
    "retries",
    "ttfb_sla",
    "max_tokens",
    "probe",
    "gold_prompts",
    "alerts",
    "runbook",
    "depends_on",
    "tags",
)
# Identify one agent, so a default for them would make every agent the same (and a
# default `depends_on` would make the parent depend on itself).
NOT_DEFAULTABLE = ("id", "name", "depends_on")
# Mappings merged key by key between `defaults:` and an agent; everything else replaces.
MERGED_KEYS = ("headers", "alerts", "runbook")

THRESHOLD_KEYS = ("down_below", "degraded_below", "eval_pass_min")
REGION_KEYS = ("proxy", "canary")
GOLD_KEYS = ("prompt", "name", "expect")
ALERT_KEYS = ("channels", "on_down", "on_recovery", "on_degraded", *PAGING_ALERT_KEYS)
RUNBOOK_KEYS = ("contacts", "links", "rollback", "common_issues")
PROBE_ROLES = ("system", "developer", "user", "assistant")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
TEXT_EXPECTATIONS = ("contains", "icontains", "not_contains")

SLUG = re.compile(r"[a-z0-9-]+\Z")
DEFAULT_REGION = "local"


# --------------------------------------------------------------------------- public API


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Read and check the config at `path`. Raises `ConfigError` with every problem;
    `OSError` when the file cannot be read at all."""
    name = os.fspath(path)
    text = _read_text(name)
    return dataclasses.replace(load_config_text(text, filename=name, env=env), path=name)


def _read_text(name: str) -> str:
    """The file's text. `ConfigError` when it is too big to be a config or not UTF-8 text
    (a binary file given by mistake); `OSError` when it cannot be read at all."""
    with open(name, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError([f"{name}:1: (top level): config too large: more than "
                           f"{MAX_FILE_BYTES // 1024**2} MB"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError([f"{name}:{line}: (top level): the file is not UTF-8 text"]) from None


def load_config_text(
    text: str, filename: str = "<config>", env: Mapping[str, str] | None = None
) -> Config:
    """Check config text; `filename` is only used in error messages. `env` defaults to
    the process environment and is where `${VAR}` values come from."""
    reader = Reader(filename, os.environ if env is None else env)
    config = _ConfigReader(reader).read(text)
    if reader.error_count or config is None:
        raise ConfigError(reader.errors())
    return config


def check_config_file(
    path: str | os.PathLike[str], env: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """What `agentstatus validate` reports: every error, and apart from them every
    `${VAR}` that is not set in `env` (each as `file:line: key.path: ${VAR}`). A file is
    valid on a machine that lacks its secrets; the dashboard and `check` need them set."""
    try:
        text = _read_text(os.fspath(path))
    except ConfigError as exc:
        return list(exc.errors), []
    reader = Reader(os.fspath(path), os.environ if env is None else env, unset_ok=True)
    _ConfigReader(reader).read(text)
    return reader.errors(), list(reader.unset)


def load_config_allow_unset(
    path: str | os.PathLike[str], env: Mapping[str, str] | None = None
) -> tuple[Config, list[str]]:
    """The config with every unset `${VAR}` left out (its value dropped) instead of
    being an error, and those variables as `check_config_file` lists them. For a command
    that needs only part of the file (`test-alert CHANNEL`): it checks that its part has
    none of them. Raises `ConfigError` with every other error."""
    text = _read_text(os.fspath(path))
    reader = Reader(os.fspath(path), os.environ if env is None else env, unset_ok=True)
    config = _ConfigReader(reader).read(text)
    if reader.error_count or config is None:
        raise ConfigError(reader.errors())
    return dataclasses.replace(config, path=os.fspath(path)), list(reader.unset)


def user_config_path() -> Path:
    """Where the user's config lives when `--config` is not given."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / CONFIG_FILENAME


def find_user_config() -> Path | None:
    path = user_config_path()
    return path if path.is_file() else None


def sample_config_text() -> str:
    """The commented sample config shipped inside the package (also at the repo top)."""
    return resources.files("agentstatus_tui").joinpath("data", SAMPLE_FILENAME).read_text("utf-8")


# --------------------------------------------------------------------------- the reader


class _ConfigReader:
    def __init__(self, r: Reader) -> None:
        self.r = r
        self.region_names: list[str] = []
        self.channel_names: list[str] = []
        self.written_ids: list[str] = []  # as written, even invalid ones: no error cascades
        self.default_keys: set[str] = set()  # keys written under defaults:, valid or not
        self.depends_on: dict[str, tuple[Node, str, tuple[str, ...]]] = {}
        self.written_tags: set[str] = set()  # every tag an agent (or defaults:) names

    def read(self, text: str) -> Config | None:
        r = self.r
        root = r.compose(text)
        if not isinstance(root, Node) or r.is_null(root):
            if root is INVALID:
                return None
            r.error(1, "", "the config is empty: it needs at least an agents: list")
            return None
        top = r.mapping(root, "", keys=TOP_KEYS, required=("agents",), allow_null=False)
        if not isinstance(top, dict):
            return None

        regions = self._regions(top.get("regions"))
        channels: dict[str, Channel] = {}
        component_refs: list[tuple[Entry, str]] = []
        if "channels" in top:
            channels, self.channel_names, component_refs = read_channels(
                r, top["channels"].node, top["channels"].path
            )
        defaults = self._defaults(top.get("defaults"))
        agents = self._agents(top["agents"], defaults) if "agents" in top else []

        for ref, components_path in component_refs:
            if ref.key not in self.written_ids:
                r.error(
                    ref.key_node,
                    components_path,
                    f"unknown agent '{ref.key}'{did_you_mean(ref.key, self.written_ids)}",
                )

        settings = self._top_settings(top)
        api_tokens = read_api(r, top["api"].node, top["api"].path) if "api" in top else ()
        delivery = (read_alerting(r, top["alerting"].node, top["alerting"].path)
                    if "alerting" in top else DeliveryPolicy())
        heartbeat = (read_heartbeat(r, top["heartbeat"].node, top["heartbeat"].path)
                     if "heartbeat" in top else None)
        maintenance = (
            read_maintenance(r, top["maintenance"], agents=self.written_ids,
                             regions=self.region_names, tags=self.written_tags)
            if "maintenance" in top else ())
        return Config(
            agents=tuple(agents),
            regions=MappingProxyType(regions),
            channels=MappingProxyType(channels),
            thresholds=self._thresholds(top.get("thresholds")),
            secrets=frozenset(r.secrets | heartbeat_secrets(heartbeat)),
            api_tokens=api_tokens,
            delivery=delivery,
            heartbeat=heartbeat,
            maintenance=maintenance,
            **settings,
        )

    # ------------------------------------------------------------------ top level

    def _keymap(self, node: Node, path: str) -> Any:
        """binding id -> key(s); an id the dashboard does not have is an error, so a typo
        cannot leave a key silently unbound."""
        keymap = self.r.text_map(node, path)
        if not isinstance(keymap, dict):
            return keymap
        entries = self.r.mapping(node, path)
        assert isinstance(entries, dict)
        ok = True
        for key, entry in entries.items():
            if key not in BINDING_IDS:
                self.r.error(entry.key_node, path, f"unknown binding id '{key}'"
                             f"{did_you_mean(key, BINDING_IDS)}")
                ok = False
        return keymap if ok else INVALID

    def _top_settings(self, top: dict[str, Entry]) -> dict[str, Any]:
        r = self.r
        readers: dict[str, Callable[[Node, str], Any]] = {
            "max_in_flight": lambda n, p: r.integer(n, p, TOP["max_in_flight"]),
            "max_body_bytes": lambda n, p: r.size(n, p, TOP["max_body_bytes"]),
            "run_deadline": lambda n, p: r.duration(n, p, TOP["run_deadline"]),
            "retention": lambda n, p: r.duration(n, p, TOP["retention"]),
            "theme": r.text,
            "bell": r.boolean,
            "keymap": self._keymap,
            "data_dir": lambda n, p: _expand(r.text(n, p)),
        }
        out: dict[str, Any] = {}
        for key, read in readers.items():
            entry = top.get(key)
            if entry is None or r.is_null(entry.node):
                continue
            value = read(entry.node, entry.path)
            if value is not INVALID:
                out[key] = MappingProxyType(value) if isinstance(value, dict) else value
        return out

    def _thresholds(self, entry: Entry | None) -> Thresholds:
        if entry is None:
            return Thresholds()
        r = self.r
        fields = r.mapping(entry.node, entry.path, keys=THRESHOLD_KEYS)
        if not isinstance(fields, dict):
            return Thresholds()
        values: dict[str, float] = {}
        for key, field in fields.items():
            value = r.number(field.node, field.path, THRESHOLD)
            if isinstance(value, float):
                values[key] = value
        thresholds = Thresholds(**values)
        if thresholds.down_below > thresholds.degraded_below:
            where = fields.get("down_below") or fields["degraded_below"]
            r.error(
                where.node,
                where.path,
                f"down_below ({thresholds.down_below:g}) must not be above "
                f"degraded_below ({thresholds.degraded_below:g})",
            )
        return thresholds

    def _regions(self, entry: Entry | None) -> dict[str, Region]:
        r = self.r
        if entry is None:
            self.region_names = [DEFAULT_REGION]
            return {DEFAULT_REGION: Region(DEFAULT_REGION)}
        entries = r.mapping(entry.node, entry.path, allow_null=False)
        if not isinstance(entries, dict):
            return {}
        if not entries:
            r.error(entry.node, entry.path, "needs at least one region (or leave regions: out)")
        self.region_names = list(entries)
        regions: dict[str, Region] = {}
        for name, region in entries.items():
            if not SLUG.match(name):
                r.error(
                    region.key_node,
                    entry.path,
                    f"region name '{name}' may use only a-z, 0-9 and '-'",
                )
                continue
            fields = r.mapping(region.node, region.path, keys=REGION_KEYS)
            if not isinstance(fields, dict):
                continue
            values: dict[str, Any] = {}
            for key, field in fields.items():
                if r.is_null(field.node):
                    continue
                schemes = PROXY_SCHEMES if key == "proxy" else ("http", "https")
                value = r.url(field.node, field.path, schemes=schemes)
                if value is not INVALID:
                    values[key] = value
            if "proxy" in values:
                written = as_written(values["proxy"], r.secret_names)
                if written != values["proxy"]:
                    values["proxy_template"] = written
            regions[name] = Region(name, **values)
        return regions

    # ------------------------------------------------------------------ agents

    def _defaults(self, entry: Entry | None) -> dict[str, Any]:
        if entry is None:
            return {}
        r = self.r
        fields = r.mapping(entry.node, entry.path)
        if not isinstance(fields, dict):
            return {}
        self.default_keys = {k for k, e in fields.items() if not r.is_null(e.node)}
        for key in NOT_DEFAULTABLE:
            if key in fields:
                r.error(
                    fields[key].key_node,
                    entry.path,
                    f"'{key}' cannot have a default: every agent sets its own",
                )
        allowed = [k for k in AGENT_KEYS if k not in NOT_DEFAULTABLE]
        fields = r.check_keys(
            entry.node,
            entry.path,
            {k: v for k, v in fields.items() if k not in NOT_DEFAULTABLE},
            keys=allowed,
        )
        return self._agent_settings(fields)

    def _agents(self, entry: Entry, defaults: dict[str, Any]) -> list[AgentConfig]:
        r = self.r
        items = r.sequence(entry.node, entry.path)
        if not isinstance(items, list):
            return []
        if not items:
            r.error(entry.node, entry.path, "no agents: add at least one (see sample_agents.yaml)")
        first_seen: dict[str, int] = {}
        agents: list[AgentConfig] = []
        for node, path in items:
            fields = r.mapping(node, path, keys=AGENT_KEYS, required=("id",), allow_null=False)
            if not isinstance(fields, dict):
                continue
            agent_id = self._agent_id(fields.get("id"), first_seen)
            before = r.error_count
            settings = self._agent_settings(fields)
            url = fields.get("url")
            if (url is None or r.is_null(url.node)) and "url" not in self.default_keys:
                r.error(url.node if url else node, path, "missing required key 'url'")
            if agent_id is None or r.error_count > before:
                continue
            merged = _merge(defaults, settings)
            if "depends_on" in settings:
                written = fields["depends_on"]
                self.depends_on[agent_id] = (written.node, written.path, settings["depends_on"])
            if "url" in merged:
                agents.append(self._build_agent(agent_id, merged))
        check_dependencies(r, self.depends_on, self.written_ids)
        return agents

    def _agent_id(self, entry: Entry | None, first_seen: dict[str, int]) -> str | None:
        if entry is None:
            return None
        r = self.r
        value = r.text(entry.node, entry.path)
        if not isinstance(value, str):
            return None
        self.written_ids.append(value)
        if not SLUG.match(value):
            slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
            hint = f" (for example '{slug}')" if slug else ""
            r.error(
                entry.node, entry.path, f"'{value}' is not a valid id: use a-z, 0-9 and '-'{hint}"
            )
            return None
        if value in first_seen:
            r.error(
                entry.node,
                entry.path,
                f"duplicate agent id '{value}' (first at line {first_seen[value]})",
            )
            return None
        first_seen[value] = entry.node.start_mark.line + 1
        return value

    def _agent_settings(self, fields: dict[str, Entry]) -> dict[str, Any]:
        """Each key's value, read; an explicit null means "not set"."""
        out: dict[str, Any] = {}
        for key, field in fields.items():
            if key == "id" or self.r.is_null(field.node):
                continue
            value = self._AGENT_READERS[key](self, field.node, field.path)
            if value is not INVALID:
                out[key] = value
        return out

    def _build_agent(self, agent_id: str, s: dict[str, Any]) -> AgentConfig:
        headers = s.get("headers", {}).values()
        extra: dict[str, Any] = {
            key: s[key]
            for key in (
                "model",
                "stream",
                "interval",
                "recheck",
                "timeout",
                "validations",
                "retries",
                "ttfb_sla",
                "max_tokens",
                "gold_prompts",
                "tags",
            )
            if key in s
        }
        if "probe" in s:
            extra["probe_messages"] = s["probe"]
        url_written = as_written(s["url"], self.r.secret_names)
        return AgentConfig(
            id=agent_id,
            name=s.get("name", agent_id),
            url=s["url"],
            url_template=url_written if url_written != s["url"] else None,
            headers=MappingProxyType({name: value for name, _, value in headers}),
            header_templates=MappingProxyType({name: template for name, template, _ in headers}),
            regions=tuple(s.get("regions", self.region_names)),
            alerts=AlertRules(**s.get("alerts", {})),
            runbook=Runbook(**s.get("runbook", {})),
            depends_on=s.get("depends_on", ()),
            **extra,
        )

    # ------------------------------------------------------------------ agent keys

    def _headers(self, node: Node, path: str) -> Any:
        return read_headers(self.r, node, path)

    def _region_list(self, node: Node, path: str) -> Any:
        r = self.r
        names = r.text_list(node, path)
        if not isinstance(names, list):
            return INVALID
        if not names:
            return r.error(node, path, "needs at least one region (or leave it out for all)")
        before = r.error_count
        seen: set[str] = set()
        for name in names:
            if name not in self.region_names:
                known = ", ".join(self.region_names)
                r.error(
                    node,
                    path,
                    f"unknown region '{name}'{did_you_mean(name, self.region_names)} (regions: {known})",
                )
            elif name in seen:
                r.error(node, path, f"region '{name}' is listed twice")
            seen.add(name)
        return tuple(names) if r.error_count == before else INVALID

    def _tags(self, node: Node, path: str) -> Any:
        r = self.r
        tags = r.text_list(node, path)
        if not isinstance(tags, list):
            return INVALID
        self.written_tags.update(tags)
        before = r.error_count
        for tag in tags:
            if not SLUG.match(tag):
                r.error(node, path, f"tag '{tag}' may use only a-z, 0-9 and '-'")
        return tuple(dict.fromkeys(tags)) if r.error_count == before else INVALID

    def _probe(self, node: Node, path: str) -> Any:
        """The validation request's messages; a plain string is one user message."""
        r = self.r
        items = r.sequence(node, path, allow_single=True)
        if not isinstance(items, list):
            return INVALID
        if not items:
            return r.error(node, path, "needs at least one message")
        messages = []
        for n, p in items:
            if r.is_null(n):
                r.error(n, p, "expected a message {role, content} or text")
                continue
            if not isinstance(n, MappingNode):
                text = r.text(n, p)
                if isinstance(text, str):
                    messages.append(MappingProxyType({"role": "user", "content": text}))
                continue
            fields = r.mapping(n, p, keys=("role", "content"), required=("role", "content"))
            if not isinstance(fields, dict) or len(fields) < 2:
                continue
            role = r.text(fields["role"].node, fields["role"].path)
            content = r.text(fields["content"].node, fields["content"].path)
            if isinstance(role, str) and role not in PROBE_ROLES:
                r.error(
                    fields["role"].node,
                    fields["role"].path,
                    f"unknown role '{role}'{did_you_mean(role, PROBE_ROLES)} (one of {', '.join(PROBE_ROLES)})",
                )
                continue
            if isinstance(role, str) and isinstance(content, str):
                messages.append(MappingProxyType({"role": role, "content": content}))
        return tuple(messages) if len(messages) == len(items) else INVALID

    def _gold_prompts(self, node: Node, path: str) -> Any:
        r = self.r
        items = r.sequence(node, path)
        if not isinstance(items, list):
            return INVALID
        prompts: list[GoldPrompt] = []
        for n, p in items:
            fields = r.mapping(
                n, p, keys=GOLD_KEYS, required=("prompt", "expect"), allow_null=False
            )
            if not isinstance(fields, dict):
                continue
            prompt = (
                r.text(fields["prompt"].node, fields["prompt"].path)
                if "prompt" in fields
                else INVALID
            )
            name = (
                _shown(r.text(fields["name"].node, fields["name"].path), multiline=False)
                if "name" in fields
                else ""
            )
            expect = self._expect(fields["expect"]) if "expect" in fields else INVALID
            if isinstance(prompt, str) and isinstance(name, str) and isinstance(expect, tuple):
                prompts.append(GoldPrompt(prompt=prompt, expect=expect, name=name))
        return tuple(prompts) if len(prompts) == len(items) else INVALID

    def _expect(self, entry: Entry) -> tuple[Expectation, ...] | Any:
        r = self.r
        before = r.error_count
        checks = r.mapping(
            entry.node, entry.path, keys=EXPECT_KINDS, what="check", allow_null=False
        )
        if not isinstance(checks, dict):
            return INVALID
        if not checks and r.error_count == before:
            return r.error(
                entry.node, entry.path, f"needs at least one check ({', '.join(EXPECT_KINDS)})"
            )
        out: list[Expectation] = []
        for kind, check in checks.items():
            node, path = check.node, check.path
            if kind in TEXT_EXPECTATIONS:
                # A list means every item must hold, like several checks of one kind.
                values = r.text_list(node, path)
                if isinstance(values, list):
                    if not values:
                        r.error(node, path, "needs some text to look for")
                    out.extend(Expectation(kind, v) for v in values)  # type: ignore[arg-type]
            elif kind == "equals":
                value = r.text(node, path, allow_empty=True)
                if isinstance(value, str):
                    out.append(Expectation("equals", value))
            elif kind == "regex":
                pattern = r.text(node, path)
                if isinstance(pattern, str):
                    problem = regex_problem(pattern)
                    if problem:
                        r.error(node, path, problem)
                    else:
                        out.append(Expectation("regex", pattern))
            elif kind == "json":
                wanted = r.boolean(node, path)
                if wanted is False:
                    r.error(
                        node, path, "json: false checks nothing (write json: true or remove it)"
                    )
                elif wanted is True:
                    out.append(Expectation("json", True))
            elif kind == "max_ttfb":
                seconds = r.duration(node, path, MAX_TTFB)
                if isinstance(seconds, float):
                    out.append(Expectation("max_ttfb", seconds))
        return tuple(out) if r.error_count == before and out else INVALID

    def _alerts(self, node: Node, path: str) -> Any:
        r = self.r
        fields = r.mapping(node, path, keys=ALERT_KEYS)
        if not isinstance(fields, dict):
            return INVALID
        out: dict[str, Any] = {}
        before = r.error_count
        for key, field in fields.items():
            if r.is_null(field.node):
                continue
            if key == "channels":
                names = r.text_list(field.node, field.path)
                if not isinstance(names, list):
                    continue
                for name in names:
                    if name not in self.channel_names:
                        known = ", ".join(self.channel_names) or "none defined under channels:"
                        r.error(
                            field.node,
                            field.path,
                            f"unknown channel '{name}'{did_you_mean(name, self.channel_names)}"
                            f" (channels: {known})",
                        )
                out["channels"] = tuple(dict.fromkeys(names))
            elif key in PAGING_ALERT_KEYS:
                value = read_alert_key(r, key, field.node, field.path, self.channel_names)
                if value is not INVALID:
                    out[key] = value
            else:
                value = r.boolean(field.node, field.path)
                if isinstance(value, bool):
                    out[key] = value
        return out if r.error_count == before else INVALID

    def _runbook(self, node: Node, path: str) -> Any:
        r = self.r
        fields = r.mapping(node, path, keys=RUNBOOK_KEYS)
        if not isinstance(fields, dict):
            return INVALID
        out: dict[str, Any] = {}
        before = r.error_count
        for key, field in fields.items():
            if r.is_null(field.node):
                continue
            if key == "contacts":
                value: Any = r.text_list(field.node, field.path)
                value = tuple(map(_one_line, value)) if isinstance(value, list) else INVALID
            elif key == "rollback":
                value = _shown(r.text(field.node, field.path))
            else:
                value = r.text_map(field.node, field.path)
                value = (
                    MappingProxyType(
                        {_one_line(k): (_one_line(v) if key == "links" else printable(v))
                         for k, v in value.items()})
                    if isinstance(value, dict)
                    else INVALID
                )
            if value is not INVALID:
                out[key] = value
        return out if r.error_count == before else INVALID

    _AGENT_READERS: ClassVar[dict[str, Callable[[_ConfigReader, Node, str], Any]]] = {
        "name": lambda self, n, p: _shown(self.r.text(n, p), multiline=False),
        "url": lambda self, n, p: self.r.url(n, p),
        "headers": _headers,
        "model": lambda self, n, p: self.r.text(n, p),
        "stream": lambda self, n, p: self.r.boolean(n, p),
        "regions": _region_list,
        "interval": lambda self, n, p: self.r.duration(n, p, AGENT["interval"]),
        "recheck": lambda self, n, p: self.r.duration(n, p, AGENT["recheck"]),
        "timeout": lambda self, n, p: self.r.duration(n, p, AGENT["timeout"]),
        "validations": lambda self, n, p: self.r.integer(n, p, AGENT["validations"]),
        "retries": lambda self, n, p: self.r.integer(n, p, AGENT["retries"]),
        "ttfb_sla": lambda self, n, p: self.r.duration(n, p, AGENT["ttfb_sla"]),
        "max_tokens": lambda self, n, p: self.r.integer(n, p, AGENT["max_tokens"]),
        "probe": _probe,
        "gold_prompts": _gold_prompts,
        "alerts": _alerts,
        "runbook": _runbook,
        "depends_on": lambda self, n, p: read_depends_on(self.r, n, p),
        "tags": _tags,
    }


def _merge(defaults: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in own.items():
        merged[key] = (
            {**defaults[key], **value} if key in MERGED_KEYS and key in defaults else value
        )
    return merged


def _one_line(text: str) -> str:
    return printable(text, multiline=False)


def _shown(value: str | _Invalid, *, multiline: bool = True) -> str | _Invalid:
    """A text the screen shows (a name, runbook text): control and bidi-override
    characters escaped once here, so no front end can forget to."""
    return printable(value, multiline=multiline) if isinstance(value, str) else value


def _expand(value: Any) -> Any:
    return os.path.expanduser(value) if isinstance(value, str) else value


__all__ = [
    "AGENT_KEYS",
    "TOP_KEYS",
    "Channel",
    "ConfigError",
    "find_user_config",
    "load_config",
    "load_config_text",
    "sample_config_text",
    "user_config_path",
]
