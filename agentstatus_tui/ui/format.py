"""Pure text of the dashboard's cells: verdict words, region cells, error codes, snippets.

No Textual here: every string the grid, header and detail pane show is decided by these
functions, so they can be tested as plain data and so a cell is rewritten only when its
text really changes. Numbers and times read as the engine's text module writes them
(re-exported here), the same as in the CLI, alerts and incident documents.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..engine.model import Stats, Verdict
from ..engine.text import NONE as NONE
from ..engine.text import age as age
from ..engine.text import clock as clock
from ..engine.text import coarse_duration as coarse_duration
from ..engine.text import latency as latency
from ..engine.text import percent as percent
from ..engine.text import uptime as uptime
from ..engine.text import when as when

REACHABLE_MARK = "·"
SKIPPED_MARK = "?"  # gold prompts configured, none ran: the semantic check did not run
IN_FLIGHT_MARK = "~"
# A paused agent is not polled: its verdict and every region of it read PAUSED (its
# verdict is UNKNOWN in JSON and history), never UNKNOWN as if its runs failed to tell.
PAUSED = "PAUSED"

# Short forms for narrow terminals. Words stay words (no colour needed to read them).
_SHORT_VERDICT = {
    Verdict.UP: "UP",
    Verdict.REACHABLE: "UP" + REACHABLE_MARK,
    Verdict.DEGRADED: "DEG",
    Verdict.DOWN: "DOWN",
    Verdict.UNKNOWN: "UNK",
}
_SHORT_ERROR = {
    "TIMEOUT": "T/O",  # not "TIME": "DOWN TIME" would read as downtime
    "CONNECT": "CONN",
    "PROTOCOL": "PROTO",
    "BAD_BODY": "BODY",
    "TOO_LARGE": "BIG",
    "EVAL_FAIL": "EVAL",
    "CANARY": "CANRY",
}


def verdict_word(verdict: Verdict, *, short: bool = False, eval_skipped: bool = False) -> str:
    """The word shown for a verdict. REACHABLE (up, but no gold prompt checks the answers)
    reads as UP with a mark: `UP·` when the agent has no gold prompts, `UP?` when it has
    some but none ran (`eval_skipped`); JSON and history keep the full word."""
    if verdict is Verdict.REACHABLE and eval_skipped:
        return "UP" + SKIPPED_MARK
    if short:
        return _SHORT_VERDICT[verdict]
    if verdict is Verdict.REACHABLE:
        return "UP" + REACHABLE_MARK
    return verdict.value


def eval_skipped(gold_prompts: int, stats: Stats | None) -> bool:
    """Gold prompts are configured but none got a slot in this run."""
    return gold_prompts > 0 and stats is not None and not stats.discarded and stats.gold == 0


def runs(n: int) -> str:
    """`last run`, `last 12 runs`."""
    return "last run" if n == 1 else f"last {n} runs"


def error_code(code: str, *, short: bool = False) -> str:
    if not short:
        return code
    if code.startswith("HTTP_"):
        return code[5:]
    return _SHORT_ERROR.get(code, code)


def top_error(errors: Mapping[str, int]) -> str | None:
    """The most frequent error code (ties: alphabetical, so the text is stable)."""
    if not errors:
        return None
    return min(errors.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def region_cell(verdict: Verdict, stats: Stats | None, *, short: bool = False,
                eval_skipped: bool = False) -> str:
    """One region's cell: `UP 245ms`, `DEGRADED 4.2s`, `DOWN HTTP_503`, `UNKNOWN`.

    DOWN shows why (its top error code); other verdicts show the median latency, or the
    top error when nothing answered."""
    word = verdict_word(verdict, short=short, eval_skipped=eval_skipped)
    if verdict is Verdict.UNKNOWN or stats is None or stats.discarded:
        return word
    err = top_error(stats.errors)
    if verdict is Verdict.DOWN or stats.ttfb_p50 is None:
        return f"{word} {error_code(err, short=short)}" if err else word
    return f"{word} {latency(stats.ttfb_p50)}"


def snippet(text: str | None, limit: int = 160) -> str:
    """One line of at most `limit` characters (bodies can be long and multi-line)."""
    if not text:
        return ""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def error_counts(errors: Mapping[str, int]) -> str:
    """`HTTP_503×3 TIMEOUT` — most frequent first; `-` when there were none."""
    if not errors:
        return NONE
    items = sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))
    return " ".join(code if n == 1 else f"{code}×{n}" for code, n in items)
