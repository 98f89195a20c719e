"""Which transitions page (DOWN, DEGRADED when asked, recovery; UNKNOWN never), as a pure
function."""

from __future__ import annotations

import pytest

from agentstatus_tui.engine.alerts.rules import CLOSED, PageState, decide_alert
from agentstatus_tui.engine.model import AlertRules, Verdict

D, G, U, K, R = Verdict.DOWN, Verdict.DEGRADED, Verdict.UP, Verdict.UNKNOWN, Verdict.REACHABLE
DEFAULT = AlertRules(channels=("slack",))
WITH_DEGRADED = AlertRules(channels=("slack",), on_degraded=True)


def walk(rules: AlertRules, verdicts: list[Verdict]) -> list[tuple[str, str, str] | None]:
    """Feed a verdict sequence; (event, severity, key) per step, None when silent."""
    state, prev, out = CLOSED, K, []
    for i, v in enumerate(verdicts):
        d, state = decide_alert("bot", rules, state, prev, v, 1000.0 + 60 * i)
        out.append(None if d is None else (d.event, d.severity, d.dedup_key))
        prev = v
    return out


@pytest.mark.parametrize(
    ("rules", "verdicts", "events"),
    [
        (DEFAULT, [U, D, U], [None, "trigger", "resolve"]),
        (DEFAULT, [D], ["trigger"]),  # first-ever verdict DOWN: no history counts as UNKNOWN
        (DEFAULT, [U, K, U], [None, None, None]),  # UNKNOWN never pages
        (DEFAULT, [U, D, K, D, U], [None, "trigger", None, None, "resolve"]),  # restart mid-outage
        (DEFAULT, [U, D, G, U], [None, "trigger", None, "resolve"]),  # partial recovery
        (DEFAULT, [U, G, U], [None, None, None]),  # degraded is quiet by default
        (DEFAULT, [U, G, D, R], [None, None, "trigger", "resolve"]),
        (WITH_DEGRADED, [U, G, D, U], [None, "trigger", "trigger", "resolve"]),
        (WITH_DEGRADED, [U, G, U], [None, "trigger", "resolve"]),
        (AlertRules(on_down=False), [U, D, U], [None, None, None]),
        (AlertRules(on_recovery=False), [U, D, U, D], [None, "trigger", None, "trigger"]),
    ],
)
def test_rule_table(rules: AlertRules, verdicts: list[Verdict], events: list[str | None]) -> None:
    got = [x[0] if x else None for x in walk(rules, verdicts)]
    assert got == events


def test_trigger_and_resolve_share_one_key_and_new_incident_gets_new_key() -> None:
    steps = walk(DEFAULT, [U, D, D, U, D])
    trigger, resolve, second = steps[1], steps[3], steps[4]
    assert trigger and resolve and second
    assert trigger[2] == resolve[2]
    assert second[2] != trigger[2]


def test_degraded_escalates_to_critical_on_the_same_key() -> None:
    steps = walk(WITH_DEGRADED, [U, G, D])
    assert steps[1] and steps[2]
    assert steps[1][1] == "warning" and steps[2][1] == "critical"
    assert steps[1][2] == steps[2][2]


def test_resolve_says_how_long_the_outage_lasted() -> None:
    state = PageState("agentstatus-bot-1000", Verdict.DOWN, 1000.0)
    d, after = decide_alert("bot", DEFAULT, state, K, U, 1750.0)
    assert d is not None and d.event == "resolve" and d.duration_s == 750.0
    assert not after.is_open


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    from agentstatus_tui.engine.alerts.channels import parse_retry_after

    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
