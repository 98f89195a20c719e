"""Alerts that page exactly once: rules over stored transitions, a persisted outbox, and
senders for PagerDuty, Slack, webhooks, email and Statuspage."""

from .center import AlertCenter
from .outbox import AlertHealth, AlertRecord, AttemptRecord

__all__ = ["AlertCenter", "AlertHealth", "AlertRecord", "AttemptRecord"]
