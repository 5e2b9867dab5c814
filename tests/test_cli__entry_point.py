"""The installed ``civicflow`` command, run once as a real process: the console script,
the command group's error handling and the exit code, as a shell sees them. Every
other CLI test runs the commands in-process (tests/test_cli__commands.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA

CIVICFLOW = Path(sys.executable).with_name("civicflow")


def test_the_installed_command_reports_a_broken_definition_and_exits_1() -> None:
    broken = DATA / "invalid" / "several-problems.yaml"
    result = subprocess.run(
        [str(CIVICFLOW), "graph", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stderr.splitlines()
    assert (result.returncode, result.stdout) == (1, "")
    assert len(lines) >= 2
    assert all(re.match(r"^.+several-problems\.yaml:\d+:\d+: error: .+", x) for x in lines), lines
