"""Valid definitions produce no problems, whatever features they use."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow import validate_paths

DATA = Path(__file__).parent / "data"
VALID = sorted([*(DATA / "valid").glob("*.yaml"), *(DATA / "engine").glob("*.yaml")])


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_definition_has_no_problems(path: Path) -> None:
    assert validate_paths([path]) == []


def test_directory_means_its_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("workflow: [\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("workflow: [\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("workflow: [\n", encoding="utf-8")
    files = {Path(p.file).name for p in validate_paths([tmp_path])}
    assert files == {"a.yaml", "b.yml"}


def test_empty_directory_is_a_problem(tmp_path: Path) -> None:
    [problem] = validate_paths([tmp_path])
    assert "no *.yaml or *.yml files" in problem.message


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    [problem] = validate_paths([tmp_path / "absent.yaml"])
    assert problem.file.endswith("absent.yaml") and "cannot read" in problem.message


def test_non_utf8_file_is_a_problem_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"workflow: demo\ntitle: Caf\xe9\n")
    [problem] = validate_paths([path])
    assert (problem.line, problem.column, "not UTF-8" in problem.message) == (2, 11, True)


def test_same_workflow_key_in_two_files_is_a_problem(tmp_path: Path) -> None:
    text = (DATA / "valid" / "minimal.yaml").read_text(encoding="utf-8")
    (tmp_path / "one.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "two.yaml").write_text(text, encoding="utf-8")
    [problem] = validate_paths([tmp_path])
    assert problem.file.endswith("two.yaml") and "also in" in problem.message
