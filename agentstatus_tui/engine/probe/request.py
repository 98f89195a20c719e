"""What a probe sends: the chat-completions body and the region header."""

from __future__ import annotations

from typing import Any

from ..model import AgentConfig, GoldPrompt

REGION_HEADER = "X-AgentStatus-Region"
GOLD_MAX_TOKENS = 256


def request_body(agent: AgentConfig, gold: GoldPrompt | None = None) -> dict[str, Any]:
    """The chat-completions body of a validation (or of a gold prompt)."""
    if gold is None:
        messages: list[Any] = [dict(m) for m in agent.probe_messages]
        body: dict[str, Any] = {"messages": messages, "max_tokens": agent.max_tokens}
    else:
        body = {
            "messages": [{"role": "user", "content": gold.prompt}],
            "max_tokens": max(GOLD_MAX_TOKENS, agent.max_tokens),
        }
    if agent.model:
        body["model"] = agent.model
    if agent.stream:
        body["stream"] = True
    return body
