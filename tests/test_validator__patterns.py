"""The static check for patterns that repeat a repetition (exponential backtracking)."""

from __future__ import annotations

import pytest

from workflow.language.schemas import nested_quantifier


@pytest.mark.parametrize(
    ("pattern", "nested"),
    [
        ("^(a+)+$", "(a+)+"),
        ("^(\\w*x)*$", "(\\w*x)*"),
        ("(?:a|b+){2,}", "(?:a|b+){2,}"),
        ("^((ab)+c)*$", "((ab)+c)*"),
        ("^(a{1,})+$", "(a{1,})+"),
    ],
)
def test_a_repeated_group_holding_an_unbounded_repetition__is_found(
    pattern: str, nested: str
) -> None:
    assert nested_quantifier(pattern) == nested


@pytest.mark.parametrize(
    "pattern",
    [
        "^[a-z]+$",
        "^(ab)+$",
        "^(a+)?$",
        "^(a{1,3}){2}$",
        "^[(a+)]+$",  # a character class: '(' and '+' are literal there
        "^\\(a+\\)+$",  # escaped parentheses are no group
        "^(foo|bar)+-[0-9]{4}$",
    ],
)
def test_patterns_without_nested_repetition__pass(pattern: str) -> None:
    assert nested_quantifier(pattern) is None
