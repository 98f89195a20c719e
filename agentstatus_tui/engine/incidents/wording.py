"""How incidents put channels and failures into words, shared by the timeline, the
panel, the Slack summary and the document (numbers and times: `engine.text`)."""

from __future__ import annotations

from collections.abc import Mapping

from ..model import Config, RunResult

CHANNEL_TYPE_LABELS: Mapping[str, str] = {
    "pagerduty": "PagerDuty",
    "slack": "Slack",
    "email": "email",
    "webhook": "webhook",
    "statuspage": "status page",
}


def channel_label(config: Config | None, channel: str) -> str:
    """`PagerDuty`, `Slack`, … for a channel name; the name itself when the type is
    unknown or the name says more (two Slack channels)."""
    ch = config.channels.get(channel) if config is not None else None
    if ch is None:
        return CHANNEL_TYPE_LABELS.get(channel, channel)
    label = CHANNEL_TYPE_LABELS.get(ch.type, ch.type)
    same_type = [c for c in config.channels.values() if c.type == ch.type] if config else []
    return f"{label} ({channel})" if len(same_type) > 1 else label


def errors_text(errors: Mapping[str, int]) -> str:
    """`HTTP_503 ×10, TIMEOUT ×2` (counts shown only when above one)."""
    parts = [f"{code} ×{n}" if n > 1 else code for code, n in sorted(errors.items(), key=lambda kv: (-kv[1], kv[0])) if n]
    return ", ".join(parts) if parts else "no errors"


def failure_summary(run: RunResult) -> str:
    """Where and how a run failed: `us, eu: HTTP_503; ap: TIMEOUT`."""
    by_codes: dict[str, list[str]] = {}
    for name, stats in run.regions.items():
        codes = ", ".join(sorted(c for c, n in stats.errors.items() if n))
        if codes:
            by_codes.setdefault(codes, []).append(name)
    if not by_codes:
        codes = ", ".join(sorted(c for c, n in run.overall.errors.items() if n))
        return codes or str(run.verdict)
    return "; ".join(f"{', '.join(regions)}: {codes}" for codes, regions in by_codes.items())

