"""The paging policy's config keys: read per agent or from defaults, each mistake an error
with file, line and key path (as `validate` prints them)."""

from __future__ import annotations

import pytest

from agentstatus_tui.engine.config.load import load_config_text
from agentstatus_tui.engine.model import ConfigError, EscalationStep, Flapping

URL = "https://a.example.com/v1/chat/completions"
CHANNELS = ("channels:\n"
            "  pagerduty: {type: pagerduty, routing_key: abc}\n"
            "  slack: {type: slack, url: 'https://hooks.example.com/x'}\n"
            "  manager-email: {type: email, to: [m@example.com], from: a@example.com,"
            " host: smtp.example.com}\n")


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config_text(text, filename="agents.yaml")
    return exc.value.errors


def test_defaults_and_agents_set_the_policy_key_by_key() -> None:
    cfg = load_config_text(
        CHANNELS
        + "defaults:\n"
          "  alerts: {confirm: 2, recover_after: 2, remind_every: 30m}\n"
          "agents:\n"
         f"  - {{id: gateway, url: {URL}}}\n"
         f"  - id: search\n    url: {URL}\n    depends_on: [gateway]\n"
          "    alerts:\n"
          "      channels: [pagerduty]\n"
          "      confirm: 3\n"
          "      escalation:\n"
          "        - {after: 0m, channels: [pagerduty, slack]}\n"
          "        - {after: 15m, channels: [manager-email]}\n"
          "      flapping: {changes: 4, window: 10m}\n")
    gateway, search = cfg.agents
    assert (gateway.alerts.confirm, gateway.alerts.recover_after) == (2, 2)
    assert gateway.alerts.remind_every == 1800.0
    assert gateway.alerts.flapping == Flapping()
    assert (search.alerts.confirm, search.alerts.recover_after) == (3, 2)
    assert search.alerts.escalation == (EscalationStep(0.0, ("pagerduty", "slack")),
                                        EscalationStep(900.0, ("manager-email",)))
    assert search.alerts.flapping == Flapping(changes=4, window=600.0, stable_for=1800.0)
    assert search.depends_on == ("gateway",)
    assert gateway.depends_on == ()


def test_without_the_keys_an_agent_pages_on_the_first_down_run() -> None:
    (a,) = load_config_text(f"agents:\n  - {{id: a, url: {URL}}}\n").agents
    assert (a.alerts.confirm, a.alerts.recover_after, a.alerts.remind_every) == (1, 1, None)
    assert a.alerts.escalation == () and a.depends_on == ()


def test_flapping_false_turns_the_detection_off() -> None:
    (a,) = load_config_text(
        f"agents:\n  - {{id: a, url: {URL}, alerts: {{flapping: false}}}}\n").agents
    assert a.alerts.flapping.changes == 0


@pytest.mark.parametrize(("line", "expected"), [
    ("alerts: {confirm: 0}",
     "agents.yaml:8: agents[0].alerts.confirm: must be between 1 and 100 (runs in a row),"
     " got '0'"),
    ("alerts: {recover_after: two}",
     "agents.yaml:8: agents[0].alerts.recover_after: expected an integer, got 'two'"),
    ("alerts: {remind_every: 5s}",
     "agents.yaml:8: agents[0].alerts.remind_every: must be between 1m and 7d, got '5s'"),
    ("alerts: {escalation: [{after: 0m, channels: [pagerdty]}]}",
     "agents.yaml:8: agents[0].alerts.escalation[0].channels: unknown channel 'pagerdty'"
     " (did you mean 'pagerduty'?) (channels: pagerduty, slack, manager-email)"),
    ("alerts: {escalation: [{after: 15m, channels: [slack]}, {after: 5m, channels: [slack]}]}",
     "agents.yaml:8: agents[0].alerts.escalation[1].after: each step must come later than"
     " the one before it"),
    ("alerts: {escalation: [{channels: [slack]}]}",
     "agents.yaml:8: agents[0].alerts.escalation[0]: missing required key 'after'"),
    ("alerts: {flapping: {changes: 5, windw: 10m}}",
     "agents.yaml:8: agents[0].alerts.flapping: unknown key 'windw' (did you mean 'window'?)"),
    ("alerts: {confrim: 2}",
     "agents.yaml:8: agents[0].alerts: unknown key 'confrim' (did you mean 'confirm'?)"),
    ("depends_on: [gatewy]",
     "agents.yaml:8: agents[0].depends_on: unknown agent 'gatewy' (did you mean 'gateway'?)"),
    ("depends_on: [search]",
     "agents.yaml:8: agents[0].depends_on: 'search' cannot depend on itself"),
])
def test_each_mistake_names_file_line_and_key(line: str, expected: str) -> None:
    text = (CHANNELS + "agents:\n"
            f"  - id: search\n    url: {URL}\n    {line}\n"
            f"  - {{id: gateway, url: {URL}}}\n")
    assert errors(text) == [expected]


def test_a_dependency_cycle_is_an_error_naming_the_chain() -> None:
    text = ("agents:\n"
            f"  - {{id: a, url: {URL}, depends_on: [b]}}\n"
            f"  - {{id: b, url: {URL}, depends_on: [c]}}\n"
            f"  - {{id: c, url: {URL}, depends_on: [a]}}\n")
    assert errors(text) == ["agents.yaml:2: agents[0].depends_on: a dependency cycle:"
                            " a -> b -> c -> a"]


def test_depends_on_cannot_be_a_default() -> None:
    text = f"defaults: {{depends_on: [a]}}\nagents:\n  - {{id: a, url: {URL}}}\n"
    assert errors(text) == ["agents.yaml:1: defaults: 'depends_on' cannot have a default:"
                            " every agent sets its own"]
