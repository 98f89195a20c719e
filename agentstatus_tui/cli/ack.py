"""`agentstatus ack AGENT [--note TEXT]`: acknowledge an agent's page from a shell, the
same step as the incident panel's acknowledge (PagerDuty `acknowledge`, the incident's
timeline, who and when on the page): its reminders and escalation stop."""

from __future__ import annotations

import argparse
import sys

from ..engine import event_loop
from ..engine.incidents.tracker import current_user
from ..engine.secrets import redact


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ack", parents=parents,
        help="acknowledge an agent's page (reminders and escalation stop)",
        description="Acknowledge the open page of AGENT as the incident panel does: "
        "PagerDuty acknowledge, recorded on the incident and the page (who and when), "
        "so reminders and escalation steps stop. Who: $AGENTSTATUS_USER or the login.")
    p.add_argument("agent", metavar="AGENT", help="agent id")
    p.add_argument("--note", metavar="TEXT", help="a note for the incident's timeline")
    p.add_argument("--alert-deadline", type=float, default=30.0, metavar="SECONDS",
                   help="how long to keep delivering the acknowledge (default 30)")
    p.set_defaults(func=cmd_ack)


def cmd_ack(args: argparse.Namespace) -> int:
    from .check import open_monitor

    async def main() -> int:
        async with open_monitor(args) as mon:
            config = mon.config
            if args.agent not in mon.agents():
                known = ", ".join(mon.agents()) or "none"
                print(f"agentstatus: no agent '{args.agent}' (agents: {known})",
                      file=sys.stderr)
                return 2
            agent = config.agent(args.agent)
            key = mon.alerts.dedup_key(agent.id)
            if key is None:
                print(f"agentstatus: nothing to acknowledge: {agent.name} has no open page",
                      file=sys.stderr)
                return 1
            note = args.note.strip() if args.note else None
            incident = await mon.current_incident(agent.id)
            if incident is not None:
                ids = await mon.acknowledge(incident.incident.id, note)
            else:  # a page without an incident (opened by another version): the page
                ids = mon.alerts.enqueue_manual(
                    agent, "acknowledge", f"Acknowledged by {current_user()}",
                    channel_types=("pagerduty",), by=current_user(), note=note)
            await mon.alerts.deliver_pending(mon.clock() + args.alert_deadline)
            status = mon.alerts.status(ids)
            sent = ", ".join(f"{r.channel} {status.get(r.id, r.status)}"
                             for r in mon.alerts.log() if r.id in status)
            line = f"{agent.name}: page {key} acknowledged by {current_user()}"
            print(redact(line + (f" ({sent})" if sent else ""), config.secrets))
            return 0 if all(s == "delivered" for s in status.values()) else 1

    return event_loop.run(main())
