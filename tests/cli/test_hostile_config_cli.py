"""`validate` and `check` given a hostile config: each ends at once with the config error
(validate exit 2, check exit 3 as for any config error), never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_config_hostile import laughs, merge_bomb

AGENT = "  - id: bot\n    url: http://127.0.0.1:9/v1/chat/completions\n"


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process; one that hangs fails the test after 45 s."""
    return subprocess.run(
        [sys.executable, "-m", "agentstatus_tui", *argv],
        capture_output=True, text=True, timeout=45, stdin=subprocess.DEVNULL,
    )


CASES = {
    "merge-bomb": (merge_bomb(), "config too large"),
    "billion-laughs": (laughs(), "config too large"),
    "self-merge": (f"defaults: &r {{timeout: 5s, <<: *r}}\nagents:\n{AGENT}",
                   "config too deeply merged"),
    "validations": (f"agents:\n{AGENT}    validations: 200000\n",
                    "agents[0].validations: must be between 1 and 1000"),
    "interval": (f"agents:\n{AGENT}    interval: 1ms\n",
                 "agents[0].interval: must be between 1s and 1d"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_validate_and_check_refuse_a_hostile_config_at_once(case: str, tmp_path: Path) -> None:
    text, expected = CASES[case]
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(text)
    out = run_cli("validate", str(cfg))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    first = out.stderr.splitlines()[0]
    assert first.startswith(f"{cfg}:") and expected in first, out.stderr
    out = run_cli("check", "--config", str(cfg), "--data-dir", str(tmp_path / "data"))
    assert out.returncode == 3, out.stderr
    assert "Traceback" not in out.stderr
    assert expected in out.stderr


def test_validate_a_binary_file_names_it(tmp_path: Path) -> None:
    cfg = tmp_path / "agents.yaml"
    cfg.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    out = run_cli("validate", str(cfg))
    assert "Traceback" not in out.stderr
    assert out.returncode == 2
    assert out.stderr.splitlines() == [f"{cfg}:1: (top level): the file is not UTF-8 text",
                                       f"{cfg}: 1 error"]
    # The same words as check, which already said it cleanly.
    out = run_cli("check", "--config", str(cfg))
    assert out.returncode == 3
    assert out.stderr.splitlines()[0] == f"{cfg}:1: (top level): the file is not UTF-8 text"
