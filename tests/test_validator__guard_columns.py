"""Guard and title problems point at the column inside the YAML line, not just the line."""

from __future__ import annotations

import pytest

from workflow.errors import Problem
from workflow.language.loader import load_document
from workflow.language.validator import validate

HEAD = """\
workflow: demo
title: Demo
owner: planning
departments:
  planning: {title: Planning}
input:
  type: object
  properties: {size: {type: number}}
start: route
states:
  done: {final: true}
  route:
    next:
"""


def only_problem(rules: str) -> Problem:
    [problem] = validate(load_document(HEAD + rules + "      - to: done\n", "f.yaml"))
    return problem


def test_syntax_error_in_a_quoted_guard() -> None:
    problem = only_problem('      - when: "input.size and oops(1)"\n        to: done\n')
    # the value's text starts at column 16; 'oops' is 15 characters in
    assert (problem.line, problem.column) == (14, 31)


def test_syntax_error_in_a_plain_guard() -> None:
    problem = only_problem("      - when: input.size and oops(1)\n        to: done\n")
    assert (problem.line, problem.column) == (14, 30)


def test_unknown_input_property_points_at_the_name() -> None:
    problem = only_problem('      - when: "1 < input.sise"\n        to: done\n')
    assert (problem.line, problem.column, "'input.sise'" in problem.message) == (14, 20, True)


def test_unknown_name_in_a_folded_guard_points_at_its_line() -> None:
    rules = "      - when: >-\n          input.size > 1 and\n          inptu.size < 9\n"
    problem = only_problem(rules + "        to: done\n")
    assert (problem.line, problem.column) == (16, 11)


def test_unknown_name_in_a_title_points_inside_the_title() -> None:
    text = HEAD.replace(
        "  route:\n    next:\n",
        "  route:\n    task: {title: 'Size {{ input.sise }}', queue: planning/x}\n"
        "    on: {ok: done}\n",
    )
    [problem] = validate(load_document(text, "f.yaml"))
    assert (problem.line, problem.column) == (13, 28)


@pytest.mark.parametrize("root", ["input", "data", "form"])
def test_the_three_roots_are_always_known(root: str) -> None:
    text = HEAD + f'      - when: "{root} != null"\n        to: done\n      - to: done\n'
    assert validate(load_document(text, "f.yaml")) == []
