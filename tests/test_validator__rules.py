"""Every rule of the definition language, one broken definition per rule.

Each file under ``tests/data/invalid/`` begins with ``# expect: LINE: substring``
comments: a problem whose message contains ``substring`` must point at ``LINE``
(±1). Every expected problem must be reported, and nothing else: a mistake that is
echoed by unrelated complaints is a bug too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflow import validate_paths
from workflow.errors import Problem

INVALID = Path(__file__).parent / "data" / "invalid"
FILES = sorted(INVALID.glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (\d+): (.+)$")


def expectations(path: Path) -> list[tuple[int, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = _EXPECT.match(line)
        if match:
            found.append((int(match[1]), match[2].strip()))
    return found


def matches(problem: Problem, line: int, text: str) -> bool:
    return abs(problem.line - line) <= 1 and text in problem.message


def test_there_is_a_broken_definition_for_every_rule() -> None:
    assert len(FILES) >= 25


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_declares_expectations(path: Path) -> None:
    assert expectations(path), f"{path.name} has no '# expect: LINE: text' header"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_expected_problem_is_reported(path: Path) -> None:
    problems = validate_paths([path])
    missing = [
        (line, text)
        for line, text in expectations(path)
        if not any(matches(p, line, text) for p in problems)
    ]
    assert not missing, "\n".join(map(str, problems))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_nothing_unexpected_is_reported(path: Path) -> None:
    expected = expectations(path)
    extra = [p for p in validate_paths([path]) if not any(matches(p, *e) for e in expected)]
    assert not extra, "\n".join(map(str, extra))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_problems_name_the_file(path: Path) -> None:
    assert all(p.file == str(path) for p in validate_paths([path]))
