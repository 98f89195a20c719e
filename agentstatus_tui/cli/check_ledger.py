"""The cron `check`'s memory of what it paged while the store could not be written.

A direct page (the store failing) is remembered only in the process that sent it; a cron
`check` is a new process every minute, so without this each check paged the same DOWN
again. The pages, and the verdict changes behind them, are kept in a small file outside
the data dir — the user's runtime dir ($XDG_RUNTIME_DIR, a tmpfs), else the temp dir —
keyed by the store's path, written atomically and readable by its owner only. The next
check starts from it; once the store takes writes again, it is folded back into the store
(history gets the outage, the page row its page) and deleted. A page that reached no
channel is kept as not sent: the next check pages it again. When the ledger cannot be
written either, the next check pages again: a page twice is the safe side of a page
lost."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.alerts.unstored import Unstored, UnstoredAgent, fold_back, news_for_store
from ..engine.history.health import is_store_failure

if TYPE_CHECKING:
    from ..engine.monitor import Monitor

log = logging.getLogger("agentstatus")

VERSION = 1


def ledger_dirs() -> list[Path]:
    """Where the ledger may be, in the order it is written: the runtime dir, then the
    temp dir (each in a directory of this user's own)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    dirs = []
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime):
        dirs.append(Path(runtime) / "agentstatus")
    temp = os.environ.get("TMPDIR") or tempfile.gettempdir()
    dirs.append(Path(temp) / f"agentstatus-{uid}")
    return dirs


def ledger_name(store_path: str | os.PathLike[str]) -> str:
    key = hashlib.sha256(str(Path(store_path).resolve()).encode()).hexdigest()[:24]
    return f"unstored-pages-{key}.json"


class PageLedger:
    """The ledger of one store (see the module's text)."""

    def __init__(self, store_path: str | os.PathLike[str],
                 dirs: list[Path] | None = None) -> None:
        self.store = str(Path(store_path).resolve())
        self.paths = [d / ledger_name(self.store) for d in (dirs or ledger_dirs())]

    def load(self) -> Unstored | None:
        """The pages kept by an earlier check, or None. A file that is not one of ours
        (another store's, damaged, not owned by this user) is ignored."""
        for path in self.paths:
            try:
                st = path.lstat()
                if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid")
                                                    and st.st_uid != os.getuid()):
                    continue
                doc = json.loads(path.read_text(encoding="utf-8"))
                if doc.get("version") != VERSION or doc.get("store") != self.store:
                    continue
                return Unstored.from_document(doc["agents"])
            except FileNotFoundError:
                continue
            except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
                log.warning("ignoring the unreadable page ledger %s: %s", path, exc)
        return None

    def save(self, unstored: Unstored) -> Path | None:
        """Write the ledger to the first place that takes it (0600, atomically); the
        copies elsewhere go. None when no place could take it."""
        text = json.dumps({"version": VERSION, "store": self.store,
                           "agents": unstored.document()}, sort_keys=True)
        for i, path in enumerate(self.paths):
            try:
                _write_private(path, text)
            except OSError:
                continue
            for other in self.paths[:i] + self.paths[i + 1:]:
                with contextlib.suppress(OSError):
                    other.unlink()
            return path
        return None

    def delete(self) -> None:
        for path in self.paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.parent.lstat()
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        raise PermissionError(f"{path.parent} is not a directory of this user's")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".unstored-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp makes it 0600
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------- a check's use of it


def start_from_ledger(mon: Monitor, ledger: PageLedger, *,
                      fold: bool = True) -> Unstored | None:
    """Before the round: the agents' verdicts and pages as the earlier checks left them
    (the store could not take them), then, if the store takes writes again, folded back
    into it and the ledger deleted. Returns what is still only in the ledger. Without
    `fold` (the store could not even be opened) nothing is folded: the ledger is all the
    check knows."""
    unstored = ledger.load()
    if unstored is None:
        return None
    for agent_id, entry in unstored.agents.items():
        st = mon.states.get(agent_id)
        # A page that reached nobody: the verdict is not taken as known, so the run that
        # sees it again pages it again.
        if (st is not None and not entry.retry and entry.verdict is not None
                and entry.since is not None):
            st.verdict, st.since = entry.verdict, entry.since
    mon.alerts.remember_unstored({a: e.page for a, e in unstored.agents.items()})
    if not fold:
        return unstored
    try:
        fold_back(mon.alerts, mon.store, unstored, mon.clock())
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        mon.writer.health.failed(exc)  # said once, with the round's own failures
        return unstored
    ledger.delete()
    return None


def remember_unstored(mon: Monitor, ledger: PageLedger, kept: Unstored | None) -> str | None:
    """After a round the store could not take: keep its verdict changes and pages in the
    ledger. Returns the one-line warning for stderr when the ledger cannot be written."""
    pages = mon.alerts.unstored_pages()
    undelivered = mon.alerts.undelivered_pages()
    agents = dict(kept.agents) if kept is not None else {}
    for agent_id, st in mon.states.items():
        changes = [(t.at, t.current) for t in reversed(st.transitions)
                   if t.id == 0 and t.region is None]  # id 0: not stored
        if not changes and agent_id not in agents:
            continue
        entry = agents.get(agent_id, UnstoredAgent())
        if agent_id in pages:  # paged (or decided) from memory in this round
            entry = entry.followed_by(changes, undelivered.get(agent_id, pages[agent_id]),
                                      retry=agent_id in undelivered)
        else:
            entry = entry.followed_by(changes, entry.page, retry=entry.retry)
        if agent_id in agents or news_for_store(mon.store, agent_id, entry):
            agents[agent_id] = entry
    if not agents:
        return None
    if ledger.save(Unstored(agents)) is not None:
        return None
    places = " or ".join(str(p.parent) for p in ledger.paths)
    return (f"agentstatus: the pages sent while the store fails cannot be remembered either "
            f"(nothing can be written in {places}): the next check pages them again")
