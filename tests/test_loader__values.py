"""The loader keeps keys as typed and resolves values like YAML 1.2's core schema."""

from __future__ import annotations

import math

import pytest

from workflow.errors import DefinitionError
from workflow.language.loader import load_document


def test_on_key_stays_a_string() -> None:
    document = load_document("on:\n  accept: done\n", "f.yaml")
    assert document.data == {"on": {"accept": "done"}}


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "y", "n"])
def test_yaml11_boolean_words_stay_strings(word: str) -> None:
    assert load_document(f"value: {word}\n", "f.yaml").data == {"value": word}


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("False", False), ("TRUE", True)])
def test_true_and_false_in_any_case_are_booleans(text: str, expected: bool) -> None:
    assert load_document(f"value: {text}\n", "f.yaml").data == {"value": expected}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("42", 42), ("-7", -7), ("0x1f", 31), ("0o17", 15), ("1.5", 1.5), ("1e3", 1000.0)],
)
def test_numbers_resolve(text: str, expected: object) -> None:
    assert load_document(f"value: {text}\n", "f.yaml").data == {"value": expected}


def test_infinity_resolves_to_a_float() -> None:
    assert load_document("value: -.inf\n", "f.yaml").data == {"value": -math.inf}


@pytest.mark.parametrize("text", ["~", "null", "", "NULL"])
def test_null_spellings_are_none(text: str) -> None:
    assert load_document(f"value: {text}\n", "f.yaml").data == {"value": None}


@pytest.mark.parametrize("text", ["2024-01-01", "12:30", "1_000", "'42'"])
def test_dates_times_and_quoted_numbers_stay_strings(text: str) -> None:
    assert isinstance(load_document(f"value: {text}\n", "f.yaml").data["value"], str)


def test_numeric_keys_stay_strings() -> None:
    assert load_document("1: one\ntrue: yes\n", "f.yaml").data == {"1": "one", "true": "yes"}


def test_explicit_str_tag_is_honoured() -> None:
    assert load_document("value: !!str 3\n", "f.yaml").data == {"value": "3"}


def test_custom_tag_is_refused() -> None:
    with pytest.raises(DefinitionError, match="tag '!python/object' is not allowed"):
        load_document("value: !python/object x\n", "f.yaml")


def test_aliases_expand_to_copies() -> None:
    document = load_document("a: &x [1, 2]\nb: *x\n", "f.yaml")
    assert document.data == {"a": [1, 2], "b": [1, 2]}


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(DefinitionError, match="contains it"):
        load_document("a: &x [*x]\n", "f.yaml")


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    with pytest.raises(DefinitionError, match="too many values"):
        load_document("\n".join(lines) + "\n", "f.yaml")


def test_merge_key_is_refused() -> None:
    with pytest.raises(DefinitionError, match="merge keys"):
        load_document("base: &b {x: 1}\nother:\n  <<: *b\n", "f.yaml")


def test_empty_text_is_none() -> None:
    assert load_document("# nothing here\n", "f.yaml").data is None
