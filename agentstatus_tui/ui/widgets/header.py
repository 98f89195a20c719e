"""The header line: verdict counts, alert delivery health and the time of the last run,
fitted to the width (the DOWN count is the last thing to go), red when paging fails."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

from ...engine.frontend import LOCAL, Connection
from ...engine.model import Verdict
from .. import format as fmt
from ..part_style import part_style

if TYPE_CHECKING:  # the alert outbox is the engine's: the header only reads what it says
    from ...engine.alerts.outbox import AlertHealth, ChannelFailure

ORDER = (Verdict.UP, Verdict.DEGRADED, Verdict.DOWN, Verdict.UNKNOWN)
TITLE = "AgentStatus"
GAP = 3  # spaces between the header's parts


PAUSED = "PAUSED"  # counted apart: a paused agent is not polled, not of unknown health
SHORT = {Verdict.DEGRADED.value: "DEG", Verdict.UNKNOWN.value: "UNK"}


def _counts(states: Iterable[Any]) -> Counter[str]:
    return Counter(PAUSED if s.paused else Verdict.UP.value if s.verdict.is_up
                   else s.verdict.value for s in states)


def _words(c: Counter[str]) -> list[str]:
    """The counted words in order; PAUSED only when an agent is paused."""
    return [v.value for v in ORDER] + ([PAUSED] if c[PAUSED] else [])


def counts_text(states: Iterable[Any]) -> str:
    """`4 UP   1 DEGRADED   2 DOWN   0 UNKNOWN` (REACHABLE counts as UP), then
    `   1 PAUSED` when an agent is paused (it is not counted as UNKNOWN)."""
    return counts_variants(states)[0]


def counts_variants(states: Iterable[Any]) -> list[str]:
    """The counts from the widest to the narrowest; the last keeps only DOWN."""
    c = _counts(states)
    words = _words(c)
    down = Verdict.DOWN.value
    return [
        "   ".join(f"{c[w]} {w}" for w in words),
        " ".join(f"{c[w]} {SHORT.get(w, w)}" for w in words),
        " ".join(f"{c[w]} {SHORT.get(w, w)}" for w in words if c[w] or w == down),
        f"{c[down]} DOWN",
    ]


def short_error(error: str | None) -> str:
    """`HTTP 500` of `HTTP 500: {"ok": false}`; the first words of any other error."""
    if not error:
        return "no answer"
    head = error.split(":", 1)[0].strip() or error
    return head if len(head) <= 24 else head[:23] + "…"


def failing_text(failing: Sequence[ChannelFailure], *, detail: bool = True) -> str:
    """`PAGING FAILING: slack (HTTP 500 ×6, since 07:14)`."""
    if not detail:
        return "PAGING FAILING: " + ", ".join(f.channel for f in failing)
    parts = [
        f"{f.channel} ({short_error(f.last_error)} ×{f.failed_attempts}, "
        f"since {fmt.clock(f.since, seconds=False)})"
        for f in failing
    ]
    return "PAGING FAILING: " + ", ".join(parts)


@dataclass(frozen=True)
class Paging:
    """What the header says about alert delivery: its texts, widest first, and whether it
    must be loud (red header, toast, bell)."""

    variants: tuple[str, ...]
    loud: bool = False

    @property
    def text(self) -> str:
        return self.variants[0]


def paging(health: AlertHealth | None, *, configured: bool) -> Paging:
    """`alerts: none configured`, `PAGING FAILING: …`, `HEARTBEAT FAILING (…)`,
    `alerts: 1 FAILED`, `alerts: 2 pending`, `alerts: ok`, or `alerts: ?` when the outbox
    cannot be read."""
    if not configured:
        return Paging(("alerts: none configured", "alerts: none", ""))
    if health is None:
        return Paging(("alerts: ?", ""))
    if health.failing:
        return Paging((failing_text(health.failing), failing_text(health.failing, detail=False),
                       "PAGING FAILING"), loud=True)
    if health.heartbeat is not None and health.heartbeat.failing:
        # The switch's service will page about a dead monitor that is not dead.
        return Paging((f"HEARTBEAT FAILING ({short_error(health.heartbeat.last_error)}, since "
                       f"{fmt.clock(health.heartbeat.failing_since, seconds=False)})",
                       "HEARTBEAT FAILING"), loud=True)
    if health.failed:
        return Paging((f"alerts: {health.failed} FAILED", "alerts FAILED"), loud=True)
    if health.pending:
        return Paging((f"alerts: {health.pending} pending", ""))
    return Paging(("alerts: ok", ""))


# The store cannot be written: louder than any paging trouble, since nothing is saved.
STORE_FAILING = Paging(("STORE FAILING: history not saved, DOWN pages sent directly",
                        "STORE FAILING"), loud=True)


def disconnected(where: str) -> Paging:
    """An attached dashboard whose daemon is gone: louder than anything it last heard."""
    return Paging((f"disconnected — retrying ({where})", "disconnected — retrying",
                   "DISCONNECTED"), loud=True)


LOCAL_WHERE = "local"  # this dashboard polls the agents itself (no daemon)


def where_text(connection: Connection) -> str:
    """`attached: api.sock` (a daemon polls; this dashboard shows it), or `local`."""
    return f"attached: {connection.where}" if connection.attached else LOCAL_WHERE


def alerts_text(health: AlertHealth | None, *, configured: bool = True) -> str:
    return paging(health, configured=configured).text


def last_run_text(states: Iterable[Any]) -> str:
    finished = [s.last.finished_at for s in states if s.last is not None]
    return f"last run {fmt.clock(max(finished))}" if finished else "no run yet"


def fit(width: int, counts: Sequence[str], alerts: Sequence[str], last_run: str, *,
        where: str = "", where_outlasts_run: bool = True) -> tuple[str, str, str, str]:
    """(title, counts, alerts, last run) that fit `width`. Given up in this order: the
    title, the last run, where the dashboard's engine is (`where`, in the last run's
    place), the long counts, the alert detail, the other counts; the DOWN count stays.
    A `where` that is not worth the last run's place (`local`: this process polls) is
    shown in it only when the last run does not fit either. Failing paging keeps its
    detail (channel, error, since) longest."""
    tries = []
    alone = [("", counts[0], alerts[0], where)] if where else []
    if where:
        placed = (" " * GAP).join(p for p in (last_run, where) if p)
        tries += [(TITLE, counts[0], alerts[0], placed), ("", counts[0], alerts[0], placed)]
        if where_outlasts_run:
            tries += alone
    tries += [(TITLE, counts[0], alerts[0], last_run), ("", counts[0], alerts[0], last_run)]
    if not where_outlasts_run:
        tries += alone
    tries += [("", c, a, "") for a in alerts for c in counts]
    for t in tries:
        if len((GAP * " ").join(p for p in t if p)) <= width:
            return t
    return ("", counts[-1], "", "")


def changed_spans(before: str, after: str, join: int = 4) -> list[tuple[int, int]]:
    """(start, width) of the stretches where two lines differ; stretches closer than
    `join` characters are one (each stretch costs a cursor move and a colour on the wire)."""
    spans: list[tuple[int, int]] = []
    length = max(len(before), len(after))
    before, after = before.ljust(length), after.ljust(length)
    start = end = -1
    for x in range(length):
        if before[x] == after[x]:
            continue
        if start >= 0 and x - end > join:
            spans.append((start, end - start))
            start = -1
        if start < 0:
            start = x
        end = x + 1
    if start >= 0:
        spans.append((start, end - start))
    return spans


class StatusHeader(Widget):
    """One line drawn from plain data at render time: no parts to look up, so engine events
    may reach `show` before it is mounted (a loaded machine) or while the app closes."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"header--title", "header--loud"}
    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $panel; padding: 0 1; }
    StatusHeader > .header--title { text-style: bold; }
    StatusHeader > .header--loud { color: $verdict-down; text-style: $verdict-down-style; }
    StatusHeader.-paging-failing { background: $verdict-down; color: $background; }
    StatusHeader.-paging-failing > .header--loud { color: $background; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._texts: dict[str, str] = {}
        self._counts: list[str] = [""]
        self._paging = Paging(("",))
        self._shown: tuple[str, str, str, str] = ("", "", "", "")
        # The line as last drawn, and how it was styled: a change of counts or of the
        # last run's time repaints only the characters that changed (over SSH a whole
        # header line is ~160 bytes; a second ticking over is ~30).
        self._drawn: tuple[str, bool, bool] | None = None

    def show(self, states: Iterable[Any], health: AlertHealth | None, *,
             configured: bool = True, store_failing: bool = False,
             connection: Connection = LOCAL) -> None:
        states = list(states)
        self._counts = counts_variants(states)
        if not connection.connected:
            self._paging = disconnected(connection.where)
        else:
            self._paging = (STORE_FAILING if store_failing
                            else paging(health, configured=configured))
        self._texts = {"counts": self._counts[0], "alerts": self._paging.text,
                       "last-run": last_run_text(states),
                       "where": where_text(connection)}
        self.set_class(connection.connected and (bool(health and health.failing)
                                                 or store_failing), "-paging-failing")
        self._repaint()

    def _repaint(self) -> None:
        width = self.content_region.width
        drawn = self._drawn
        if not width or drawn is None or drawn[1:] != (self._paging.loud, self.paging_failing):
            self.refresh()
            return
        line = self._line(width).plain
        spans = changed_spans(drawn[0], line)
        if spans:
            self.refresh(*(Region(x, 0, w, 1) for x, w in spans))

    @property
    def paging_failing(self) -> bool:
        return self.has_class("-paging-failing")

    def render(self) -> Text:
        width = self.content_region.width
        line = self._line(width or 1000)  # not laid out yet: the full line
        self._shown = self._fit(width or 1000)
        self._drawn = (line.plain, self._paging.loud, self.paging_failing) if width else None
        return line

    def _fit(self, width: int) -> tuple[str, str, str, str]:
        return fit(width, self._counts, self._paging.variants, self._texts.get("last-run", ""),
                   where=self._texts.get("where", ""),
                   where_outlasts_run=self._texts.get("where") != LOCAL_WHERE)

    def _line(self, width: int) -> Text:
        title, counts, alerts, last = self._fit(width)
        left = Text()
        if title:
            left.append(title, style=part_style(self, "header--title"))
            left.append(" " * GAP)
        left.append(counts)
        right = Text()
        if alerts:
            loud = part_style(self, "header--loud")
            right.append(alerts, style=loud if self._paging.loud else "")
        if last:
            right.append((" " * GAP if alerts else "") + last)
        gap = max(GAP, width - len(left) - len(right)) if width < 1000 else GAP
        return Text.assemble(left, " " * gap, right, no_wrap=True, overflow="crop")

    def text(self, part: str) -> str:
        """The full text of a part (`counts`, `alerts`, `last-run`, `where`), however
        narrow."""
        return self._texts.get(part, "")

    def shown(self) -> str:
        """The line as drawn at the current width."""
        return (GAP * " ").join(p for p in self._shown if p)
