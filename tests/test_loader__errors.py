"""YAML-level mistakes become problems at the right place, all of them at once."""

from __future__ import annotations

import pytest

from workflow.errors import DefinitionError, Problem
from workflow.language.loader import load_document


def problems(text: str) -> list[Problem]:
    with pytest.raises(DefinitionError) as caught:
        load_document(text, "f.yaml")
    return list(caught.value.problems)


def test_duplicate_key_points_at_second_occurrence() -> None:
    [problem] = problems("title: a\nowner: x\ntitle: b\n")
    assert (problem.line, problem.column) == (3, 1)


def test_duplicate_key_names_first_line() -> None:
    [problem] = problems("title: a\nowner: x\ntitle: b\n")
    assert "duplicate key 'title' (first defined on line 1)" in problem.message


def test_every_duplicate_is_reported() -> None:
    text = "a: 1\na: 2\nb:\n  c: 1\n  c: 2\n  d: {e: 1, e: 2}\n"
    assert [(p.line, p.column) for p in problems(text)] == [(2, 1), (5, 3), (6, 13)]


def test_syntax_error_is_located() -> None:
    [problem] = problems("title: a\nowner: b: c\n")
    assert (problem.line, problem.column) == (2, 9)


def test_syntax_error_message_is_readable() -> None:
    [problem] = problems("title: a\nowner: b: c\n")
    assert problem.message.startswith("invalid YAML: mapping values are not allowed")


def test_tab_indentation_gets_a_hint() -> None:
    [problem] = problems("states:\n\tintake: x\n")
    assert "use spaces" in problem.message


def test_unclosed_quote_names_where_it_began() -> None:
    [problem] = problems('title: "open\n')
    assert "began at line 1, column 8" in problem.message


def test_second_document_is_refused() -> None:
    [problem] = problems("a: 1\n---\nb: 2\n")
    assert problem.line == 2 and "one document" in problem.message


def test_control_character_is_reported_not_raised() -> None:
    [problem] = problems("title: a\x07\n")
    assert problem.message.startswith("invalid YAML")


def test_complex_key_is_refused() -> None:
    [problem] = problems("? [a, b]\n: 1\n")
    assert "plain name" in problem.message


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    [problem] = problems("a: " + "[" * 5000 + "\n")
    assert "nesting" in problem.message
