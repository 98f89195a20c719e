"""`test-alert CHANNEL`: one clearly marked test message through one configured channel,
and the receiver's answer, so alert set-up can be checked before an outage does it."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from ..engine import event_loop
from ..engine.alerts import channels as senders
from ..engine.alerts.channels import DeliveryResult, channel_secrets
from ..engine.alerts.messages import TEST_TEXT, AlertFacts
from ..engine.model import Channel, Config, StatuspageChannel
from ..engine.secrets import redact
from .common import load_config_from_args, read_config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "test-alert",
        parents=parents,
        help="send a clearly marked test message through one alert channel",
        description=f"Send '{TEST_TEXT}' through CHANNEL (a name under `channels:`) and "
        "print the receiver's answer. PagerDuty gets a test trigger and its resolve at "
        "once; a status page is only read, never changed. Exit 0 delivered, 1 failed, "
        "2 unknown channel or unusable config.",
    )
    p.add_argument("channel", metavar="CHANNEL", help="channel name from the config")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="per request (default 10)")
    p.set_defaults(func=cmd_test_alert)


def cmd_test_alert(args: argparse.Namespace) -> int:
    if getattr(args, "demo", False):
        return event_loop.run(_test_demo_channel(args))
    config = _config_for_channel(args)
    if config is None:
        return EXIT_USAGE
    return _test_channel(config, args)


async def _test_demo_channel(args: argparse.Namespace) -> int:
    """The demo's own channels, answered by its loopback receivers."""
    from ..demo import DemoAgents

    async with DemoAgents() as demo:
        return await asyncio.to_thread(_test_channel, demo.config(), args)


def _config_for_channel(args: argparse.Namespace) -> Config | None:
    """The config, needing only the tested channel's `${VAR}`s set: testing Slack must
    not wait for the PagerDuty key or an agent's token to be exported."""
    from ..engine.config.load import find_user_config, load_config_allow_unset

    if not getattr(args, "config", None) and find_user_config() is None:
        return load_config_from_args(args)  # prints how to start
    path = args.config or str(find_user_config())
    loaded = read_config(path, load_config_allow_unset)
    if loaded is None:
        return None
    config, unset = loaded
    prefix = f"channels.{args.channel}"
    needed = [u for u in unset if _key_path(u) == prefix or _key_path(u).startswith(
        (prefix + ".", prefix + "["))]
    if needed:
        print(f"agentstatus: channel {args.channel!r} needs environment variables "
              "that are not set:", file=sys.stderr)
        for line in needed:
            print(f"  {line}", file=sys.stderr)
        return None
    return config


def _key_path(unset_line: str) -> str:
    """`file:line: key.path: ${VAR}` -> `key.path`."""
    return unset_line.rsplit(": ", 2)[-2] if unset_line.count(": ") >= 2 else ""


def _test_channel(config: Config, args: argparse.Namespace) -> int:
    channel = config.channels.get(args.channel)
    if channel is None:
        known = ", ".join(sorted(config.channels)) or "none configured"
        print(f"agentstatus: unknown channel {args.channel!r} (channels: {known})",
              file=sys.stderr)
        return EXIT_USAGE
    steps = event_loop.run(send_test(config, channel, timeout=args.timeout))
    hide = channel_secrets(channel, config.secrets)
    ok = True
    for step, result in steps:
        ok = ok and result.ok
        print(redact(f"{channel.name} ({channel.type}) {step}: {describe(result)}", hide))
    print("test alert delivered" if ok else "test alert NOT delivered")
    return EXIT_OK if ok else EXIT_FAILED


def test_facts(now: float) -> AlertFacts:
    return AlertFacts(event="test", agent_id="agentstatus-test", agent_name="agentstatus test",
                      at=now, verdict=None, dedup_key=f"agentstatus-test-{int(now)}",
                      severity="info", text=TEST_TEXT)


async def send_test(config: Config, channel: Channel,
                    timeout: float = 10.0) -> list[tuple[str, DeliveryResult]]:
    """Deliver the test message directly (not through the outbox): the person running
    it wants the receiver's answer now, and a failed test must not be retried later."""
    facts = test_facts(time.time())
    async with senders.make_client(timeout) as client:
        if isinstance(channel, StatuspageChannel):
            result = await senders.check_statuspage(client, channel, config.secrets, timeout)
            return [("read components (nothing changed)", result)]
        result = await senders.send(channel, facts, client=client, secrets=config.secrets,
                                    timeout=timeout)
        steps = [("trigger" if channel.type == "pagerduty" else "send", result)]
        if channel.type == "pagerduty" and result.ok:
            # Close the test incident at once so nobody is left with an open page.
            resolve = AlertFacts(**{**facts.__dict__, "event": "resolve"})
            steps.append(("resolve", await senders.send(
                channel, resolve, client=client, secrets=config.secrets, timeout=timeout)))
        return steps


def describe(result: DeliveryResult) -> str:
    head = "delivered" if result.ok else ("failed (would be retried)" if result.retriable
                                          else "failed")
    code = f"{result.protocol} {result.status}" if result.status else ""
    detail = result.answer if result.ok else (result.error or result.answer)
    return " · ".join(x for x in (head, code, detail) if x)
