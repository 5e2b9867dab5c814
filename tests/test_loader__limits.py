"""A definition's size is bounded before it is built: an oversized file or document is
one clear problem, found without composing (a 16 MB file used to take 1.2 GB and 28 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow import validate_paths
from workflow.errors import DefinitionError
from workflow.language.loader import MAX_CHARACTERS, MAX_EVENTS, load_document


def test_text_over_the_size_limit__is_one_problem_at_the_top() -> None:
    text = "workflow: demo\n" + "#" * MAX_CHARACTERS

    with pytest.raises(DefinitionError) as refused:
        load_document(text, "big.yaml")

    [problem] = refused.value.problems
    assert (problem.line, problem.column) == (1, 1)
    assert f"at most {MAX_CHARACTERS:,}" in problem.message


def test_a_document_of_too_many_values__is_refused_where_the_limit_was_passed() -> None:
    text = "states: [" + "1, " * MAX_EVENTS + "1]\n"  # under the size limit

    with pytest.raises(DefinitionError) as refused:
        load_document(text, "many.yaml")

    [problem] = refused.value.problems
    assert problem.line == 1 and problem.column > 1
    assert f"more than {MAX_EVENTS:,} YAML values" in problem.message


def test_a_16_mb_file__is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("workflow: demo\nstates:\n" + "  - 1\n" * 3_000_000, encoding="utf-8")

    [problem] = validate_paths([path])

    assert problem.file == str(path)
    assert f"larger than {MAX_CHARACTERS:,} bytes" in problem.message
