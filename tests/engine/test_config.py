"""The config file: what loads, what it means, and that every mistake is named exactly."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from textwrap import dedent

import pytest

from agentstatus_tui.engine.config.load import (
    find_user_config,
    load_config,
    load_config_text,
    user_config_path,
)
from agentstatus_tui.engine.model import (
    Config,
    ConfigError,
    EmailChannel,
    PagerDutyChannel,
    SlackChannel,
    StatuspageChannel,
    WebhookChannel,
)
from agentstatus_tui.engine.probe.expectations import failures

FULL_EXAMPLE = """\
defaults:                 # any agent key may be set here
  interval: 60s
  timeout: 10s            # per request
  validations: 10         # per run, spread over the agent's regions
  retries: 2              # for 5xx / connection reset
  ttfb_sla: 2s
thresholds:               # optional; these are the defaults
  down_below: 0.20
  degraded_below: 0.95
  eval_pass_min: 0.80
regions:
  us: {}                                  # this host
  eu: {proxy: "socks5://127.0.0.1:1080", canary: "https://example.com/"}
channels:
  oncall-email: {type: email, to: [oncall@yourcompany.com], from: agentstatus@yourcompany.com,
                 host: smtp.yourcompany.com, port: 587, starttls: true,
                 username: agentstatus, password: "${SMTP_PASSWORD}"}
  pagerduty:    {type: pagerduty, routing_key: "${PD_ROUTING_KEY}"}   # optional url:
  slack:        {type: slack, url: "${SLACK_WEBHOOK_URL}"}
  hook:         {type: webhook, url: "https://hooks.example.com/agentstatus", secret: "${HOOK_SECRET}"}
  status:       {type: statuspage, api_key: "${STATUSPAGE_KEY}", page_id: abc123,
                 components: {support-bot: cmp456}}   # agent id -> component id
agents:
  - id: support-bot                       # [a-z0-9-], unique
    name: Support Bot
    url: https://your-agent.com/v1/chat/completions
    headers: {Authorization: "Bearer ${SUPPORT_BOT_TOKEN}"}
    model: gpt-4o-mini                    # optional, sent in the body
    stream: false
    regions: [us, eu]                     # default: all regions
    gold_prompts:
      - prompt: "What is 2+2? Reply with the number only."
        expect: {contains: "4"}
    alerts: {channels: [pagerduty, slack, oncall-email], on_down: true,
             on_recovery: true, on_degraded: false}
    runbook:
      contacts: ["@alice (primary)", "@bob (backup)"]
      links: {logs: "https://…", deploys: "https://…"}
      rollback: "kubectl rollout undo deploy/support-bot"
      common_issues: {HTTP 500: "check the app logs", high latency: "scale up"}
"""

FULL_ENV = {
    "SMTP_PASSWORD": "smtp-pass-Zq81",
    "PD_ROUTING_KEY": "pd-routing-Zq82",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T00/B00/Zq83",
    "HOOK_SECRET": "hook-secret-Zq84",
    "STATUSPAGE_KEY": "statuspage-Zq85",
    "SUPPORT_BOT_TOKEN": "sk-support-Zq86",
}

AGENT = "  - id: bot\n    url: https://bot.example.com/v1/chat/completions\n"


def load(text: str, env: dict[str, str] | None = None) -> Config:
    return load_config_text(dedent(text), "agents.yaml", env or {})


def errors(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(text, env)
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


# --------------------------------------------------------------------------- what loads


def test_full_example_loads_into_the_model():
    config = load_config_text(FULL_EXAMPLE, "agents.yaml", FULL_ENV)

    (agent,) = config.agents
    assert (agent.id, agent.name, agent.model, agent.stream) == (
        "support-bot",
        "Support Bot",
        "gpt-4o-mini",
        False,
    )
    assert agent.regions == ("us", "eu")
    assert (agent.interval, agent.timeout, agent.validations, agent.retries, agent.ttfb_sla) == (
        60.0,
        10.0,
        10,
        2,
        2.0,
    )
    assert agent.headers == {"Authorization": "Bearer sk-support-Zq86"}
    assert agent.header_templates == {"Authorization": "Bearer ${SUPPORT_BOT_TOKEN}"}
    (gold,) = agent.gold_prompts
    assert gold.prompt == "What is 2+2? Reply with the number only."
    assert [(e.kind, e.value) for e in gold.expect] == [("contains", "4")]
    assert agent.alerts.channels == ("pagerduty", "slack", "oncall-email")
    assert (agent.alerts.on_down, agent.alerts.on_recovery, agent.alerts.on_degraded) == (
        True,
        True,
        False,
    )
    assert agent.runbook.contacts == ("@alice (primary)", "@bob (backup)")
    assert agent.runbook.rollback == "kubectl rollout undo deploy/support-bot"
    assert dict(agent.runbook.common_issues) == {
        "HTTP 500": "check the app logs",
        "high latency": "scale up",
    }

    assert list(config.regions) == ["us", "eu"]
    assert config.regions["us"].proxy is None
    assert config.regions["eu"].proxy == "socks5://127.0.0.1:1080"
    assert config.regions["eu"].canary == "https://example.com/"
    assert (config.thresholds.down_below, config.thresholds.degraded_below) == (0.20, 0.95)

    email = config.channels["oncall-email"]
    assert isinstance(email, EmailChannel)
    assert (email.to, email.from_addr, email.host, email.port, email.starttls) == (
        ("oncall@yourcompany.com",),
        "agentstatus@yourcompany.com",
        "smtp.yourcompany.com",
        587,
        True,
    )
    assert (email.username, email.password) == ("agentstatus", "smtp-pass-Zq81")
    pd = config.channels["pagerduty"]
    assert isinstance(pd, PagerDutyChannel) and pd.routing_key == "pd-routing-Zq82"
    assert pd.url == "https://events.pagerduty.com/v2/enqueue"
    slack = config.channels["slack"]
    assert isinstance(slack, SlackChannel) and slack.url == FULL_ENV["SLACK_WEBHOOK_URL"]
    hook = config.channels["hook"]
    assert isinstance(hook, WebhookChannel) and hook.secret == "hook-secret-Zq84"
    status = config.channels["status"]
    assert isinstance(status, StatuspageChannel)
    assert (status.api_key, status.page_id, dict(status.components)) == (
        "statuspage-Zq85",
        "abc123",
        {"support-bot": "cmp456"},
    )
    # Every value that came from the environment, and nothing else, is a secret.
    assert config.secrets == frozenset(FULL_ENV.values())
    assert config.path is None


def test_loaded_config_is_frozen():
    config = load_config_text(FULL_EXAMPLE, "agents.yaml", FULL_ENV)
    agent = config.agents[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        agent.url = "https://elsewhere.example.com"  # type: ignore[misc]
    with pytest.raises(TypeError):
        agent.headers["Authorization"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        config.channels["new"] = config.channels["slack"]  # type: ignore[index]


def test_minimal_config_gets_the_documented_defaults():
    config = load(
        """\
        agents:
          - id: bot
            url: http://127.0.0.1:8080/v1/chat/completions
        """
    )
    (agent,) = config.agents
    assert agent.name == "bot"
    assert list(config.regions) == ["local"] and agent.regions == ("local",)
    assert (agent.interval, agent.timeout, agent.validations, agent.retries) == (60.0, 10.0, 10, 2)
    assert [dict(m) for m in agent.probe_messages] == [{"role": "user", "content": "Hello"}]
    assert agent.alerts.channels == () and agent.alerts.on_down and not agent.alerts.on_degraded
    assert (config.max_in_flight, config.max_body_bytes, config.retention) == (
        None,  # scaled to the load
        1_048_576,
        30 * 86400.0,
    )
    assert config.run_deadline is None and config.theme is None and not config.keymap
    assert config.secrets == frozenset()


def test_defaults_apply_to_every_agent_and_agents_override_them():
    config = load(
        """\
        defaults:
          interval: 30s
          timeout: 5s
          stream: true
          regions: [us]
          headers: {User-Agent: agentstatus, Authorization: "Bearer default"}
          alerts: {channels: [slack], on_degraded: true}
          runbook: {contacts: ["@team"], rollback: "helm rollback"}
        regions: {us: {}, eu: {}}
        channels:
          slack: {type: slack, url: "https://hooks.slack.com/x"}
        agents:
          - id: inherits
            url: https://a.example.com/v1/chat/completions
          - id: overrides
            url: https://b.example.com/v1/chat/completions
            interval: 2m
            stream: false
            regions: [us, eu]
            headers: {authorization: "Bearer own"}
            alerts: {on_down: false}
            runbook: {rollback: "kubectl rollout undo deploy/b"}
        """
    )
    inherits, overrides = config.agents
    assert (inherits.interval, inherits.timeout, inherits.stream) == (30.0, 5.0, True)
    assert inherits.regions == ("us",)
    assert inherits.headers == {"User-Agent": "agentstatus", "Authorization": "Bearer default"}
    assert (overrides.interval, overrides.timeout, overrides.stream) == (120.0, 5.0, False)
    assert overrides.regions == ("us", "eu")
    # Mappings merge key by key; header names ignore case, so the agent's token wins.
    assert overrides.headers == {"User-Agent": "agentstatus", "authorization": "Bearer own"}
    assert overrides.alerts.channels == ("slack",)
    assert (overrides.alerts.on_down, overrides.alerts.on_degraded) == (False, True)
    assert overrides.runbook.contacts == ("@team",)
    assert overrides.runbook.rollback == "kubectl rollout undo deploy/b"


def test_every_agent_key_and_top_level_key_is_read():
    config = load(
        """\
        regions:
          us: {}
          eu: {proxy: "http://proxy.example.com:3128"}
          ap: null
        agents:
          - id: full-agent
            url: https://full.example.com/v1/chat/completions
            max_tokens: 32
            validations: 2
            retries: 0
            ttfb_sla: 750ms
            probe:
              - {role: system, content: "Answer in one word."}
              - {role: user, content: "ping"}
            gold_prompts:
              - name: many checks
                prompt: "Say 4 as JSON"
                expect:
                  contains: ["4", "{"]
                  icontains: FOUR
                  not_contains: "5"
                  equals: '{"n": 4}'
                  regex: "\\\\d+"
                  json: true
                  max_ttfb: 1.5s
          - id: short-probe
            url: https://short.example.com/v1/chat/completions
            probe: "Are you there?"
        max_in_flight: 8
        max_body_bytes: 512KB
        run_deadline: 2m
        retention: 7d
        theme: light
        keymap: {rerun: ctrl+r, quit: Q}
        data_dir: ~/agentstatus-data
        """
    )
    full, short = config.agents
    assert config.regions["ap"].proxy is None and config.regions["ap"].canary is None
    assert config.regions["eu"].proxy == "http://proxy.example.com:3128"
    assert (full.max_tokens, full.validations, full.retries, full.ttfb_sla) == (32, 2, 0, 0.75)
    assert [dict(m) for m in full.probe_messages] == [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "ping"},
    ]
    (gold,) = full.gold_prompts
    assert gold.name == "many checks"
    described = [(e.kind, e.value) for e in gold.expect]
    assert described == [
        ("contains", "4"),
        ("contains", "{"),
        ("icontains", "FOUR"),
        ("not_contains", "5"),
        ("equals", '{"n": 4}'),
        ("regex", r"\d+"),
        ("json", True),
        ("max_ttfb", 1.5),
    ]
    assert failures((gold.expect[5],), "answer 42", ttfb=0.1) == []
    assert [dict(m) for m in short.probe_messages] == [
        {"role": "user", "content": "Are you there?"}
    ]
    assert (config.max_in_flight, config.max_body_bytes) == (8, 512 * 1024)
    assert (config.run_deadline, config.retention) == (120.0, 7 * 86400.0)
    assert config.theme == "light"
    assert dict(config.keymap) == {"rerun": "ctrl+r", "quit": "Q"}
    assert config.data_dir == str(Path("~/agentstatus-data").expanduser())


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("500ms", 0.5),
        ("10s", 10.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1d", 86400.0),
        ("7d", 604800.0),
        ("1h30m", 5400.0),
        ("10 s", 10.0),
        ("90", 90.0),
        ("2.5", 2.5),
        ("1.5s", 1.5),
        ('"45"', 45.0),
    ],
)
def test_durations(written, seconds):
    if seconds >= 3600:
        assert load(f"retention: {written}\nagents:\n{AGENT}").retention == seconds
    else:
        config = load(f"defaults: {{timeout: {written}}}\nagents:\n{AGENT}")
        assert config.agents[0].timeout == pytest.approx(seconds)


@pytest.mark.parametrize("written", ["0s", "0", "-5s", "-1", "soon", "10x", "5 m s", "true", "[1]"])
def test_bad_durations_are_errors(written):
    (error,) = errors(f"defaults: {{interval: {written}}}\nagents:\n{AGENT}")
    assert error.startswith("agents.yaml:1: defaults.interval: ")
    assert "duration" in error or "must be between 1s and 1d" in error


@pytest.mark.parametrize(
    ("written", "size"),
    [("2048", 2048), ("512KB", 524288), ("1MB", 1048576), ("1MiB", 1048576), ("64k", 65536)],
)
def test_sizes(written, size):
    assert load(f"max_body_bytes: {written}\nagents:\n{AGENT}").max_body_bytes == size


def test_thresholds_accept_percentages():
    config = load(f"thresholds: {{degraded_below: 90%, eval_pass_min: 0.5}}\nagents:\n{AGENT}")
    assert (config.thresholds.degraded_below, config.thresholds.eval_pass_min) == (0.9, 0.5)
    assert config.thresholds.down_below == 0.20


def test_email_port_follows_ssl_and_to_may_be_one_address():
    config = load(
        "channels:\n"
        "  mail: {type: email, to: ops@example.com, from: mon@example.com, host: smtp, ssl: true}\n"
        "agents:\n" + AGENT
    )
    mail = config.channels["mail"]
    assert isinstance(mail, EmailChannel)
    assert (mail.to, mail.port, mail.ssl, mail.starttls) == (("ops@example.com",), 465, True, False)


def test_yaml_anchors_and_merge_keys_work():
    config = load(
        """\
        agents:
          - &base
            id: a
            url: https://a.example.com/v1/chat/completions
            interval: 15s
          - <<: *base
            id: b
        """
    )
    a, b = config.agents
    assert (b.id, b.url, b.interval) == ("b", a.url, 15.0)


# --------------------------------------------------------------------------- ${VAR}


def test_env_substitution_whole_partial_escaped_and_typed():
    config = load(
        """\
        channels:
          mail:
            {type: email, to: ops@example.com, from: mon@example.com, host: "${SMTP_HOST}",
             port: "${SMTP_PORT}", starttls: "${STARTTLS}"}
        agents:
          - id: bot
            url: "https://${AGENT_HOST}/v1/chat/completions"
            headers: {Authorization: "Bearer ${TOKEN}", X-Note: "costs $${PRICE}"}
        """,
        {
            "SMTP_HOST": "smtp.internal",
            "SMTP_PORT": "2525",
            "STARTTLS": "true",
            "AGENT_HOST": "bot.internal:8443",
            "TOKEN": "sk-live-abcdef",
        },
    )
    agent = config.agents[0]
    assert agent.url == "https://bot.internal:8443/v1/chat/completions"
    assert agent.headers == {"Authorization": "Bearer sk-live-abcdef", "X-Note": "costs ${PRICE}"}
    assert agent.header_templates == {
        "Authorization": "Bearer ${TOKEN}",
        "X-Note": "costs $${PRICE}",
    }
    mail = config.channels["mail"]
    assert isinstance(mail, EmailChannel)
    assert (mail.host, mail.port, mail.starttls) == ("smtp.internal", 2525, True)
    assert {"sk-live-abcdef", "bot.internal:8443", "smtp.internal"} <= config.secrets


def test_missing_env_vars_are_each_named_with_their_key_path():
    assert errors(
        """\
        channels:
          pd: {type: pagerduty, routing_key: "${PD_KEY}"}
        agents:
          - id: bot
            url: https://bot.example.com/v1/chat/completions
            headers: {Authorization: "Bearer ${BOT_TOKEN}", X-Other: "${OTHER}"}
        """,
        {"OTHER": ""},
    ) == [
        "agents.yaml:2: channels.pd.routing_key: environment variable 'PD_KEY' is not set",
        "agents.yaml:6: agents[0].headers.Authorization: environment variable 'BOT_TOKEN' is not set",
        "agents.yaml:6: agents[0].headers.X-Other: environment variable 'OTHER' is set but empty",
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('"${TOKEN"', "'${' without a closing '}' (write '$${' for a literal '${')"),
        ('"${1ABC}"', "'${1ABC}' is not a valid environment variable name"),
    ],
)
def test_malformed_env_references(written, message):
    assert errors(f"agents:\n{AGENT}    model: {written}\n") == [
        f"agents.yaml:4: agents[0].model: {message}"
    ]


SECRET = "hunter2-very-secret-value"


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            f'agents:\n{AGENT}    headers: {{Authorization: "${{S}}"}}\n    model: [x]\n',
            "agents.yaml:5: agents[0].model: expected text, got a list",
        ),
        (  # the secret is the bad value itself: the message quotes `${S}`, not the value
            'channels:\n  slack: {type: slack, url: "${S}"}\nagents:\n' + AGENT,
            "agents.yaml:2: channels.slack.url: expected a URL starting with http:// or"
            " https://, got '${S}'",
        ),
        (
            'channels:\n  m: {type: email, to: a@b.c, from: a@b.c, host: h, port: "${S}"}\n'
            "agents:\n" + AGENT,
            "agents.yaml:2: channels.m.port: expected an integer, got '${S}'",
        ),
        (
            f'agents:\n{AGENT}    headers: {{X-Key: "${{NL}}"}}\n',
            "agents.yaml:4: agents[0].headers.X-Key: a header value must be a single line",
        ),
        (
            'channels:\n  pd: {type: pagerduty, routing_key: "${S}", url: "ftp://${S}"}\n'
            "agents:\n" + AGENT,
            "agents.yaml:2: channels.pd.url: expected a URL starting with http:// or https://,"
            " got 'ftp://${S}'",
        ),
    ],
)
def test_secret_values_never_appear_in_errors(yaml_text, expected):
    env = {"S": f"{SECRET} with spaces", "NL": f"{SECRET}\nX-Injected: 1"}
    found = errors(yaml_text, env)
    assert found == [expected]
    assert not any(SECRET in line for line in found)


# --------------------------------------------------------------------------- errors

ERROR_CASES = [
    pytest.param(
        "agent:\n" + AGENT,
        [
            "agents.yaml:1: (top level): unknown key 'agent' (did you mean 'agents'?)",
            "agents.yaml:1: (top level): missing required key 'agents'",
        ],
        id="top-level-typo",
    ),
    pytest.param(
        f"agents:\n{AGENT}    intervall: 5m\n",
        ["agents.yaml:4: agents[0]: unknown key 'intervall' (did you mean 'interval'?)"],
        id="agent-key-typo",
    ),
    pytest.param(
        f"agents:\n{AGENT}    gold_prompts:\n      - prompt: hi\n        expect: {{contain: '4'}}\n",
        [
            "agents.yaml:6: agents[0].gold_prompts[0].expect: unknown check 'contain'"
            " (did you mean 'contains'?)"
        ],
        id="expect-typo",
    ),
    pytest.param(
        f"agents:\n{AGENT}    gold_prompts:\n      - prompt: hi\n        expect: {{regex: '(a'}}\n",
        [
            "agents.yaml:6: agents[0].gold_prompts[0].expect.regex: bad regex: missing ): (a"
        ],
        id="bad-regex",
    ),
    pytest.param(
        f"agents:\n{AGENT}    gold_prompts:\n      - prompt: hi\n        expect: {{}}\n",
        [
            "agents.yaml:6: agents[0].gold_prompts[0].expect: needs at least one check"
            " (contains, icontains, not_contains, equals, regex, json, max_ttfb)"
        ],
        id="empty-expect",
    ),
    pytest.param(
        f"agents:\n{AGENT}    gold_prompts:\n      - expect: {{json: false}}\n",
        [
            "agents.yaml:5: agents[0].gold_prompts[0]: missing required key 'prompt'",
            "agents.yaml:5: agents[0].gold_prompts[0].expect.json:"
            " json: false checks nothing (write json: true or remove it)",
        ],
        id="gold-missing-prompt",
    ),
    pytest.param(
        f"agents:\n{AGENT}  - id: bot\n    url: https://other.example.com/\n",
        ["agents.yaml:4: agents[1].id: duplicate agent id 'bot' (first at line 2)"],
        id="duplicate-id",
    ),
    pytest.param(
        "agents:\n  - id: Support Bot\n    url: https://x.example.com/\n",
        [
            "agents.yaml:2: agents[0].id: 'Support Bot' is not a valid id: use a-z, 0-9 and '-'"
            " (for example 'support-bot')"
        ],
        id="bad-id",
    ),
    pytest.param(
        "agents:\n  - id: bot\n    name: Bot\n",
        ["agents.yaml:2: agents[0]: missing required key 'url'"],
        id="missing-url",
    ),
    pytest.param(
        "agents:\n  - id: bot\n    url:\n",
        ["agents.yaml:3: agents[0]: missing required key 'url'"],
        id="empty-url",
    ),
    pytest.param(
        "agents:\n  - name: Bot\n    url: https://x.example.com/\n",
        ["agents.yaml:2: agents[0]: missing required key 'id'"],
        id="missing-id",
    ),
    pytest.param(
        "agents:\n  - id: bot\n    url: bot.example.com/v1/chat/completions\n",
        [
            "agents.yaml:3: agents[0].url: expected a URL starting with http:// or https://,"
            " got 'bot.example.com/v1/chat/completions'"
        ],
        id="url-without-scheme",
    ),
    pytest.param(
        "agents:\n  - id: bot\n    url: 'https:///v1'\n",
        ["agents.yaml:3: agents[0].url: the URL has no host, got 'https:///v1'"],
        id="url-without-host",
    ),
    pytest.param(
        "agents:\n  - id: bot\n    url: 'http://x:99999/'\n",
        [
            "agents.yaml:3: agents[0].url: not a valid URL (Port out of range 0-65535),"
            " got 'http://x:99999/'"
        ],
        id="url-bad-port",
    ),
    pytest.param(
        f"regions: {{us-east: {{}}, eu-west: {{}}}}\nagents:\n{AGENT}    regions: [eu-wset]\n",
        [
            "agents.yaml:5: agents[0].regions: unknown region 'eu-wset' (did you mean 'eu-west'?)"
            " (regions: us-east, eu-west)"
        ],
        id="unknown-region",
    ),
    pytest.param(
        f"agents:\n{AGENT}    regions: [us]\n",
        ["agents.yaml:4: agents[0].regions: unknown region 'us' (regions: local)"],
        id="region-without-regions-section",
    ),
    pytest.param(
        "regions:\n  EU West: {}\n  eu: {proxy: 'ftp://p', canry: 'https://c/'}\nagents:\n" + AGENT,
        [
            "agents.yaml:2: regions: region name 'EU West' may use only a-z, 0-9 and '-'",
            "agents.yaml:3: regions.eu: unknown key 'canry' (did you mean 'canary'?)",
            "agents.yaml:3: regions.eu.proxy: expected a URL starting with http:// or https://"
            " or socks5:// or socks5h://, got 'ftp://p'",
        ],
        id="bad-regions",
    ),
    pytest.param(
        f"channels:\n  slack: {{type: slack, url: 'https://h/'}}\nagents:\n{AGENT}"
        "    alerts: {channels: [slak], on_down: maybe}\n",
        [
            "agents.yaml:6: agents[0].alerts.channels: unknown channel 'slak'"
            " (did you mean 'slack'?) (channels: slack)",
            "agents.yaml:6: agents[0].alerts.on_down: expected true or false, got 'maybe'",
        ],
        id="unknown-channel",
    ),
    pytest.param(
        "channels:\n  pd: {type: pagerdty, routing_key: k}\nagents:\n" + AGENT,
        [
            "agents.yaml:2: channels.pd.type: unknown channel type 'pagerdty'"
            " (did you mean 'pagerduty'?) (one of email, pagerduty, slack, webhook, statuspage)"
        ],
        id="channel-type-typo",
    ),
    pytest.param(
        "channels:\n  pd: {routing_key: k}\nagents:\n" + AGENT,
        [
            "agents.yaml:2: channels.pd: missing required key 'type'"
            " (one of email, pagerduty, slack, webhook, statuspage)"
        ],
        id="channel-without-type",
    ),
    pytest.param(
        "channels:\n  m: {type: email, to: [ops], host: h, ssl: true, starttls: true,"
        " pasword: p}\nagents:\n" + AGENT,
        [
            "agents.yaml:2: channels.m: unknown key 'pasword' (did you mean 'password'?)",
            "agents.yaml:2: channels.m: missing required key 'from'",
            "agents.yaml:2: channels.m.to[0]: not an email address: 'ops'",
        ],
        id="email-channel",
    ),
    pytest.param(
        "channels:\n  m: {type: email, to: a@b.c, from: a@b.c, host: h, ssl: true, starttls: true}\n"
        "agents:\n" + AGENT,
        ["agents.yaml:2: channels.m.ssl: choose ssl (port 465) or starttls (port 587), not both"],
        id="ssl-and-starttls",
    ),
    pytest.param(
        "channels:\n  sp: {type: statuspage, api_key: k, page_id: p, components: {bto: c1}}\n"
        "agents:\n" + AGENT,
        ["agents.yaml:2: channels.sp.components: unknown agent 'bto' (did you mean 'bot'?)"],
        id="statuspage-unknown-agent",
    ),
    pytest.param(
        f"agents:\n{AGENT}    validations: 0\n    retries: -1\n    stream: 'yes please'\n"
        "    max_tokens: lots\n    name: yes\n",
        [
            "agents.yaml:4: agents[0].validations: must be between 1 and 1000"
            " (each is one request per run), got '0'",
            "agents.yaml:5: agents[0].retries: must be between 0 and 10, got '-1'",
            "agents.yaml:6: agents[0].stream: expected true or false, got 'yes please'",
            "agents.yaml:7: agents[0].max_tokens: expected an integer, got 'lots'",
            'agents.yaml:8: agents[0].name: expected text, got a boolean (quote it: "yes")',
        ],
        id="wrong-types",
    ),
    pytest.param(
        f"agents:\n{AGENT}    headers: [Authorization]\n    runbook: {{contacts: '@a', links: [x]}}\n",
        [
            "agents.yaml:4: agents[0].headers: expected a mapping, got a list",
            "agents.yaml:5: agents[0].runbook.links: expected a mapping, got a list",
        ],
        id="wrong-shapes",
    ),
    pytest.param(
        f"agents:\n{AGENT}    probe: [{{role: usr, content: hi}}]\n",
        [
            "agents.yaml:4: agents[0].probe[0].role: unknown role 'usr' (did you mean 'user'?)"
            " (one of system, developer, user, assistant)"
        ],
        id="probe-role",
    ),
    pytest.param(
        f"defaults: {{id: x, name: y, timout: 5s}}\nagents:\n{AGENT}",
        [
            "agents.yaml:1: defaults: 'id' cannot have a default: every agent sets its own",
            "agents.yaml:1: defaults: 'name' cannot have a default: every agent sets its own",
            "agents.yaml:1: defaults: unknown key 'timout' (did you mean 'timeout'?)",
        ],
        id="defaults",
    ),
    pytest.param(
        f"thresholds: {{down_below: 0.99, degraded_beloww: 0.5, eval_pass_min: 1.5}}\nagents:\n{AGENT}",
        [
            "agents.yaml:1: thresholds: unknown key 'degraded_beloww' (did you mean 'degraded_below'?)",
            "agents.yaml:1: thresholds.eval_pass_min: must be between 0 and 1, got '1.5'",
            "agents.yaml:1: thresholds.down_below: down_below (0.99) must not be above"
            " degraded_below (0.95)",
        ],
        id="thresholds",
    ),
    pytest.param(
        f"max_in_flight: 0\nmax_body_bytes: 1XB\nretention: forever\nagents:\n{AGENT}",
        [
            "agents.yaml:1: max_in_flight: must be between 1 and 10000, got '0'",
            "agents.yaml:2: max_body_bytes: expected a size like 1048576, 512KB or 1MB, got '1XB'",
            "agents.yaml:3: retention: expected a duration like 500ms, 10s, 5m, 1h, 7d or seconds,"
            " got 'forever'",
        ],
        id="top-level-values",
    ),
    pytest.param(
        "agents:\n  - id: bot\n    url: https://a.example.com/\n    url: https://b.example.com/\n",
        ["agents.yaml:4: agents[0]: duplicate key 'url' (first at line 3)"],
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "agents: []\n",
        ["agents.yaml:1: agents: no agents: add at least one (see sample_agents.yaml)"],
        id="no-agents",
    ),
    pytest.param(
        "",
        ["agents.yaml:1: (top level): the config is empty: it needs at least an agents: list"],
        id="empty-file",
    ),
    pytest.param(
        "- just\n- a list\n",
        ["agents.yaml:1: (top level): expected a mapping, got a list"],
        id="not-a-mapping",
    ),
]


@pytest.mark.parametrize(("yaml_text", "expected"), ERROR_CASES)
def test_errors_name_file_line_and_key_path(yaml_text, expected):
    assert errors(yaml_text) == expected


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "agents:\n  - id: bot\n    url: https://x/\n   model: [\n",
            "agents.yaml:4: agents[0]: invalid YAML: expected <block end>, but found"
            " '<block mapping start>' (while parsing a block collection at line 2)",
        ),
        (
            "agents:\n  - id: bot\n\turl: https://x/\n",
            "agents.yaml:3: agents[0]: invalid YAML: found character '\\t' that cannot start"
            " any token; YAML indents with spaces, not tabs",
        ),
        (
            "agents:\n  - id: bot\n    headers: {A: 'x'\n",
            "agents.yaml:4: agents[0].headers: invalid YAML: expected ',' or '}', but got"
            " '<stream end>' (while parsing a flow mapping at line 3)",
        ),
    ],
)
def test_invalid_yaml_names_the_parsers_line_and_where_it_was(yaml_text, expected):
    assert errors(yaml_text) == [expected]


def test_design_error_example_reads_exactly_as_documented():
    text = (
        "regions: {us: {}}\n"  # 1
        "agents:\n"  # 2
        "  - id: a\n"  # 3
        "    url: https://a.example.com/\n"  # 4
        "  - id: b\n"  # 5
        "    url: https://b.example.com/\n"  # 6
        "  - id: c\n"  # 7
        "    url: https://c.example.com/\n"  # 8
        "    regions: [us]\n"  # 9
        "    interval: 5m\n"  # 10
        "    timeout: 10s\n"  # 11
        "    gold_prompts:\n"  # 12
        "      - prompt: 'What is 2+2?'\n"  # 13
        "        expect: {contain: '4'}\n"  # 14
    )
    assert errors(text) == [
        "agents.yaml:14: agents[2].gold_prompts[0].expect: unknown check 'contain'"
        " (did you mean 'contains'?)"
    ]


def test_all_errors_are_reported_at_once_in_file_order():
    found = errors(
        """\
        defaults:
          timeout: never
        channels:
          pd: {type: pagerduty}
        agents:
          - id: one
            url: ftp://one
            alerts: {channels: [pd, nowhere]}
          - id: two
            url: https://two.example.com/
            retriez: 3
        thresholds: {down_below: high}
        """,
    )
    assert [re.match(r"agents\.yaml:(\d+): (\S+):", e).groups() for e in found] == [
        ("2", "defaults.timeout"),
        ("4", "channels.pd"),
        ("7", "agents[0].url"),
        ("8", "agents[0].alerts.channels"),
        ("11", "agents[1]"),
        ("12", "thresholds.down_below"),
    ]


def test_a_bad_default_is_reported_once_not_at_every_agent():
    found = errors(
        """\
        defaults: {timeout: 0s, url: "not a url"}
        agents:
          - {id: a}
          - {id: b}
        """
    )
    assert found == [
        "agents.yaml:1: defaults.timeout: must be between 100ms and 10m, got '0s'",
        "agents.yaml:1: defaults.url: expected a URL starting with http:// or https://,"
        " got 'not a url'",
    ]


def test_unquoted_env_reference_in_a_flow_mapping_gets_a_hint():
    (error,) = errors(f"agents:\n{AGENT}    headers: {{Authorization: Bearer ${{TOKEN}}}}\n")
    assert error.startswith("agents.yaml:4: agents[0].headers: invalid YAML: ")
    assert error.endswith('; quote values that use ${VAR}: "${VAR}"')


def test_one_broken_channel_is_not_reported_again_at_each_agent():
    found = errors(
        """\
        channels:
          pd: {type: pagerduty}
        agents:
          - {id: a, url: "https://a.example.com/", alerts: {channels: [pd]}}
          - {id: b, url: "https://b.example.com/", alerts: {channels: [pd]}}
        """
    )
    assert found == ["agents.yaml:2: channels.pd: missing required key 'routing_key'"]


# --------------------------------------------------------------------------- files


def test_load_config_from_a_file_names_it_in_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("agents.yaml").write_text(f"agents:\n{AGENT}", encoding="utf-8")
    config = load_config("agents.yaml", env={})
    assert config.path == "agents.yaml" and config.agents[0].id == "bot"

    Path("broken.yaml").write_text(f"agents:\n{AGENT}    timeout: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(Path("broken.yaml"), env={})
    assert caught.value.errors == [
        "broken.yaml:4: agents[0].timeout: must be between 100ms and 10m, got '0'"
    ]

    Path("latin1.yaml").write_bytes(b"agents:\n  - id: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config("latin1.yaml", env={})
    assert caught.value.errors == ["latin1.yaml:2: (top level): the file is not UTF-8 text"]

    with pytest.raises(OSError):
        load_config("missing.yaml", env={})


def test_env_defaults_to_the_process_environment(monkeypatch):
    monkeypatch.setenv("AGENTSTATUS_TEST_TOKEN", "from-the-process-env")
    config = load_config_text(
        f'agents:\n{AGENT}    headers: {{Authorization: "${{AGENTSTATUS_TEST_TOKEN}}"}}\n'
    )
    assert config.agents[0].headers["Authorization"] == "from-the-process-env"


def test_user_config_lives_in_the_platform_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = user_config_path()
    assert path.name == "agents.yaml" and path.parent.name == "agentstatus"
    if path.parent.parent == tmp_path:  # Linux and friends honour XDG_CONFIG_HOME
        assert find_user_config() is None
        path.parent.mkdir(parents=True)
        path.write_text(f"agents:\n{AGENT}", encoding="utf-8")
        assert find_user_config() == path


def test_keymap_names_an_unknown_binding_id():
    text = (
        "keymap: {rerun: ctrl+r, rerunall: X}\n"
        "agents:\n"
        "  - id: a\n"
        "    url: http://127.0.0.1:1/v1/chat/completions\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_config_text(text, "agents.yaml")
    assert exc.value.errors == [
        "agents.yaml:1: keymap: unknown binding id 'rerunall' (did you mean 'rerun-all'?)"
    ]
