"""The ``civicflow`` command as a person uses it: exit codes and output.

The commands run in this process through click's ``CliRunner`` (a process per command
cost seconds each); tests/test_cli__entry_point.py runs the installed command once as
a real process. An exception the command does not turn into an error message is not
caught here (``catch_exceptions=False``), so it fails the test with its traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from civicflow.cli import main
from tests.conftest import DATA
from workflow.store.database import Database
from workflow.store.models import AuditRow

ROOT = Path(__file__).parent.parent
INVALID = DATA / "invalid"


def civicflow(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_validate__valid_definitions_exit_0() -> None:
    result = civicflow("validate", str(ROOT / "definitions"))
    assert (result.exit_code, result.stdout) == (0, "")


def test_validate__one_line_per_problem_and_exit_1() -> None:
    result = civicflow(
        "validate", str(INVALID / "several-problems.yaml"), str(INVALID / "unknown-key.yaml")
    )
    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    assert len(lines) >= 3
    assert all(re.match(r"^.+\.yaml:\d+:\d+: error: .+", line) for line in lines), lines


def test_validate__every_broken_file_gives_lines_not_a_traceback() -> None:
    result = civicflow("validate", str(INVALID))
    assert result.exit_code == 1
    named = {line.split(":", 1)[0] for line in result.stdout.splitlines()}
    assert len(named) == len(list(INVALID.glob("*.yaml")))


def test_validate__a_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    result = civicflow("validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1 and "nope.yaml" in result.stdout


@pytest.mark.parametrize(("fmt", "marker"), [("mermaid", "flowchart TD"), ("dot", "digraph")])
def test_graph__prints_a_diagram(fmt: str, marker: str) -> None:
    result = civicflow("graph", str(ROOT / "definitions" / "building-permit.yaml"), "--format", fmt)
    assert result.exit_code == 0 and result.stdout.startswith(marker)


def test_graph__of_a_broken_file_reports_problems() -> None:
    result = civicflow("graph", str(INVALID / "unknown-key.yaml"))
    assert result.exit_code == 1 and ": error: " in result.stderr


@pytest.fixture
def shell(committed: Database, tmp_path: Path) -> dict[str, str]:
    """The environment of a shell whose database is migrated and holds the demo staff
    and the example definitions, set up with the commands a person would type."""
    env = {"CIVICFLOW_DATABASE_URL": committed.url, "CIVICFLOW_DATA_DIR": str(tmp_path)}
    assert civicflow("db", "upgrade", env=env).exit_code == 0
    assert (
        civicflow("users", "import", str(ROOT / "demo" / "directory.yaml"), env=env).exit_code == 0
    )
    assert civicflow("definitions", "load", env=env).exit_code == 0
    return env


def start_permit(env: dict[str, str], address: str, floor_area_m2: int) -> str:
    """Start a building permit as a clerk; the id of its intake task."""
    started = civicflow(
        "start",
        "building-permit",
        "--as",
        "ben.okafor@planning.example.gov",
        "--input",
        f'{{"applicant": "Jo", "address": "{address}", "floor_area_m2": {floor_area_m2}}}',
        env=env,
    )
    found = re.search(r"task (\S+) \[planning/intake\]", started.stdout)
    assert started.exit_code == 0 and found is not None, started.stderr
    return found[1]


def test_a_case_from_the_shell_and_audit_verify(committed: Database, shell: dict[str, str]) -> None:
    env = shell
    task_id = start_permit(env, "1 Main St", 20)
    inbox = civicflow("inbox", "--as", "ana.ortiz@planning.example.gov", env=env)
    assert task_id in inbox.stdout
    refused = civicflow("act", task_id, "accept", "--as", "cleo.park@legal.example.gov", env=env)
    assert refused.exit_code == 1 and "not a member of queue" in refused.stderr
    acted = civicflow(
        "act",
        task_id,
        "accept",
        "--as",
        "ana.ortiz@planning.example.gov",
        "--data",
        '{"notes": "ok"}',
        env=env,
    )
    assert acted.exit_code == 0 and "legal_signoff" in acted.stdout
    verified = civicflow("audit", "verify", env=env)
    assert verified.exit_code == 0 and "intact" in verified.stdout
    with committed.transaction() as session:
        session.execute(
            update(AuditRow)
            .where(AuditRow.action == "task.completed")
            .values(actor="mallory@x.gov")
        )
    broken = civicflow("audit", "verify", env=env)
    assert broken.exit_code == 1
    assert re.search(r"BROKEN instance:\S+ #2 .*edited", broken.stdout), broken.stdout


# The inbox's queries are tested on both databases in tests/test_inbox__*.py; these
# tests are about the command line, so one database will do.
on_sqlite = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def shell_cases(shell: dict[str, str]) -> tuple[dict[str, str], dict[int, str]]:
    """Three building permits started from the shell (floor areas 80, 450 and 450);
    their intake task ids by case number."""
    areas = (80, 450, 450)
    return shell, {n: start_permit(shell, f"{n} Main St", area) for n, area in enumerate(areas)}


@on_sqlite
def test_inbox__filters_on_an_input_field_and_pages_with_the_cursor(shell_cases) -> None:
    env, tasks = shell_cases
    ana = ("inbox", "--as", "ana.ortiz@planning.example.gov")
    first = civicflow(*ana, "--field", "floor_area_m2=450", "--limit", "1", env=env)
    assert first.exit_code == 0, first.stderr
    cursor = re.search(r"more: add --cursor (\S+)", first.stderr)
    assert cursor is not None, first.stderr
    rest = civicflow(
        *ana, "--field", "floor_area_m2=450", "--limit", "1", "--cursor", cursor[1], env=env
    )
    assert rest.exit_code == 0 and "more:" not in rest.stderr
    listed = {line.split()[0] for line in (first.stdout + rest.stdout).splitlines()}
    assert listed == {tasks[1], tasks[2]}


@on_sqlite
def test_inbox__a_text_field_matches_text_only(shell_cases) -> None:
    env, tasks = shell_cases
    ana = ("inbox", "--as", "ana.ortiz@planning.example.gov")
    by_address = civicflow(*ana, "--field", "address=0 Main St", env=env)
    assert [line.split()[0] for line in by_address.stdout.splitlines()] == [tasks[0]]
    as_text = civicflow(*ana, "--field", 'floor_area_m2="450"', env=env)
    assert (as_text.exit_code, as_text.stdout) == (0, "")


@on_sqlite
def test_inbox__an_edited_cursor_is_refused(shell_cases) -> None:
    env, _ = shell_cases
    ana = ("inbox", "--as", "ana.ortiz@planning.example.gov")
    result = civicflow(*ana, "--cursor", "bm9uc2Vuc2U", env=env)
    assert result.exit_code == 1 and "malformed cursor" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--field", "floor_area_m2"), 2, "is not NAME=VALUE"),
        (("--due-after", "next week"), 2, "is not an ISO 8601 date"),
        (("--field", "a.b=1"), 1, "field name 'a.b' is not valid"),
        (("--view", "all"), 2, "'all' is not one of"),
    ],
)
def test_inbox__bad_options_say_what_is_wrong_before_any_database_work(
    tmp_path: Path, args: tuple[str, ...], code: int, says: str
) -> None:
    env = {"CIVICFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/none.db"}
    result = civicflow("inbox", "--as", "ana.ortiz@planning.example.gov", *args, env=env)
    assert result.exit_code == code and says in result.stderr, result.stderr
    assert not (tmp_path / "none.db").exists()


def test_errors__a_broken_definition_prints_file_line_column_per_problem() -> None:
    result = civicflow("graph", str(INVALID / "several-problems.yaml"))
    lines = result.stderr.splitlines()
    assert (result.exit_code, result.stdout) == (1, "")
    assert len(lines) >= 2
    assert all(re.match(r"^.+several-problems\.yaml:\d+:\d+: error: .+", x) for x in lines), lines


@on_sqlite
def test_errors__invalid_input_is_one_error_line_then_one_line_per_field(
    shell: dict[str, str],
) -> None:
    result = civicflow(
        "start",
        "building-permit",
        "--as",
        "ben.okafor@planning.example.gov",
        "--input",
        '{"applicant": "Jo", "address": "1 Main St", "floor_area_m2": "big"}',
        env=shell,
    )
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "error: input is invalid: /floor_area_m2: 'big' is not of type 'number'",
        "  /floor_area_m2: 'big' is not of type 'number'",
    ]
