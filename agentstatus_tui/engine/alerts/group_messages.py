"""The one Slack message and the one email of a group of pages (see `groups.py`): a
headline naming every agent, then each agent's facts as its own page would give them."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

from ..model import EmailChannel
from ..text import duration, iso_utc
from .messages import AlertFacts, _mrkdwn, fact_lines, tag

SUBJECT_MAX = 180  # characters: mail clients cut long subjects anyway
SLACK_SECTIONS = 40  # Slack takes at most 50 blocks a message


def _item(f: AlertFacts) -> str:
    if f.event == "resolve":
        return (f"{f.agent_name} {f.verdict or 'UP'} after "
                f"{duration(f.duration_s, exact=True, none='unknown time')}")
    return f"{f.agent_name} {f.verdict}"


def group_tag(facts: Sequence[AlertFacts]) -> str:
    """The most urgent page's tag: `[DOWN]` when any agent is DOWN."""
    tags = [tag(f) for f in facts]
    return "[DOWN]" if "[DOWN]" in tags else tags[0]


def group_headline(facts: Sequence[AlertFacts]) -> str:
    """`[DOWN] 3 agents: Support Bot DOWN, Search Agent DOWN, Billing DEGRADED`."""
    return f"{group_tag(facts)} {len(facts)} agents: " + ", ".join(_item(f) for f in facts)


def slack_group_body(facts: Sequence[AlertFacts]) -> dict[str, Any]:
    text = group_headline(facts)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_mrkdwn(text)}*"}}]
    for f in facts[:SLACK_SECTIONS]:
        lines = [ln for ln in fact_lines(f) if not ln.startswith("Time:")]
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": "\n".join(map(_mrkdwn, lines))}})
    if len(facts) > SLACK_SECTIONS:
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": f"… and {len(facts) - SLACK_SECTIONS} more"}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"agentstatus · {iso_utc(facts[0].at)}"}]})
    return {"text": text, "blocks": blocks}


def email_group_message(facts: Sequence[AlertFacts], channel: EmailChannel) -> EmailMessage:
    msg = EmailMessage()
    subject = f"{group_tag(facts)} {len(facts)} agents: " + ", ".join(
        f.agent_name for f in facts)
    msg["Subject"] = subject if len(subject) <= SUBJECT_MAX else subject[:SUBJECT_MAX - 1] + "…"
    msg["From"] = channel.from_addr
    msg["To"] = ", ".join(channel.to)
    lines = [group_headline(facts)]
    for f in facts:
        lines += ["", *fact_lines(f)]
    lines += ["", "-- ", "agentstatus"]
    msg.set_content("\n".join(lines) + "\n")
    return msg
