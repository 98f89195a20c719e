"""The Reproduce step's curl: the agent's validation request as a shell command, with
every secret left as `$VAR` for the shell to expand."""

from __future__ import annotations

import json
import re
import shlex

from ..model import AgentConfig, Region
from .request import REGION_HEADER, request_body

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _shown(text: str) -> str:
    """Quoted for the shell; a `${VAR}` in it stays for the shell to expand."""
    return _shell_double_quoted(text) if _VAR.search(text) else shlex.quote(text)


def _shell_double_quoted(template: str) -> str:
    """`template` inside double quotes, with `${VAR}` left for the shell to expand (so the
    command works as pasted) and everything else literal."""
    out, pos = [], 0
    for m in _VAR.finditer(template):
        out.append(re.sub(r'([\\"`$])', r"\\\1", template[pos : m.start()]))
        nxt = template[m.end() : m.end() + 1]
        name = m.group(1)
        out.append(f"${{{name}}}" if re.match(r"[A-Za-z0-9_]", nxt) else f"${name}")
        pos = m.end()
    out.append(re.sub(r'([\\"`$])', r"\\\1", template[pos:]))
    return '"' + "".join(out) + '"'


def curl_command(agent: AgentConfig, region: Region | None) -> str:
    """The exact curl of the agent's validation request, secrets shown as `$VAR`.

    Header values come from the config as written (`header_templates`); a header without
    a template is shown as `$AGENTSTATUS_HIDDEN` rather than risk printing a secret.
    """
    parts = ["curl -sS -X POST " + _shown(agent.url_template or agent.url)]
    names = list(dict.fromkeys([*agent.header_templates, *agent.headers]))
    for name in names:
        template = agent.header_templates.get(name)
        value = "${AGENTSTATUS_HIDDEN}" if template is None else template
        parts.append("-H " + _shell_double_quoted(f"{name}: {value}"))
    parts.append('-H "Content-Type: application/json"')
    if region is not None:
        parts.append("-H " + _shell_double_quoted(f"{REGION_HEADER}: {region.name}"))
        if region.proxy:
            proxy = region.proxy_template or region.proxy
            if proxy.startswith(("socks5://", "socks5h://")) and "@" not in proxy:
                hostport = proxy.split("://", 1)[1].rstrip("/")
                parts.append("--socks5-hostname " + _shown(hostport))
            else:
                if proxy.startswith("socks5://"):  # credentials: keep DNS at the proxy
                    proxy = "socks5h://" + proxy.removeprefix("socks5://")
                parts.append("--proxy " + _shown(proxy))
    if agent.stream:
        parts.append("-N")
    parts.append(f"--max-time {agent.timeout:g}")
    parts.append("-d " + shlex.quote(json.dumps(request_body(agent))))
    return " \\\n  ".join(parts)
