"""Parsing guard expressions: what is accepted, which names are read, and every
syntax error with its message and 0-based offset."""

from __future__ import annotations

import dataclasses

import pytest

from workflow.errors import CivicflowError
from workflow.language.expressions import (
    MAX_DEPTH,
    MAX_SOURCE_LENGTH,
    ExpressionSyntaxError,
    parse_expression,
)


def syntax_error(source: str) -> ExpressionSyntaxError:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression(source)
    return caught.value


@pytest.mark.parametrize(
    ("source", "names"),
    [
        (
            "input.floor_area_m2 > 500 and fire == 'approve'",
            {("input", "floor_area_m2"), ("fire",)},
        ),
        ("data.intake.notes", {("data", "intake", "notes")}),
        ("data['intake']['notes']", {("data", "intake", "notes")}),
        ('data["intake"].notes', {("data", "intake", "notes")}),
        ("data[('intake')].notes", {("data", "intake", "notes")}),
        ("input.items[0].name", {("input", "items")}),
        ("input.items[-1]", {("input", "items")}),
        ("data[input.key].notes", {("data",), ("input", "key")}),
        ("len(input.tags) > 0", {("input", "tags")}),
        ("fire == 'approve' or fire == 'reject'", {("fire",)}),
        ("[a, b.c][0]", {("a",), ("b", "c")}),
        ("(input).address", {("input",)}),
        ("lower(x).y", {("x",)}),
        ("1 + 2", set()),
        ("'input.address'", set()),
        ("data.in.not", {("data", "in", "not")}),
        ("len", {("len",)}),
    ],
)
def test_names__lists_every_dotted_path_read(source: str, names: set[tuple[str, ...]]) -> None:
    assert parse_expression(source).names == frozenset(names)


def test_expression__keeps_its_source() -> None:
    source = "input.x  >  1"
    assert parse_expression(source).source == source


def test_expression__is_immutable() -> None:
    expression = parse_expression("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        expression.source = "b"  # type: ignore[misc]


def test_expression__equal_when_parsed_from_the_same_source() -> None:
    assert parse_expression("a > 1") == parse_expression("a > 1")
    assert hash(parse_expression("a > 1")) == hash(parse_expression("a > 1"))


@pytest.mark.parametrize(
    "source",
    [
        "[1, 2,]",
        "max(1, 2,)",
        "  a  ",
        "a\n  and b",
        "not not a",
        "a not in b",
        "-(-1)",
        "x.true.null.and",
        "True or False or None",
        "'it\\'s' + \"say \\\"hi\\\"\" + '\\n\\t\\r\\\\\\/\\u00e9'",
    ],
)
def test_parse__accepts(source: str) -> None:
    assert parse_expression(source).source == source


def test_syntax_error__is_a_civicflow_error() -> None:
    assert isinstance(syntax_error("a +"), CivicflowError)


def test_syntax_error__message_names_token_and_column() -> None:
    error = syntax_error("len(input) )")
    assert (error.message, error.offset) == ("unexpected ')' at column 12", 11)


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("", "expected an expression", 0),
        ("   ", "expected an expression", 3),
        ("a +", "unexpected end of expression", 3),
        ("a b", "unexpected name 'b'", 2),
        ("a 1", "unexpected number 1", 2),
        ("a 'x'", "unexpected string 'x'", 2),
        ("and a", "unexpected 'and'", 0),
        ("a == in", "unexpected 'in'", 5),
        ("x is null", "unexpected name 'is' (use '==' or '!=')", 2),
        ("a.", "expected a name after '.'", 2),
        ("a.1", "expected a name after '.'", 2),
        ("a.'b'", "expected a name after '.'", 2),
        ("a[1", "expected ']' to close the '[' at column 2, found end of expression", 3),
        ("(a", "expected ')' to close the '(' at column 1, found end of expression", 2),
        ("len(a b)", "expected ',' or ')' to close the '(' at column 4, found name 'b'", 6),
        ("[1 2]", "expected ',' or ']' to close the '[' at column 1, found number 2", 3),
        ("[1,,]", "unexpected ','", 3),
        ("a not b", "expected 'in' after 'not', found name 'b'", 6),
        ("a not", "expected 'in' after 'not', found end of expression", 5),
        ("x.f(1)", "only a function can be called (abs, all, any, float", 3),
        ("(len)(1)", "only a function can be called", 5),
    ],
)
def test_syntax_error__from_the_parser(source: str, message: str, offset: int) -> None:
    error = syntax_error(source)
    assert error.message.startswith(message)
    assert error.message.endswith(f" at column {offset + 1}")
    assert error.offset == offset


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("a = 1", "unexpected character '=' (use '==' to compare)", 2),
        ("a && b", "unexpected character '&' (use 'and')", 2),
        ("a || b", "unexpected character '|' (use 'or')", 2),
        ("!a", "unexpected character '!' (use 'not' or '!=')", 0),
        ("a ; b", "unexpected character ';'", 2),
        ("{'a': 1}", "unexpected character '{'", 0),
        ("x == 'abc", "unterminated string", 5),
        ('x == "a\\"', "unterminated string", 5),
        ("'abc\\", "unterminated string", 0),
        ("'a\\qb'", "unknown escape '\\q'", 2),
        ("'\\u12'", "invalid escape '\\u' (expected 4 hex digits)", 1),
        ("12ab", "invalid number: '12' is followed by 'a'", 0),
        ("1.5x", "invalid number: '1.5' is followed by 'x'", 0),
        ("1 + ²", "unexpected character '²'", 4),
    ],
)
def test_syntax_error__from_the_tokenizer(source: str, message: str, offset: int) -> None:
    error = syntax_error(source)
    assert (error.message, error.offset) == (f"{message} at column {offset + 1}", offset)


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("eval('1')", "unknown function 'eval' (known: abs, all, any", 0),
        ("a and __import__('os')", "unknown function '__import__'", 6),
        ("getattr(input, 'x')", "unknown function 'getattr'", 0),
        ("len()", "len() takes 1 argument, got 0", 0),
        ("1 + len(a, b)", "len() takes 1 argument, got 2", 4),
        ("round(1, 2, 3)", "round() takes 1 or 2 arguments, got 3", 0),
        ("min()", "min() takes at least 1 argument, got 0", 0),
    ],
)
def test_syntax_error__for_functions(source: str, message: str, offset: int) -> None:
    error = syntax_error(source)
    assert error.message.startswith(message)
    assert error.offset == offset


def test_limits__source_at_the_length_cap_parses() -> None:
    source = "a" * MAX_SOURCE_LENGTH
    assert parse_expression(source).names == {(source,)}


def test_limits__source_over_the_length_cap_is_refused() -> None:
    error = syntax_error("1" + " " * MAX_SOURCE_LENGTH)
    assert error.message.startswith(f"expression is longer than {MAX_SOURCE_LENGTH} characters")
    assert error.offset == MAX_SOURCE_LENGTH


def test_limits__nesting_up_to_the_cap_parses() -> None:
    depth = MAX_DEPTH - 1  # the whole expression is the first level
    assert parse_expression("(" * depth + "1" + ")" * depth).evaluate({}) == 1


@pytest.mark.parametrize(
    "source",
    [
        "(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH,
        "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH,
        "-" * MAX_DEPTH + "1",
        "not " * MAX_DEPTH + "a",
        "len(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH,
        "a" + "[a" * MAX_DEPTH + "]" * MAX_DEPTH,
    ],
)
def test_limits__nesting_over_the_cap_is_refused(source: str) -> None:
    error = syntax_error(source)
    assert error.message.startswith(f"expression nests more than {MAX_DEPTH} levels deep")


def test_limits__long_flat_chains_are_not_nesting() -> None:
    source = "1+" * 999 + "1"  # deeper than Python's recursion limit if it nested
    assert parse_expression(source).evaluate({}) == 1000


def test_limits__long_flat_paths_are_not_nesting() -> None:
    source = "a" + ".b" * 900
    assert parse_expression(source).evaluate({"a": {}}) is None
