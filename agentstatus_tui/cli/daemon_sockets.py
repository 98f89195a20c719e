"""Where a running `agentstatus serve` is looked for when none is named: the socket serve
listens on by default for a data dir, then the team's system daemon's (the systemd unit's
/run/agentstatus/api.sock). One list for every command that asks a daemon (`status`,
`check --server`) and for the dashboard, which attaches only to a daemon that keeps the
same data dir as its own (a daemon for other agents would show the wrong monitor)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

SYSTEM_SOCKET = Path("/run/agentstatus/api.sock")  # where the systemd unit puts it
STATUS_TIMEOUT = 5.0  # seconds a daemon that accepted the connection has to say who it is


def data_dir_path(named: str | None) -> Path:
    """The data dir a command uses (`--data-dir` or the config's `data_dir:`, else
    $AGENTSTATUS_DATA_DIR, else the user's data dir), absolute; nothing is created."""
    import platformdirs

    from ..engine.history.db import APP_NAME

    raw = named or os.environ.get("AGENTSTATUS_DATA_DIR")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir(APP_NAME))
    return path.resolve()


def default_sockets(data_dir: Path) -> tuple[Path, ...]:
    """The sockets a daemon for `data_dir` may answer on, the likeliest first: the one
    `agentstatus serve` picks by default ($XDG_RUNTIME_DIR/agentstatus/api.sock, else
    beside the store), then the system daemon's."""
    own = serve_default_socket(data_dir)
    return (own,) if own == SYSTEM_SOCKET else (own, SYSTEM_SOCKET)


def serve_default_socket(data_dir: Path) -> Path:
    """serve's own rule (`serve.listen.default_socket`, which a test holds this to),
    without importing the daemon's web server to start a dashboard."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return (Path(runtime) / "agentstatus" if runtime else data_dir) / "api.sock"


@dataclass(frozen=True)
class OtherDaemon:
    """A daemon that answers on a default socket but is not this data dir's."""

    socket: Path
    data_dir: str | None  # None: it did not say

    def reason(self, mine: Path) -> str:
        """Why a dashboard for `mine` polls from here instead of showing this daemon."""
        theirs = (f"keeps its history in {self.data_dir}" if self.data_dir
                  else "did not say which data dir it keeps")
        return (f"the daemon on {self.socket} {theirs}, not {mine}: polling "
                f"from here (--attach {self.socket} shows it instead)")

    def line(self, mine: Path) -> str:
        return f"agentstatus: {self.reason(mine)}"


def find_daemon(named_data_dir: str | None, said: list[str] | None = None) -> Path | None:
    """The default socket of a daemon keeping this data dir's history, if one answers;
    when only other daemons answer, one line on stderr says so (and the caller polls
    from here). The reason is also added to `said`, for the dashboard to show."""
    mine = data_dir_path(named_data_dir)
    found, others = daemon_for(mine)
    if found is None and others:
        print(others[0].line(mine), file=sys.stderr)
        if said is not None:
            said.append(others[0].reason(mine))
    return found


def daemon_for(mine: Path) -> tuple[Path | None, list[OtherDaemon]]:
    """The default socket on which a daemon keeping `mine` answers (None: no such
    daemon), and the other daemons that answer on the default sockets."""
    from ..client.target import socket_answers

    others: list[OtherDaemon] = []
    for path in default_sockets(mine):
        if not socket_answers(path):
            continue
        theirs = daemon_data_dir(path)
        if theirs is not None and Path(theirs) == mine:
            return path, others
        others.append(OtherDaemon(path, theirs))
    return None, others


def daemon_data_dir(path: Path) -> str | None:
    """The data dir the daemon on the socket `path` says it keeps (`GET /api/v1/status`);
    None when it does not say or cannot be asked."""
    from ..client.target import Target
    from .daemon_client import DaemonClient, DaemonError

    try:
        with DaemonClient(Target(socket=path), None, STATUS_TIMEOUT) as client:
            _, doc = client.get("/api/v1/status", ok=(200, 503))
    except DaemonError:
        return None
    found = doc.get("data_dir") if isinstance(doc, dict) else None
    return found if isinstance(found, str) and found else None
