"""The silence form: hold the selected agent's pages for a while, with a reason. The
silence is added through the front-end interface, so it is stored where cron `check`
and `serve` see it too."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ...engine.alerts.silences import SilenceError
from ...engine.config.yaml_lines import parse_duration
from ...engine.frontend import FrontEndError
from ...engine.history.db import StoreError
from ...engine.model import AgentConfig
from ...engine.text import duration as duration_text
from ...engine.text import when

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...engine.alerts.silences import Silence
    from ...engine.frontend import MonitorAPI

DEFAULT_DURATION = "2h"
MAX_SILENCE = 366 * 86400.0


class SilenceScreen(ModalScreen["Silence | None"]):
    """`SilenceScreen(api, agent, author)`: dismissed with the Silence added, or None on
    escape. Enter in either field adds it; what is wrong is said in the form."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel", id="silence.cancel",
                tooltip="Close the form without silencing"),
    ]
    DEFAULT_CSS = """
    SilenceScreen { align: center middle; }
    SilenceScreen > Vertical {
        width: 64; max-width: 95%; height: auto; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    SilenceScreen #silence-title { text-style: bold; margin-bottom: 1; }
    SilenceScreen Horizontal { height: auto; }
    SilenceScreen Label { width: 10; padding-top: 1; }
    SilenceScreen Input { width: 1fr; }
    SilenceScreen #silence-error { color: $error; height: auto; }
    SilenceScreen #silence-keys { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, api: MonitorAPI, agent: AgentConfig, author: str | None, *,
                 clock: Callable[[], float]) -> None:
        super().__init__()
        self.api = api
        self.agent = agent
        self.author = author
        self.clock = clock
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Silence {self.agent.name}: hold its pages (it is still polled)",
                         id="silence-title", markup=False)
            with Horizontal():
                yield Label("for")
                yield Input(DEFAULT_DURATION, placeholder="30m, 2h, 1d", id="silence-for")
            with Horizontal():
                yield Label("reason")
                yield Input(placeholder="why it is quiet (required)", id="silence-reason")
            yield Static(f"by {self.author or 'unknown'}", id="silence-author", markup=False)
            yield Static("", id="silence-error", markup=False)
            yield Static("⏎ silence · tab next field · esc cancel", id="silence-keys")

    def on_mount(self) -> None:
        self.query_one("#silence-reason", Input).focus()

    def say(self, problem: str) -> None:
        self.query_one("#silence-error", Static).update(problem)

    @property
    def problem(self) -> str:
        """What the form says is wrong ('' when nothing)."""
        return str(self.query_one("#silence-error", Static).render())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    async def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        if self._saving:
            return
        length_input = self.query_one("#silence-for", Input)
        reason_input = self.query_one("#silence-reason", Input)
        written = length_input.value.strip()
        seconds = parse_duration(written) if written else None
        if seconds is None or seconds <= 0 or seconds > MAX_SILENCE:
            self.say(f"For how long? {written!r} is not a duration (try 30m, 2h or 1d)."
                     if written else "For how long? A silence needs an end (try 2h).")
            length_input.focus()
            return
        reason = " ".join(reason_input.value.split())
        if not reason:
            self.say("A silence needs a reason: why is it quiet?")
            reason_input.focus()
            return
        self._saving = True
        try:
            silence = await self.api.add_silence("agent", self.agent.id,
                                                 self.clock() + seconds, reason, self.author)
        except (SilenceError, StoreError, FrontEndError) as exc:
            self._saving = False
            self.say(str(exc) if isinstance(exc, SilenceError) else f"Not saved: {exc}")
            return
        self.dismiss(silence)


def silenced_text(name: str, silence: Silence, now: float) -> str:
    """The toast after a silence was added."""
    return (f"{name} silenced until {when(silence.ends_at, now)} "
            f"({duration_text(silence.ends_at - now)}) — {silence.reason}")
