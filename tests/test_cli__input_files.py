"""What a person hands the command line — ``--input``/``--data`` inline or as
``@file``, definition files — is refused with one clear line, never a traceback,
however broken it is. In-process (click's ``CliRunner``), on both databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from civicflow.cli import main
from tests.conftest import DATA
from workflow.store.database import Database

CLERK = "ben.okafor@planning.example.gov"  # planning/intake in tests/data/directory/small.yaml

Run = Callable[..., Result]


@pytest.fixture
def run(committed: Database, tmp_path: Path) -> Run:
    """``civicflow ARGS...`` against the test database, which holds the small
    directory and the ``wait-for-applicant`` workflow."""
    env = {"CIVICFLOW_DATABASE_URL": committed.url, "CIVICFLOW_DATA_DIR": str(tmp_path)}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    assert invoke("users", "import", str(DATA / "directory" / "small.yaml")).exit_code == 0
    assert invoke("definitions", "load", str(DATA / "engine" / "wait.yaml")).exit_code == 0
    return invoke


def refused(result: Result, message: str) -> bool:
    """Exit 1 with ``message`` on stderr, and no exception escaped the command."""
    return (
        result.exit_code == 1
        and isinstance(result.exception, SystemExit)
        and message in result.stderr
        and "Traceback" not in result.output
    )


def start(run: Run, input: str) -> Result:
    return run("start", "wait-for-applicant", "--as", CLERK, "--input", input)


def test_input_file__that_is_missing_is_refused_by_name(run: Run, tmp_path: Path) -> None:
    result = start(run, f"@{tmp_path / 'missing.json'}")
    assert refused(result, "--input: cannot read"), result.output
    assert "missing.json" in result.stderr


def test_input_file__that_is_a_directory_is_refused(run: Run, tmp_path: Path) -> None:
    assert refused(start(run, f"@{tmp_path}"), "--input: cannot read")


def test_input_file__in_latin_1_is_refused_as_not_utf_8(run: Run, tmp_path: Path) -> None:
    file = tmp_path / "input.json"
    file.write_bytes('{"applicant": "Jos\xe9"}'.encode("latin-1"))
    assert refused(start(run, f"@{file}"), "is not UTF-8 text (byte 0xe9")


def test_input__json_100000_levels_deep_is_refused(run: Run) -> None:
    assert refused(start(run, "[" * 100_000 + "]" * 100_000), "--input is nested too deeply")


def test_input__a_5000_digit_integer_is_refused(run: Run) -> None:
    assert refused(start(run, '{"n": ' + "9" * 5000 + "}"), "--input is not valid JSON")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_input__a_number_that_is_not_finite_is_refused(run: Run, number: str) -> None:
    result = start(run, f'{{"applicant": "Jo", "n": {number}}}')
    assert refused(result, "numbers must be finite"), result.output


def test_input__a_lone_surrogate_is_refused(run: Run) -> None:
    result = start(run, '{"applicant": "J\\ud800o"}')
    assert refused(result, "lone surrogate"), result.output


def test_definitions_load__a_missing_file_is_a_problem_at_its_name(
    run: Run, tmp_path: Path
) -> None:
    result = run("definitions", "load", str(tmp_path / "nope.yaml"))
    assert refused(result, "nope.yaml:1:1: error: cannot read the file"), result.output


def test_definitions_load__a_file_not_in_utf_8_is_a_problem_at_the_byte(
    run: Run, tmp_path: Path
) -> None:
    file = tmp_path / "latin.yaml"
    file.write_bytes((DATA / "engine" / "wait.yaml").read_bytes() + "# caf\xe9\n".encode("latin-1"))
    result = run("definitions", "load", str(file))
    assert refused(result, "the file is not UTF-8 text (byte 0xe9)"), result.output
