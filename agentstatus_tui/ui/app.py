"""The live dashboard App: owns what is on screen, turns Monitor events into widget
updates, and maps keys to actions. It never polls; the Monitor does."""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.widgets import DataTable, Footer, Input

from ..engine import events
from ..engine.frontend import MonitorAPI
from ..engine.model import Verdict
from ..engine.snapshots import AgentSnapshot
from ..engine.text import duration
from . import format as fmt
from . import messages as msg
from .commands import DashboardCommands
from .engine_guard import attempt, says_why
from .textual_private import app_bindings, crop_partial_updates, notifications, withdraw
from .themes import choose_theme, load_themes, next_theme, with_product_variables
from .widgets.detail import DetailPane
from .widgets.grid import AgentGrid
from .widgets.header import StatusHeader, failing_text

if TYPE_CHECKING:
    from ..engine.alerts.outbox import AlertHealth
    from ..engine.alerts.silences import Silence
    from .help_screen import HelpScreen


def _bindings() -> list[BindingType]:
    return [
        Binding("r", "rerun", "rerun", id="rerun", tooltip="Run the selected agent now"),
        Binding("R", "rerun_all", "all", id="rerun-all", tooltip="Run every agent now"),
        Binding("p", "pause", "pause", id="pause", tooltip="Pause / resume the selected agent"),
        Binding("i", "incident", "incident", id="incident",
                tooltip="Open the incident checklist for the selected agent"),
        Binding("h", "history", "history", id="history",
                tooltip="Full verdict history of the selected agent"),
        # Off the footer (full at 80 columns); `?` and the README list it.
        Binding("s", "silence", "silence", id="silence", show=False,
                tooltip="Silence the selected agent for a while, with a reason"),
        Binding("slash", "filter", "filter", key_display="/", id="filter",
                tooltip="Show only agents whose name or verdict matches"),
        Binding("a", "alerts", "alerts", id="alerts", show=False, tooltip="Alert delivery log"),
        Binding("t", "next_theme", "theme", id="next-theme", tooltip="Next theme"),
        Binding("question_mark", "help", "help", key_display="?", id="help",
                tooltip="Every key"),
        Binding("q", "quit", "quit", id="quit", tooltip="Quit"),
        # On-call hands expect ctrl+c to quit and ctrl+z to suspend to the shell.
        Binding("ctrl+c", "quit", "quit", show=False, id="quit-ctrl-c", priority=True,
                tooltip="Quit"),
        Binding("ctrl+z", "suspend_process", "suspend", show=False, id="suspend",
                tooltip="Suspend to the shell (fg comes back)"),
        Binding("escape", "clear_filter", "clear filter", show=False, id="clear-filter",
                tooltip="Clear the filter"),
    ]


def matches(state: AgentSnapshot, query: str) -> bool:
    """A row stays when every word of the filter is in its name or id, or starts its
    verdict (`down`, `deg`, `up`, `unknown`, `paused`, `reachable`)."""
    name = f"{state.agent.name} {state.agent.id}".lower()
    verdict: Verdict = state.verdict
    words = [verdict.value.lower()] + (["up"] if verdict.is_up else [])
    if state.paused:
        words = ["paused"]  # not UNKNOWN, as the header counts it
    for token in query.lower().split():
        if token in name or any(w.startswith(token) for w in words):
            continue
        return False
    return True


SCREENS = (".help_screen", ".screens.incident", ".screens.history", ".screens.alerts",
           ".screens.confirm", ".screens.silence")  # imported when first needed, or a second after start-up

DOWN_TOAST_SECONDS = 10.0  # how long a DOWN toast stays; later DOWNs merge into it
NOTICE_SECONDS = 30.0  # a start-up notice (polling from here, not attached) stays this long


class AgentStatusApp(App[int]):
    """`AgentStatusApp(api)`: the dashboard over one engine, local (the Monitor) or not.

    It keeps the latest `AgentSnapshot` of every agent, as the engine's events carry them,
    and draws from those; reads and commands go through `api` only."""

    TITLE = "AgentStatus"
    BINDINGS: ClassVar[list[BindingType]] = _bindings()
    COMMANDS = App.COMMANDS | {DashboardCommands}
    # Textual annotates this `ClassVar[...] | None`, which mypy reads as an instance variable.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [  # type: ignore[misc]
        (0, "-narrow"), (96, "-wide")]
    CSS = """
    Screen { layout: vertical; }
    #filter { display: none; height: 1; margin: 0 1; }
    #filter.-shown { display: block; }
    AgentGrid { max-height: 60%; }
    DetailPane { min-height: 7; }
    /* Narrow terminals (80 columns): the detail pane stacks, the header drops its name.
       Breakpoint rules live here: widgets' DEFAULT_CSS is scoped to the widget. */
    .-narrow DetailPane #detail-body { layout: vertical; }
    .-narrow DetailPane #detail-left { width: 1fr; height: auto; }
    .-narrow DetailPane #detail-right { width: 1fr; height: 1fr; border-left: none; padding-left: 0; }
    .-narrow DetailPane #last-failure { margin-top: 0; max-height: 2; }
    .-narrow DetailPane LatencyBars { margin-bottom: 0; }
    .-narrow DetailPane #history-label { display: none; }
    HistoryScreen.-narrow #history-body { layout: vertical; }
    """

    def __init__(
        self,
        api: MonitorAPI,
        *,
        clock: Callable[[], float] = time.time,
        theme: str | None = None,
        live: bool = True,
        notices: Sequence[str] = (),
    ) -> None:
        crop_partial_updates()  # a changed cell costs its own bytes, not its whole row
        # Textual pops NO_COLOR while starting up: read it first.
        no_color = "NO_COLOR" in os.environ
        super().__init__()
        self.api = api
        self.clock = clock
        self.live = live  # False: no polling, no ticking (fixed-data snapshots)
        # Said once the dashboard is up (why it polls from here though a daemon answers).
        self.notices = tuple(notices)
        self.filter_text = ""
        self._down_pending: list[str] = []
        self._down_toasted: dict[str, float] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._header_pending = False
        self._help: tuple[HelpScreen, object] | None = None
        # Set by quit: keys already typed behind `q` (one terminal read: `qi`) must not
        # open screens or incidents while the app closes.
        self.leaving = False
        self.snapshots: dict[str, AgentSnapshot] = dict(api.agents())
        self.alert_health: AlertHealth | None = None
        self._failing_channels: set[str] = set()
        self.theme_names: list[str] = []
        for t in load_themes():
            self.register_theme(t)
            self.theme_names.append(t.name)
        config = api.config
        self.theme = choose_theme(theme, config.theme, no_color, self.theme_names)
        if config.keymap:
            self.set_keymap(dict(config.keymap))

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """A toast, shown as written: its text names agents, channels and errors, which
        may hold `[` (screens' `notify` ask for markup by default; none is ever wanted)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_css_variables(self) -> dict[str, str]:
        # Any theme may be picked from the command palette, not only the product's.
        return with_product_variables(super().get_css_variables())

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        config = self.api.config
        # Kept as attributes: `query_one` searches the active screen, which is a pushed
        # screen (help, history, incident) while engine events keep arriving.
        self._header = StatusHeader(id="header")
        yield self._header
        self._filter_box = Input(placeholder="filter by name or verdict · enter keeps · esc clears",
                                 id="filter", compact=True)
        yield self._filter_box
        self._grid = AgentGrid(list(config.regions), clock=self.clock, id="grid")
        yield self._grid
        self._detail = DetailPane(clock=self.clock, secrets=config.secrets, id="detail")
        yield self._detail
        # The palette key is in the help screen; the footer keeps its room for the
        # dashboard keys at 80 columns.
        yield Footer(compact=True, show_command_palette=False)

    @property
    def grid(self) -> AgentGrid:
        return self._grid

    @property
    def detail(self) -> DetailPane:
        return self._detail

    @property
    def header(self) -> StatusHeader:
        return self._header

    def visible_states(self) -> list[AgentSnapshot]:
        return [s for s in self.snapshots.values() if matches(s, self.filter_text)]

    def selected_state(self) -> AgentSnapshot | None:
        agent_id = self.grid.selected_id
        return self.snapshots.get(agent_id) if agent_id else None

    async def on_mount(self) -> None:
        # Subscribe before reading, so no change falls between the read and the events.
        self._unsubscribe = self.api.subscribe(self._engine_event)
        self.snapshots = dict(self.api.agents())
        self.alert_health = await self._read_alert_health()
        if self.alert_health is not None:
            self._failing_channels = {f.channel for f in self.alert_health.failing}
        self.grid.show(self.visible_states(), self.size.width)
        self.grid.focus()
        self._show_header()
        self.detail.show(self.selected_state())
        for notice in self.notices:
            self.notify(notice, title="NOT ATTACHED", severity="warning",
                        timeout=NOTICE_SECONDS)
        if self.live:
            # Ages change in 10 s / 1 min steps; waking once a second costs nothing on the
            # wire because a cell is written only when its text changes.
            self.set_interval(1.0, self._tick)
            # Polling starts once the first frame is drawn: drawing a grid of hundreds of
            # rows while the first answers arrive would delay their timing.
            self.call_after_refresh(self._start_polling)
            # The screens keys open are imported once the dashboard is up, not on the
            # first press of their key (the incident panel's alone took ~50 ms).
            self.set_timer(1.0, self._import_screens)

    def _import_screens(self) -> None:
        for name in SCREENS:
            importlib.import_module(name, __package__)

    async def _start_polling(self) -> None:
        await self.api.start()

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.live:
            await self.api.stop()

    # ------------------------------------------------------------------ engine → screen

    def _engine_event(self, event: events.Event) -> None:
        if self.leaving:
            return
        message = msg.to_message(event)
        if message is not None:
            self.post_message(message)

    def _refresh_agent(self, agent_id: str) -> None:
        state = self.snapshots.get(agent_id)
        if state is None:
            return
        if self.filter_text and self.grid.has_agent(agent_id) != matches(
            state, self.filter_text
        ):
            self.grid.show(self.visible_states())
        else:
            self.grid.update_agent(state)
        if self.grid.selected_id == agent_id:
            self.detail.show(state)
        self._header_due()

    def _header_due(self) -> None:
        """Recount the header once for a burst of engine events (500 agents' runs start
        and finish in bursts): counting every agent for each event cost O(agents²)."""
        if not self._header_pending:
            self._header_pending = True
            self.call_later(self._flush_header)

    def _flush_header(self) -> None:
        self._header_pending = False
        self._show_header()

    def _show_header(self) -> None:
        self.header.show(self.snapshots.values(), self.alert_health,
                         configured=bool(self.api.config.channels),
                         store_failing=self.api.store_failure is not None,
                         connection=self.api.connection)

    def _connection_changed(self, event: events.ConnectionChanged) -> None:
        """An attached dashboard lost its daemon (rows go stale, the header says so) or
        got it back (or read its state again): every agent and region as the daemon
        knows them now, and its alert health."""
        if event.connected:
            self.snapshots = dict(self.api.agents())
            self.grid.regions = tuple(self.api.config.regions)  # a reload may change them
            self.grid.stale = False
            self.grid.show(self.visible_states())
            self.detail.set_stale(False)
            self.detail.show(self.selected_state())
            self.run_worker(self._reread_alert_health(), group="alert-health",
                            exclusive=True, exit_on_error=False)
        else:
            self.grid.set_stale(True)
            self.detail.set_stale(True)
        self._show_header()

    async def _reread_alert_health(self) -> None:
        self._alerts_changed(await self._read_alert_health())

    async def _read_alert_health(self) -> AlertHealth | None:
        try:
            return await self.api.alert_health()
        except Exception:  # the header says "alerts: ?" rather than closing the dashboard
            return None

    def _alerts_changed(self, health: AlertHealth | None) -> None:
        """Paging that starts failing is loud: the header turns red (its own record), a
        toast says which channel and why, and the terminal bell rings."""
        self.alert_health = health
        self._show_header()
        failing = self.alert_health.failing if self.alert_health else ()
        new = [f for f in failing if f.channel not in self._failing_channels]
        self._failing_channels = {f.channel for f in failing}
        if new:
            self.notify(failing_text(new) + ". Open the alert log (a) for every attempt.",
                        title="PAGING FAILING", severity="error", timeout=30)
            self.bell()

    @on(msg.MonitorMessage)
    def _monitor_message(self, message: msg.MonitorMessage) -> None:
        # Screens pushed over the dashboard (history, alert log, incident) hear it too.
        for screen in self.screen_stack[1:]:
            handler = getattr(screen, "monitor_event", None)
            if handler is not None:
                handler(message.event)
        event = message.event
        if isinstance(event, events.ConnectionChanged):
            self._connection_changed(event)
            return
        if isinstance(event, events.StoreChanged):
            self._show_header()
            return
        if isinstance(event, events.AlertChanged):
            self._alerts_changed(event.health)
            return
        if isinstance(event, events.IncidentChanged):
            return
        self.snapshots[event.agent_id] = event.snapshot
        self._refresh_agent(event.agent_id)
        if isinstance(event, events.TransitionEvent):
            self._announce(event)

    def _announce(self, event: events.TransitionEvent) -> None:
        """Toast an agent going DOWN. Agents that go DOWN together (at start-up, or one
        upstream failing several agents) share one toast instead of a stack that hides
        the screen; the header's counts stay the lasting record."""
        if event.region is not None or event.agent_id not in self.snapshots:
            return
        if event.previous is Verdict.DOWN and event.current.is_up:
            self._announce_recovery(event)
            return
        if event.current is not Verdict.DOWN:
            return
        if not self._down_pending:
            self.set_timer(0.5, self._flush_down)
        if event.agent_id not in self._down_pending:
            self._down_pending.append(event.agent_id)

    def _announce_recovery(self, event: events.TransitionEvent) -> None:
        state = event.snapshot
        down_since = next(
            (t.at for t in state.transitions
             if Verdict(t.current) is Verdict.DOWN and t.at <= event.at), None,
        )
        took = f" after {duration(event.at - down_since)} DOWN" if down_since else ""
        self.notify(f"{state.agent.name} recovered{took}.", title="RECOVERED",
                    severity="information", timeout=8)

    def _flush_down(self) -> None:
        now = self.clock()
        pending, self._down_pending = self._down_pending, []
        # Agents toasted a moment ago join the new toast, which replaces theirs: a burst
        # of failures (start-up, one upstream down) reads as one message, not a stack.
        recent = [a for a, at in self._down_toasted.items() if now - at < DOWN_TOAST_SECONDS]
        ids = [*recent, *(a for a in pending if a not in recent)]
        downs = [self.snapshots[a] for a in ids if self.snapshots[a].verdict is Verdict.DOWN]
        if not any(s.agent.id in pending for s in downs):
            return
        for note in notifications(self):  # no public "replace": withdraw, then show
            if note.title == "DOWN":
                withdraw(self, note)
        for a in pending:
            self._down_toasted[a] = now

        def why(state: AgentSnapshot) -> str:
            errors = state.last.overall.errors if state.last is not None else None
            return f" ({fmt.error_counts(errors)})" if errors else ""

        target = f"press {self._key_for('incident')} for the incident panel"
        if len(downs) == 1:
            text = f"{downs[0].agent.name} is DOWN{why(downs[0])}. Select it and {target}."
        else:
            names = ", ".join(f"{s.agent.name}{why(s)}" for s in downs)
            text = f"{len(downs)} agents are DOWN: {names}. Select one and {target}."
        self.notify(text, title="DOWN", severity="error", timeout=DOWN_TOAST_SECONDS)
        if self.api.config.bell:
            # One bell per toast: a background tmux window gets its bell flag.
            self.bell()

    def _key_for(self, binding_id: str) -> str:
        for _key, binding in app_bindings(self):
            if binding.id == binding_id:
                return binding.key_display or binding.key
        return binding_id

    def _tick(self) -> None:
        self.grid.tick()
        self.detail.tick(self.selected_state())

    @on(DataTable.RowHighlighted, "#grid")
    def _selected(self, event: DataTable.RowHighlighted) -> None:
        self.detail.show(self.selected_state())

    # ------------------------------------------------------------------ actions

    def _need_selection(self) -> AgentSnapshot | None:
        state = self.selected_state()
        if state is None:
            self.notify("No agent selected.", severity="warning", timeout=3)
        return state

    def action_rerun(self) -> None:
        state = self._need_selection()
        if state is not None:
            self.run_worker(attempt(self, self.api.run_now(state.agent.id)), group="rerun",
                            exit_on_error=False)

    def action_rerun_all(self) -> None:
        self.run_worker(attempt(self, self.api.run_all_now()), group="rerun",
                        exit_on_error=False)

    @says_why
    async def action_pause(self) -> None:
        state = self._need_selection()
        if state is not None:
            await self.api.set_paused(state.agent.id, not state.paused)

    def action_history(self) -> None:
        state = self._need_selection()
        if state is not None:
            from .screens.history import HistoryScreen

            self.push_screen(HistoryScreen(self.api, state, clock=self.clock))

    def action_silence(self) -> None:
        state = self._need_selection()
        if state is None:
            return
        from ..engine.alerts.silences import local_user
        from .screens.silence import SilenceScreen, silenced_text

        agent = state.agent

        def done(silence: Silence | None) -> None:
            if silence is not None:
                self.notify(silenced_text(agent.name, silence, self.clock()), timeout=6)

        self.push_screen(SilenceScreen(self.api, agent, local_user(), clock=self.clock), done)

    def action_alerts(self) -> None:
        from .screens.alerts import AlertsScreen

        self.push_screen(AlertsScreen(self.api, clock=self.clock))

    @says_why
    async def action_incident(self) -> None:
        state = self._need_selection()
        if state is None:
            return
        agent_id = state.agent.id
        if state.verdict.is_up and await self.api.current_incident(agent_id) is None:
            # A healthy agent has no incident: opening one is a drill that stays open.
            from .screens.confirm import ConfirmScreen

            question = (f"{state.agent.name} is {fmt.verdict_word(state.verdict)}: there is "
                        "no incident.\nOpen a drill incident (it stays open until resolved)?")
            self.push_screen(ConfirmScreen(question), partial(self._open_drill, agent_id))
            return
        await self._open_incident(agent_id)

    @says_why
    async def _open_drill(self, agent_id: str, yes: bool | None) -> None:
        if yes:
            await self._open_incident(agent_id)

    async def _open_incident(self, agent_id: str) -> None:
        from .screens.incident import IncidentScreen

        record = await self.api.open_incident(agent_id)
        self.push_screen(IncidentScreen(self.api, self.snapshots[agent_id], record,
                                        clock=self.clock))

    def action_filter(self) -> None:
        box = self._filter_box
        box.add_class("-shown")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self._filter_box
        if not box.has_class("-shown"):
            return
        box.value = ""
        box.remove_class("-shown")
        self._apply_filter("")
        self.grid.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.action_clear_filter()
        else:
            self.grid.focus()

    def _apply_filter(self, text: str) -> None:
        self.filter_text = text.strip()
        self.grid.show(self.visible_states())
        self.detail.show(self.selected_state())

    def action_next_theme(self) -> None:
        self.theme = next_theme(self.theme, self.theme_names)
        self.notify(f"theme: {self.theme}", timeout=2)

    def action_help(self) -> None:
        from .help_screen import HelpScreen

        # Built once and kept: composing and styling its tables again on every `?` made
        # the key slow to answer. Built anew when what it lists or the width changes.
        made = (self.key_list(), self.incident_key_list(), self.size.width)
        if self._help is None or self._help[1] != made:
            if self._help is not None:
                self.uninstall_screen(self._help[0])
            keys, incident_keys, width = made
            self._help = (HelpScreen(keys, incident_keys, width=width), made)
            self.install_screen(self._help[0], "help")
        self.push_screen(self._help[0])

    def incident_key_list(self) -> list[tuple[str, str, str]]:
        """(keys, description, binding id) of the incident panel, as the keymap binds them."""
        from .screens.incident import key_list

        return key_list(self.api.config.keymap)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.leaving

    async def action_quit(self) -> None:
        self.leaving = True
        self.exit(0)

    def key_list(self) -> list[tuple[str, str, str]]:
        """(keys, description, binding id) of every key the dashboard answers to, as
        bound now (the user's keymap applied). Call it while the dashboard is shown."""
        rows: dict[str, tuple[list[str], str, str]] = {}
        grid = self.grid
        for active in self.screen.active_bindings.values():
            b = active.binding
            if active.node is not self and not (active.node is grid and b.id in ("up", "down")):
                continue
            name = b.id or "action:" + b.action
            display = self.get_key_display(b)
            # The tooltip says what the key does; the footer's one-word label does not.
            desc = b.tooltip or b.description or b.action
            keys, _desc, _ = rows.setdefault(name, ([], desc, b.id or ""))
            if display not in keys:
                keys.append(display)
        out = [(", ".join(keys), desc, bid) for keys, desc, bid in rows.values()]
        out.append(("up, down", "move the selection", ""))
        out.append(("tab", "move focus (grid, verdict history)", ""))
        return out
