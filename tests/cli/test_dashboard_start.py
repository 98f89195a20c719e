"""The dashboard's start-up reads its options without building every command's parser
(and importing their modules), with exactly the result the full parser gives; and the
screen's code and the engine's Monitor import no HTTP client before the first frame
(the client comes with the first poll, or with attaching to a daemon)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agentstatus_tui.cli import build_parser, dashboard_args

DASHBOARD = [
    [],
    ["--demo"],
    ["--config", "agents.yaml", "--data-dir", "data"],
    ["-c", "check"],  # a value that is also a command's name
    ["--conf", "a.yaml", "--theme", "light", "--local"],  # abbreviated, as argparse allows
    ["--attach", "unix:/run/agentstatus/api.sock", "--token", "t"],
    ["--config=a.yaml", "--data-dir=d"],
]
NOT_THE_DASHBOARD = [
    ["check"],
    ["--config", "a.yaml", "check", "--json"],
    ["-h"],
    ["--he"],
    ["--version"],
    ["--theme"],  # no value: the full parser says so
    ["--local", "--attach", "x"],  # not allowed together: the full parser says so
    ["--bogus"],
    ["--", "check"],
]


@pytest.mark.parametrize("argv", DASHBOARD, ids=" ".join)
def test_dashboard_options_read_as_the_full_parser_reads_them(argv: list[str]) -> None:
    assert dashboard_args(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize("argv", NOT_THE_DASHBOARD, ids=" ".join)
def test_commands_help_and_mistakes_go_to_the_full_parser(argv: list[str]) -> None:
    assert dashboard_args(argv) is None


def imported_after(code: str) -> set[str]:
    run = (f"import sys\n{code}\n"
           "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_reading_the_dashboards_options_imports_no_command_module() -> None:
    code = ("from agentstatus_tui.cli import dashboard_args\n"
            "assert dashboard_args(['--config', 'a.yaml']) is not None\n"
            "print(sorted(m for m in sys.modules if m.startswith('agentstatus_tui.cli.')))")
    out = subprocess.run([sys.executable, "-c", "import sys\n" + code],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['agentstatus_tui.cli.attach', 'agentstatus_tui.cli.common']"


def test_the_screen_and_the_monitor_import_no_http_client() -> None:
    loaded = imported_after("import agentstatus_tui.ui.app, agentstatus_tui.engine.monitor")
    assert "textual" in loaded
    assert not loaded & {"aiohttp", "httpx", "httpx_aiohttp", "aiosmtplib"}, loaded
