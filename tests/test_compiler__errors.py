"""Invalid definitions and unreadable files raise one DefinitionError with every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow import compile_definition, load_definition
from workflow.errors import DefinitionError

DATA = Path(__file__).parent / "data"


def test_invalid_definition_raises_with_all_problems() -> None:
    text = (DATA / "invalid" / "several-problems.yaml").read_text(encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        compile_definition(text, "several.yaml")
    assert len(caught.value.problems) == 3


def test_problems_carry_the_given_path() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_definition("workflow: x\n", "defs/x.yaml")
    assert all(p.file == "defs/x.yaml" for p in caught.value.problems)


def test_yaml_error_raises_definition_error() -> None:
    with pytest.raises(DefinitionError, match="invalid YAML"):
        compile_definition("workflow: [\n")


def test_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot read the file"):
        load_definition(tmp_path / "absent.yaml")


def test_directory_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot read the file"):
        load_definition(tmp_path)


def test_non_utf8_file_is_a_definition_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"title: Caf\xe9\n")
    with pytest.raises(DefinitionError, match="not UTF-8"):
        load_definition(path)


def test_error_message_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(tmp_path / "absent.yaml")
    assert str(tmp_path / "absent.yaml") in str(caught.value)
