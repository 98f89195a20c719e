"""The alert delivery log (`a`): every alert, where it went, and whether it arrived."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ...engine import events
from ...engine.alerts.outbox import AlertRecord, AttemptRecord
from ...engine.frontend import MonitorAPI
from ...engine.secrets import redact
from .. import format as fmt
from ..engine_guard import says_why
from ..widgets.list_table import ListTable

LOG_LIMIT = 200


def log_rows(
    records: Sequence[AlertRecord], secrets: frozenset[str], now: float,
    names: dict[str, str] | None = None,
) -> list[tuple[str, ...]]:
    """Rows of the log, the alert id first; agents by their display name when `names`
    knows them."""
    names = names or {}
    rows: list[tuple[str, ...]] = []
    for r in records:
        rows.append(
            (
                str(r.id),
                fmt.when(r.at, now) if r.at else fmt.NONE,
                names.get(r.agent_id, r.agent_id),
                r.channel,
                r.event,
                r.status,
                str(r.attempts),
                redact(fmt.snippet(r.last_error or _grouped(r, now), 120), secrets),
            )
        )
    return rows


def _grouped(r: AlertRecord, now: float) -> str:
    """A page sent in one message with other agents' (alerting.group_wait)."""
    if r.group_id is None:
        return ""
    if r.status == "pending" and r.attempts == 0 and r.next_attempt_at is not None:
        return f"grouped #{r.group_id}: goes out at {fmt.clock(r.next_attempt_at)}"
    return f"grouped #{r.group_id}"


def attempt_lines(attempts: Sequence[AttemptRecord], secrets: frozenset[str], now: float) -> str:
    """Every delivery attempt of one alert: when, the result, the receiver's status, how
    long it took and what went wrong."""
    if not attempts:
        return "No delivery attempt yet."
    lines = []
    for a in attempts:
        status = f"HTTP {a.http_status}" if a.http_status else ""
        took = fmt.latency(a.elapsed) if a.elapsed is not None else ""
        error = redact(fmt.snippet(a.error or "", 100), secrets)
        parts = [fmt.when(a.at, now), a.result, status, took, error]
        lines.append("  ".join(p for p in parts if p))
    return "\n".join(lines)


class AlertsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,a", "app.pop_screen", "back", id="alerts-close")]
    DEFAULT_CSS = """
    AlertsScreen #alerts-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    AlertsScreen DataTable { height: 1fr; }
    AlertsScreen #alerts-empty { padding: 1 2; }
    AlertsScreen #alerts-attempts { height: auto; max-height: 8; padding: 0 1;
                                    border-top: solid $panel; }
    """

    def __init__(self, api: MonitorAPI, *, clock: Callable[[], float]) -> None:
        super().__init__()
        self.api = api
        self.clock = clock
        self._rows: list[tuple[str, ...]] | None = None
        self._ready = False
        # Kept, never looked up: alert events may arrive before compose or while the
        # app closes.
        self._table = ListTable(id="alerts-log", cursor_type="row")
        self._empty = Static("", id="alerts-empty")
        self._attempts = Static("", id="alerts-attempts", markup=False)

    def compose(self) -> ComposeResult:
        yield Static("alert deliveries, newest first", id="alerts-title")
        yield self._table
        yield self._empty
        yield self._attempts
        yield Footer()

    async def on_mount(self) -> None:
        self._ready = True
        self._table.add_columns(
            "WHEN", "AGENT", "CHANNEL", "EVENT", "STATUS", "TRIES", "LAST ERROR"
        )
        await self.fill()
        self._table.focus()

    @says_why
    async def fill(self) -> None:
        if not self._ready:
            return  # on_mount fills it; until then the table has no columns
        empty = self._empty
        config = self.api.config
        names = {a.id: a.name for a in config.agents}
        records = await self.api.alert_log(LOG_LIMIT)
        rows = log_rows(records, frozenset(config.secrets), self.clock(), names)
        if rows == self._rows:
            return
        self._rows = rows
        table = self._table
        selected = self.selected_alert()
        table.clear()
        for row in rows:
            table.add_row(*row[1:], key=row[0])
        if selected is not None and str(selected) in {r[0] for r in rows}:
            table.move_cursor(row=table.get_row_index(str(selected)))
        empty.update("" if rows else "No alert has been sent yet.")
        await self.show_attempts()

    def selected_alert(self) -> int | None:
        table = self._table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key and key.isdigit() else None

    @says_why
    async def show_attempts(self) -> None:
        """The attempts of the highlighted alert, under the log."""
        alert_id = self.selected_alert()
        text = ""
        if alert_id is not None:
            secrets = frozenset(self.api.config.secrets)
            attempts = await self.api.alert_attempts(alert_id)
            text = f"attempts of alert {alert_id}:\n" + attempt_lines(
                attempts, secrets, self.clock())
        self._attempts.update(text)

    @says_why
    async def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        await self.show_attempts()

    def monitor_event(self, event: events.Event) -> None:
        if isinstance(event, events.AlertChanged):
            self.run_worker(self.fill(), group="alerts-fill", exclusive=True,
                            exit_on_error=False)
