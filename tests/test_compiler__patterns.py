"""Schema patterns run on a linear-time engine (RE2) when data is checked, so input
and form data cannot make a pattern backtrack, even one the static check lets pass."""

from __future__ import annotations

import time

from workflow.language.compiler import compile_definition

DEFINITION = """
workflow: patterns
title: Patterns
owner: clerks
departments:
  clerks: {title: Clerks}
input:
  type: object
  properties:
    code: {type: string, pattern: '^(a|aa)+$'}
  patternProperties:
    '^x-(a|aa)+$': {type: integer}
  additionalProperties: false
start: check
states:
  check:
    task: {title: Check, queue: clerks/desk}
    on: {done: finished}
  finished: {final: true}
"""


def validator():  # type: ignore[no-untyped-def]
    spec = compile_definition(DEFINITION)
    assert spec.input is not None
    return spec.input.validator


def test_a_pattern_that_backtracks_in_python__answers_at_once() -> None:
    evil = "a" * 40 + "!"  # Python's re takes minutes on '^(a|aa)+$' with this
    started = time.perf_counter()

    assert not validator().is_valid({"code": evil})
    assert time.perf_counter() - started < 1.0


def test_pattern_properties_and_additional_properties__match_keys_with_re2() -> None:
    check = validator()
    evil_key = "x-" + "a" * 40 + "!"
    started = time.perf_counter()

    assert check.is_valid({"code": "aaa", "x-aa": 1})
    assert not check.is_valid({"x-aa": "not an integer"})
    assert not check.is_valid({evil_key: 1})  # matches no pattern: an additional property
    assert time.perf_counter() - started < 1.0
