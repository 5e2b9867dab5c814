"""Every key and value keeps the line and column it was written at (1-based)."""

from __future__ import annotations

from workflow.language.loader import load_document

TEXT = """\
workflow: demo
states:
  intake:
    task:
      queue: planning/intake
    on: {accept: done, reject: done}
  list:
    - first
    - "second value"
guard: "input.size > 5"
folded: >-
  input.a and
  input.b
"""


def test_value_position() -> None:
    assert load_document(TEXT, "f.yaml").where(("states", "intake", "task", "queue")) == (5, 14)


def test_key_position() -> None:
    assert load_document(TEXT, "f.yaml").key_where(("states", "intake", "task", "queue")) == (5, 7)


def test_flow_mapping_value_position() -> None:
    assert load_document(TEXT, "f.yaml").where(("states", "intake", "on", "reject")) == (6, 32)


def test_list_item_position() -> None:
    assert load_document(TEXT, "f.yaml").where(("states", "list", 1)) == (9, 7)


def test_missing_path_falls_back_to_nearest_ancestor() -> None:
    document = load_document(TEXT, "f.yaml")
    assert document.where(("states", "intake", "task", "title")) == (5, 7)


def test_missing_key_falls_back_to_nearest_ancestor_key() -> None:
    document = load_document(TEXT, "f.yaml")
    assert document.key_where(("states", "intake", "wait", "timeout")) == (3, 3)


def test_offset_inside_quoted_value() -> None:
    assert load_document(TEXT, "f.yaml").where_in(("guard",), 6) == (10, 15)


def test_offset_inside_folded_block_value() -> None:
    assert load_document(TEXT, "f.yaml").where_in(("folded",), 14) == (13, 5)


def test_problem_names_file_line_and_column() -> None:
    problem = load_document(TEXT, "defs/demo.yaml").problem(("workflow",), "bad")
    assert str(problem) == "defs/demo.yaml:1:11: error: bad"


def test_problem_at_key() -> None:
    problem = load_document(TEXT, "f.yaml").problem(("states", "intake"), "bad", key=True)
    assert (problem.line, problem.column) == (3, 3)
