"""The incident panel: the eight-step checklist for one agent's incident, driven from the
keyboard, with the step's live content and the incident's timeline."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from ...engine import events
from ...engine.frontend import MonitorAPI
from ...engine.incidents.document import CHANGE_ITEMS
from ...engine.incidents.rootcause import CAUSES, match_run
from ...engine.incidents.store import (
    ACKNOWLEDGE,
    CHANGES,
    REPRODUCE,
    RESOLVE,
    ROOT_CAUSE,
    STEPS,
    VERIFY,
    IncidentRecord,
)
from ...engine.incidents.wording import channel_label
from ...engine.model import Verdict
from ...engine.probe.curl import curl_command
from ...engine.probe.prober import ProbeReply
from ...engine.snapshots import AgentSnapshot
from ...engine.text import duration
from .. import format as fmt
from ..clipboard import copy_text
from ..engine_guard import says_why
from ..help_screen import HelpScreen, KeyRow, binding_rows
from ..widgets.incident_steps import StepView, render, run_curl, step_marks, step_strip
from ..widgets.scroll_pane import ScrollPane
from .confirm import ConfirmScreen

# Which step each action belongs to (None: any step). Keys of other steps are hidden
# from the footer so it only ever lists what works now.
_STEP_OF: dict[str, int | None] = {
    "acknowledge": ACKNOWLEDGE, "post_slack": ACKNOWLEDGE,
    "send": REPRODUCE, "copy": REPRODUCE, "next_region": REPRODUCE,
    "verify": VERIFY,
    "resolve": RESOLVE, "add_followup": RESOLVE, "delete_item": RESOLVE,
    "item_down": None, "item_up": None, "toggle_item": None, "edit_item": None,
    "done": 0,  # any step the engineer completes by hand (not Verify, not Resolve)
}
_ITEM_STEPS = (CHANGES, ROOT_CAUSE, RESOLVE)


def format_probe(reply: ProbeReply) -> str:
    status = f"HTTP {reply.status}" if reply.status else (reply.error or "no answer")
    text = f"{status} in {fmt.latency(reply.elapsed)}"
    body = fmt.snippet(reply.body_snippet or reply.detail or "", 80)
    return f"{text} {body}".strip()


NARROW = 100  # narrower than this, the step list is one line above the step


def timeline_lines(height: int) -> int:
    return 6 if height < 34 else min(14, height - 28)


def key_list(keymap: Mapping[str, str]) -> list[KeyRow]:
    """(keys, description, binding id) of the incident panel, as the keymap binds them:
    its own keys, then those of its scrolling panes."""
    return [*binding_rows(IncidentScreen.BINDINGS, keymap),
            *binding_rows(ScrollPane.BINDINGS, keymap)]


class IncidentScreen(ModalScreen[None]):
    """`IncidentScreen(api, state, record)`: one incident (`record`, as `open_incident`
    returned it) of the agent whose snapshot is `state`. It draws from the record and the
    snapshot it holds, replaced by the ones engine events carry, and changes the incident
    only through `api`. Everything it does is stored, so leaving and
    coming back (or restarting) resumes at the same step.

    Modal so the dashboard's keys (p pause, r rerun, i …) never fire from under it: a
    key of another step must do nothing, not act on the dashboard."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back", id="incident.back",
                tooltip="Back to the dashboard (the incident stays open)"),
        Binding("question_mark", "help", "keys", key_display="?", id="incident.help",
                tooltip="The incident panel's keys"),
        # Moving on and ticking are separate: enter never marks a step done.
        Binding("enter", "next_step", "next", id="incident.next-step",
                tooltip="Next step, without marking this one done"),
        Binding("d", "done", "done", id="incident.done",
                tooltip="Mark the current step done"),
        Binding("right", "step(1)", "step", show=False, id="incident.step-down",
                tooltip="Next step"),
        Binding("left", "step(-1)", "step", show=False, id="incident.step-up",
                tooltip="Previous step"),
        Binding("a", "acknowledge", "acknowledge", id="incident.acknowledge",
                tooltip="Acknowledge (PagerDuty acknowledge when configured)"),
        Binding("p", "post_slack", "post to Slack", id="incident.post-slack",
                tooltip="Post 'investigating' to Slack"),
        Binding("n", "note", "note", id="incident.note",
                tooltip="Add a note to the timeline"),
        Binding("j", "item_down", "item", show=False, id="incident.item-down",
                tooltip="Next item (steps 3, 5, 8)"),
        Binding("k", "item_up", "item", show=False, id="incident.item-up",
                tooltip="Previous item (steps 3, 5, 8)"),
        Binding("space", "toggle_item", "tick", id="incident.toggle",
                tooltip="Tick the item (steps 3, 5, 8)"),
        Binding("e", "edit_item", "write", id="incident.edit",
                tooltip="Write a note on the item, the cause or a follow-up"),
        Binding("s", "send", "send", id="incident.send",
                tooltip="Send the agent's request now (step 4)"),
        Binding("c", "copy", "copy", id="incident.copy",
                tooltip="Copy the curl command (step 4)"),
        Binding("g", "next_region", "region", id="incident.region",
                tooltip="Next region to send from (step 4)"),
        Binding("v", "verify", "verify", id="incident.verify",
                tooltip="Run the agent now to verify (step 7)"),
        Binding("r", "resolve", "resolve", id="incident.resolve",
                tooltip="Resolve: alerts, status page, incident document (step 8)"),
        Binding("f", "add_followup", "follow-up", id="incident.followup",
                tooltip="Add a follow-up action (step 8)"),
        Binding("x", "delete_item", "delete", id="incident.delete",
                tooltip="Delete the follow-up (step 8)"),
        *[Binding(str(n), f"go({n})", f"step {n}", show=False, id=f"incident.go-{n}")
          for n in range(1, 9)],
    ]

    DEFAULT_CSS = """
    IncidentScreen { layout: vertical; background: $background; }
    IncidentScreen #incident-header { height: 1; padding: 0 1; background: $panel; }
    IncidentScreen #incident-body { height: 1fr; }
    IncidentScreen #incident-steps { width: 24; padding: 0 1; }
    IncidentScreen #incident-strip { display: none; height: 1; padding: 0 1; }
    IncidentScreen #incident-step-pane { width: 1fr; padding: 0 1; }
    IncidentScreen #incident-timeline-title { height: 1; color: $text-muted; }
    IncidentScreen #incident-timeline-pane { height: 6; padding: 0 1; }
    IncidentScreen ScrollPane:focus { background: $boost; }
    /* Narrow (80 columns): the step list becomes one line, the step gets the width. */
    IncidentScreen.-narrow #incident-steps { display: none; }
    IncidentScreen.-narrow #incident-strip { display: block; }
    IncidentScreen #incident-input { display: none; height: 1; margin: 0 1; }
    IncidentScreen #incident-input.-shown { display: block; }
    """

    def __init__(self, api: MonitorAPI, state: AgentSnapshot, record: IncidentRecord, *,
                 clock: Callable[[], float] | None = None) -> None:
        super().__init__()
        self.api = api
        self.state = state
        self.agent_id = state.agent.id
        self.agent = state.agent
        self._clock = clock
        self.record = record
        self.incident_id = record.incident.id
        regions = list(self.agent.regions) or list(api.config.regions)
        self.probe_region = regions[0] if regions else None
        self.item_cursor = 0
        self.probe: ProbeReply | None = None
        self.probing = False
        self.verifying = False
        self._alert_ids: list[tuple[int, str]] = []  # (outbox id, label)
        self._alert_statuses: dict[int, str] = {}  # outbox id → pending/delivered/failed
        self._input_for: str | None = None
        self._ticker: Timer | None = None
        # Parts are kept, never looked up: engine events and resizes may reach this
        # screen before it is composed or while the app closes.
        self._header = Static(id="incident-header", markup=False)
        self._steps = Static(id="incident-steps", markup=False)
        self._strip = Static(id="incident-strip", markup=False)
        self._step_pane = ScrollPane(id="incident-step-pane")
        self._timeline_pane = ScrollPane(id="incident-timeline-pane")
        self._step = Static(id="incident-step", markup=False)
        self._timeline_title = Static(id="incident-timeline-title", markup=False)
        self._timeline = Static(id="incident-timeline", markup=False)
        self._input = Input(id="incident-input", compact=True)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._strip
        with Horizontal(id="incident-body"):
            yield self._steps
            with self._step_pane:
                yield self._step
        yield self._timeline_title
        with self._timeline_pane:
            yield self._timeline
        yield self._input
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")
        self.refresh_all()
        self._step_pane.focus()
        if getattr(self.app, "live", True):
            # The header's age moves in coarse steps; once every 10 s is plenty.
            self._ticker = self.set_interval(10.0, self._show_header)

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")
        if self.is_mounted:
            self.refresh_all()

    def step_width(self) -> int:
        """Columns of the step body: the screen less the step list (when shown), the
        padding and the scrollbar."""
        width = self.size.width or 120
        return max(30, width - (0 if width < NARROW else 24) - 2 - 2)

    def clock_now(self) -> float:
        clock = self._clock or getattr(self.app, "clock", None) or time.time
        return clock()

    @property
    def step(self) -> int:
        return self.record.incident.current_step

    def agent_state(self) -> AgentSnapshot:
        return self.state

    async def _reload(self) -> None:
        """The incident as stored now (after a command of this screen)."""
        self.record = await self.api.incident(self.incident_id)

    # ------------------------------------------------------------------ drawing

    def refresh_all(self) -> None:
        record = self.record
        self._show_header(record)
        self._show_steps(record)
        self._show_step(record)
        self._show_timeline(record)
        self.refresh_bindings()

    def header_text(self, record: IncidentRecord) -> str:
        inc = record.incident
        st = self.agent_state()
        now = self.clock_now()
        head = f"Incident #{inc.id} · {inc.agent_name} · "
        if inc.resolved_at is not None:
            head += f"resolved after {duration(inc.duration(inc.resolved_at))}"
        elif st is not None and st.since is not None:
            head += (f"{fmt.verdict_word(st.verdict)} for {fmt.coarse_duration(now - st.since)} "
                     f"(since {fmt.clock(st.since)})")
        else:
            head += f"open for {fmt.coarse_duration(inc.duration(now))}"
        if inc.is_drill:
            head += " · drill"
        return head

    def _show_header(self, record: IncidentRecord | None = None) -> None:
        record = record or self.record
        left = self.header_text(record)
        right = f"step {record.incident.current_step} of {len(STEPS)}"
        width = max(0, self.size.width - 2)
        gap = max(2, width - len(left) - len(right))
        self._header.update(Text(left + " " * gap + right))

    def _show_steps(self, record: IncidentRecord) -> None:
        self._strip.update(step_strip(record))
        text = Text()
        for mark, name in step_marks(record):
            style = "bold reverse" if mark == "[>]" else ""
            text.append(f"{mark} {name}\n", style=style)
        self._steps.update(text)

    def step_view(self, record: IncidentRecord) -> StepView:
        st = self.agent_state()
        last = getattr(st, "last", None)
        region = self.api.config.regions.get(self.probe_region) if self.probe_region else None
        return StepView(
            record=record, agent=self.agent, now=self.clock_now(),
            verdict=getattr(st, "verdict", record.incident.worst_verdict),
            since=getattr(st, "since", None), last=last,
            last_failure=getattr(st, "last_failure", None),
            matches=match_run(last), alert_status=self._alert_status(),
            region=self.probe_region, curl=curl_command(self.agent, region),
            probe=self.probe, probing=self.probing, verifying=self.verifying,
            cursor=self.item_cursor, width=self.step_width(), run_curl=self._run_curl(),
        )

    def _run_curl(self) -> str:
        connection = self.api.connection
        return run_curl(connection.api_base, self.agent_id) if connection.attached else ""

    def _show_step(self, record: IncidentRecord) -> None:
        self._step.update(render(record.incident.current_step, self.step_view(record)))

    def _show_timeline(self, record: IncidentRecord) -> None:
        width = max(10, self.size.width)
        self._timeline_title.update(
            Text("─ timeline " + "─" * max(0, width - 11)))
        # Step ticks are for the document; the panel keeps its lines for events. A tall
        # terminal shows more of the timeline, an 80x24 one keeps room for the step.
        lines = timeline_lines(self.size.height)
        self._timeline_pane.styles.height = lines
        box = self._timeline
        # Every entry, scrolled to the newest; tab focuses it to scroll back.
        entries = [e for e in record.timeline if e.kind != "step"]
        text = Text()
        for e in entries:
            who = f" ({e.actor})" if e.actor and e.actor not in e.text else ""
            text.append(f"{fmt.clock(e.at)}  ", style="dim")
            text.append(f"{e.text}{who}\n")
        text.rstrip()
        box.update(text)
        self.call_after_refresh(self._timeline_pane.scroll_end, animate=False)

    def _alert_status(self) -> dict[str, str]:
        return {label: self._alert_statuses.get(i, "?") for i, label in self._alert_ids}

    # ------------------------------------------------------------------ engine events

    def monitor_event(self, event: events.Event) -> None:
        """Called by the App for every Monitor event while this screen is open."""
        if isinstance(event, events.ConnectionChanged | events.StoreChanged):
            return
        if event.agent_id != self.agent_id:
            return
        if isinstance(event, events.IncidentChanged):
            if event.incident_id == self.incident_id:
                self.record = event.record
        elif isinstance(event, events.AlertChanged):
            if event.alert_id in self._alert_statuses:
                self._alert_statuses[event.alert_id] = event.status
        else:
            self.state = event.snapshot
        if isinstance(event, events.RunFinished) and event.result.manual:
            self.verifying = False
        if self.is_mounted:
            self.refresh_all()

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in _STEP_OF:
            return True
        step = self.step
        wanted = _STEP_OF[action]
        if wanted is None:
            return step in _ITEM_STEPS
        if action == "done":
            return step < VERIFY and not self.record.steps[step].done
        if action in ("delete_item",) and not self.record.followups:
            return False
        if action == "resolve" and self.record.incident.resolved_at is not None:
            return False
        return step == wanted

    def action_help(self) -> None:
        """The panel's own keys, as the keymap binds them, in the dashboard help's style."""
        rows = key_list(self.api.config.keymap)
        self.app.push_screen(HelpScreen([], rows, width=self.app.size.width, panel_only=True))

    def action_back(self) -> None:
        box = self._input
        if box.has_class("-shown"):
            self._close_input()
            return
        self.app.pop_screen()

    def _moved(self) -> None:
        self._step_pane.scroll_home(animate=False)
        self.item_cursor = 0
        if self.step == ROOT_CAUSE:
            self.item_cursor = self._first_matching_row()
        self.refresh_all()

    def _first_matching_row(self) -> int:
        matches = match_run(getattr(self.agent_state(), "last", None))
        keys = [c.key for c in CAUSES]
        return keys.index(matches[0].key) if matches else 0

    # Commands are awaited in the key's own handler, so the next key acts on the step
    # this one led to; the engine's IncidentChanged events keep other changes coming.

    @says_why
    async def action_next_step(self) -> None:
        await self.api.go_to_step(self.incident_id, self.step + 1)
        await self._reload()
        self._moved()

    @says_why
    async def action_done(self) -> None:
        await self.api.complete_step(self.incident_id, self.step)
        await self._reload()
        self.refresh_all()

    @says_why
    async def action_step(self, delta: int) -> None:
        await self.api.go_to_step(self.incident_id, self.step + delta)
        await self._reload()
        self._moved()

    @says_why
    async def action_go(self, n: int) -> None:
        await self.api.go_to_step(self.incident_id, n)
        await self._reload()
        self._moved()

    async def _labels(self, ids: list[int], what: str) -> None:
        if not ids:
            return
        log = {r.id: r for r in await self.api.alert_log(200)}
        for i in ids:
            rec = log.get(i)
            label = channel_label(self.api.config, rec.channel) if rec else "alert"
            self._alert_ids.append((i, f"{label} {what}"))
        self._alert_statuses.update(await self.api.alert_status(ids))

    @says_why
    async def action_acknowledge(self) -> None:
        ids = await self.api.acknowledge(self.incident_id)
        await self._labels(ids, "acknowledge")
        if not ids:
            self.notify("Acknowledged here; no PagerDuty channel for this agent.", timeout=4)
        await self._reload()
        self.refresh_all()

    @says_why
    async def action_post_slack(self) -> None:
        ids = await self.api.post_investigating(self.incident_id)
        await self._labels(ids, "post")
        await self._reload()
        self.refresh_all()

    # -- items (steps 3, 5, 8)

    def _item_count(self) -> int:
        return {CHANGES: len(CHANGE_ITEMS), ROOT_CAUSE: len(CAUSES),
                RESOLVE: len(self.record.followups)}.get(self.step, 0)

    def action_item_down(self) -> None:
        self.item_cursor = min(self.item_cursor + 1, max(0, self._item_count() - 1))
        self.refresh_all()

    def action_item_up(self) -> None:
        self.item_cursor = max(0, self.item_cursor - 1)
        self.refresh_all()

    @says_why
    async def action_toggle_item(self) -> None:
        step = self.step
        if step == CHANGES:
            key = CHANGE_ITEMS[self.item_cursor][0]
            item = self.record.steps[CHANGES].data.get("items", {}).get(key) or {}
            await self.api.set_change(self.incident_id, key, checked=not item.get("checked"))
        elif step == ROOT_CAUSE:
            await self.api.set_root_cause(self.incident_id, key=CAUSES[self.item_cursor].key)
        elif step == RESOLVE and self.record.followups:
            f = self.record.followups[min(self.item_cursor, len(self.record.followups) - 1)]
            await self.api.toggle_followup(self.incident_id, f.id)
        await self._reload()
        self.refresh_all()

    def action_edit_item(self) -> None:
        step = self.step
        if step == CHANGES:
            key, label = CHANGE_ITEMS[self.item_cursor]
            note = (self.record.steps[CHANGES].data.get("items", {}).get(key) or {}).get("note", "")
            self._ask("change-note", f"note on {label.lower()}", note)
        elif step == ROOT_CAUSE:
            self._ask("cause", "the root cause, in your words", "")
        elif step == RESOLVE:
            self._ask("followup", "follow-up action", "")

    @says_why
    async def action_delete_item(self) -> None:
        followups = self.record.followups
        if followups:
            f = followups[min(self.item_cursor, len(followups) - 1)]
            await self.api.delete_followup(self.incident_id, f.id)
            self.item_cursor = max(0, min(self.item_cursor, len(followups) - 2))
        await self._reload()
        self.refresh_all()

    # -- reproduce

    def action_copy(self) -> None:
        region = self.api.config.regions.get(self.probe_region) if self.probe_region else None
        self.notify(copy_text(self.app, curl_command(self.agent, region), "curl command"),
                    timeout=6)

    def action_next_region(self) -> None:
        regions = list(self.agent.regions) or list(self.api.config.regions)
        if regions and self.probe_region in regions:
            self.probe_region = regions[(regions.index(self.probe_region) + 1) % len(regions)]
        self.probe = None
        self.refresh_all()

    def action_send(self) -> None:
        if self.probing or self.probe_region is None:
            return
        self.probing = True
        self.refresh_all()
        self.run_worker(self._send(self.probe_region), group="incident-probe", exit_on_error=False)

    @says_why
    async def _send(self, region: str) -> None:
        try:
            reply = await self.api.send_probe(self.agent.id, region)
        finally:
            self.probing = False
            if self.is_mounted:
                self.refresh_all()
        self.probe = reply
        await self.api.record_probe(self.incident_id, region, format_probe(reply))
        await self._reload()
        self.refresh_all()

    # -- verify

    @says_why
    async def action_verify(self) -> None:
        if self.verifying:
            return
        self.verifying = True
        try:
            await self.api.verify_requested(self.incident_id)
        except BaseException:
            self.verifying = False
            raise
        await self._reload()
        self.refresh_all()
        self.run_worker(self._verify(), group="incident-verify", exit_on_error=False)

    @says_why
    async def _verify(self) -> None:
        try:
            await self.api.run_now(self.agent_id)
        finally:
            self.verifying = False
            if self.is_mounted:
                self.refresh_all()
        await self._reload()
        if self.is_mounted:
            self.refresh_all()

    # -- resolve and notes

    def action_resolve(self) -> None:
        """Resolve sends PagerDuty resolve, Slack and Statuspage "operational": while the
        agent is still DOWN and Verify has not passed, ask first."""
        st = self.agent_state()
        if (st is not None and st.verdict is Verdict.DOWN
                and not self.record.steps[VERIFY].done):
            question = (f"{self.agent.name} is still DOWN and Verify has not passed.\n"
                        "Resolve anyway? This sends PagerDuty resolve, a Slack summary and "
                        "sets the status page to operational.")
            self.app.push_screen(ConfirmScreen(question), self._resolve_confirmed)
            return
        self._ask_resolution()

    def _resolve_confirmed(self, yes: bool | None) -> None:
        if yes:
            self._ask_resolution()

    def _ask_resolution(self) -> None:
        self._ask("resolution", "what fixed it (the resolution)", "")

    def action_add_followup(self) -> None:
        self._ask("followup", "follow-up action", "")

    def action_note(self) -> None:
        self._ask("note", f"note on step {self.step} {STEPS[self.step - 1]}", "")

    def _ask(self, purpose: str, prompt: str, value: str) -> None:
        box = self._input
        self._input_for = purpose
        box.placeholder = f"{prompt} · enter saves · esc cancels"
        box.value = value
        box.add_class("-shown")
        box.focus()

    def _close_input(self) -> None:
        box = self._input
        box.remove_class("-shown")
        box.value = ""
        self._input_for = None
        self._step_pane.focus()

    @on(Input.Submitted, "#incident-input")
    @says_why
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        purpose, text = self._input_for, event.value.strip()
        self._close_input()
        if purpose == "note":
            await self.api.add_note(self.incident_id, text)
        elif purpose == "change-note":
            await self.api.set_change(self.incident_id, CHANGE_ITEMS[self.item_cursor][0],
                                      note=text)
        elif purpose == "cause" and text:
            key = self.record.incident.root_cause_key
            await self.api.set_root_cause(self.incident_id, key=key, text=text)
        elif purpose == "followup":
            await self.api.add_followup(self.incident_id, text)
        elif purpose == "resolution":
            done = await self.api.resolve(self.incident_id, text)
            await self._labels(list(done.alert_ids), "resolve")
            self.notify(f"Incident document: {done.document}", timeout=10)
        await self._reload()
        self.refresh_all()
