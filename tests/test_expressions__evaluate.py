"""Evaluating guard expressions over JSON data: values, null-tolerant lookups,
run-time errors that name the expression, safety, and sharing across threads."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest

from workflow.errors import ExpressionError
from workflow.language.expressions import parse_expression, truthy

SCOPE: Mapping[str, object] = {
    "input": {
        "applicant": "Ada",
        "address": "1 Main St",
        "floor_area_m2": 620,
        "height": 7.5,
        "urgent": True,
        "tags": ["heritage", "corner"],
        "owners": [{"name": "Ada"}, {"name": "Bo"}],
        "empty": "",
        "nothing": None,
    },
    "data": {"intake": {"notes": "ok", "count": 0}},
    "fire": "approve",
    "structural": "reject",
    "big": 10**400,
    "huge": 1e308,
}


def evaluate(source: str, scope: Mapping[str, object] = SCOPE) -> object:
    return parse_expression(source).evaluate(scope)


def failure(source: str, scope: Mapping[str, object] = SCOPE) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, scope)
    return caught.value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("42", 42),
        ("2.5", 2.5),
        ("'single'", "single"),
        ('"double"', "double"),
        ("'a\\'b\\\\c\\n'", "a'b\\c\n"),
        ("'\\u00e9t\\u00e9'", "été"),
        ("true", True),
        ("False", False),
        ("null", None),
        ("None", None),
        ("[1, 'a', null, [true]]", [1, "a", None, [True]]),
        ("[]", []),
    ],
)
def test_literals(source: str, expected: object) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("input.applicant", "Ada"),
        ("input['address']", "1 Main St"),
        ("data.intake.notes", "ok"),
        ("data['intake']['notes']", "ok"),
        ("input.tags[0]", "heritage"),
        ("input.tags[-1]", "corner"),
        ("input.owners[1].name", "Bo"),
        ("input.owners[len(input.tags) - 1]['name']", "Bo"),
        ("input[lower('APPLICANT')]", "Ada"),
        ("fire", "approve"),
    ],
)
def test_lookup__finds_keys_and_indexes(source: str, expected: object) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "missing",
        "input.missing",
        "input.missing.deeper",
        "input.nothing.deeper",
        "input.tags[2]",
        "input.tags[-3]",
        "input.tags['0']",
        "input.tags[0.0]",
        "input.tags[true]",
        "input[0]",
        "input.applicant.length",
        "input.applicant[0]",
        "input.floor_area_m2.real",
        "data.intake.count.x",
        "[1, 2].x",
    ],
)
def test_lookup__absent_or_impossible_is_null(source: str) -> None:
    assert evaluate(source) is None


@pytest.mark.parametrize(
    "source",
    [
        "input.__class__",
        "input.__dict__",
        "input['__class__']",
        "input.applicant.__class__.__mro__",
        "input.tags.__len__",
        "fire.upper",
        "__builtins__",
        "__import__",
    ],
)
def test_safety__dunder_and_attribute_names_resolve_to_null(source: str) -> None:
    assert evaluate(source) is None


def test_safety__python_attributes_of_scope_objects_are_not_read() -> None:
    class Secretive:
        token = "s3cret"

    assert evaluate("thing.token", {"thing": Secretive()}) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("2 * 3 % 4", 2),
        ("-input.floor_area_m2", -620),
        ("+input.height", 7.5),
        ("- -3", 3),
        ("input.height * 2", 15.0),
        ("'a' + 'b'", "ab"),
        ("[1] + [2, 3]", [1, 2, 3]),
    ],
)
def test_arithmetic(source: str, expected: object) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("input.floor_area_m2 > 500", True),
        ("input.floor_area_m2 <= 500", False),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("3 > 2 >= 2 == 2", True),
        ("'abc' < 'abd'", True),
        ("1 < 1.5", True),
        ("fire == 'approve' and structural == 'approve'", False),
        ("fire == 'approve' or structural == 'approve'", True),
        ("fire != 'approve'", False),
        ("'heritage' in input.tags", True),
        ("'villa' not in input.tags", True),
        ("'Main' in input.address", True),
        ("'intake' in data", True),
        ("1 in data", False),
        ("input.owners[1] in input.owners", True),
        ("[1.0] in [[1], 2]", True),
        ("not input.urgent", False),
        ("not input.empty", True),
        ("not fire == 'reject'", True),
    ],
)
def test_comparison_and_logic(source: str, expected: object) -> None:
    assert evaluate(source) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 == 1.0", True),
        ("true == 1", False),
        ("false == 0", False),
        ("1 in [true]", False),
        ("'1' == 1", False),
        ("null == null", True),
        ("null == 0", False),
        ("null == ''", False),
        ("[1, [2]] == [1.0, [2]]", True),
        ("[1] == [1, 2]", False),
        ("data.intake == data['intake']", True),
        ("data == input", False),
        ("input.tags != 'heritage'", True),
    ],
)
def test_equality__json_semantics_and_never_raises(source: str, expected: bool) -> None:
    assert evaluate(source) is expected


@pytest.mark.parametrize(
    "source",
    [
        "input.missing > 500",
        "input.missing < 500",
        "500 >= input.missing",
        "null <= null",
        "'abc' > null",
        "input.missing > 'x' > 1",
    ],
)
def test_ordering__with_null_is_false(source: str) -> None:
    assert evaluate(source) is False


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("input.applicant and input.urgent", True),
        ("input.applicant and input.empty", False),
        ("input.empty or input.missing", False),
        ("input.empty or 'x'", True),
        ("1 and 2 and 3", True),
        ("0 or null or 'x'", True),
    ],
)
def test_and_or__return_booleans(source: str, expected: bool) -> None:
    assert evaluate(source) is expected


@pytest.mark.parametrize(
    "source",
    [
        "false and 1 / 0",
        "true or 1 / 0",
        "input.missing and input.missing > 'x' + 1",
        "2 < 1 < 'text'",
        "input.missing > 1 < 'x'",
    ],
)
def test_short_circuit__skips_what_would_fail(source: str) -> None:
    assert evaluate(source) in (True, False)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("len(input.tags)", 2),
        ("len(input.applicant)", 3),
        ("len(data.intake)", 2),
        ("lower('ÀB')", "àb"),
        ("upper(fire)", "APPROVE"),
        ("any([0, '', 'x'])", True),
        ("any([])", False),
        ("all([1, 'x'])", True),
        ("all([1, null])", False),
        ("min(3, 1, 2)", 1),
        ("min([2.5, 3])", 2.5),
        ("max('b', 'a')", "b"),
        ("max([1])", 1),
        ("abs(-2.5)", 2.5),
        ("round(2.567, 2)", 2.57),
        ("round(2.6)", 3),
        ("round(2.5)", 2),
        ("round(1234, -2)", 1200),
        ("int(3.9)", 3),
        ("int(' 42 ')", 42),
        ("float('1.5')", 1.5),
        ("float(2)", 2.0),
        ("str(12)", "12"),
        ("str(2.0)", "2.0"),
        ("str(true)", "true"),
        ("str(null)", ""),
        ("str([1, 'a'])", '[1, "a"]'),
    ],
)
def test_functions(source: str, expected: object) -> None:
    result = evaluate(source)
    assert (result, type(result)) == (expected, type(expected))


def test_error__message_names_values_and_source() -> None:
    error = failure("input.x > 500", {"input": {"x": "abc"}})
    assert error.message == "cannot compare 'abc' (string) with 500 (number) in \"input.x > 500\""


def test_error__carries_the_expression_as_context() -> None:
    assert failure("1 / 0").context == {"expression": "1 / 0"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("input.applicant > 5", "cannot compare 'Ada' (string) with 5 (number)"),
        ("input.urgent > 1", "cannot compare true (boolean) with 1 (number)"),
        ("input.tags < [1]", 'cannot compare ["heritage", "corner"] (list) with [1] (list)'),
        ("input.missing + 1", "cannot apply '+' to null and 1 (number)"),
        ("'a' + 1", "cannot apply '+' to 'a' (string) and 1 (number)"),
        ("'ab' * 3", "cannot apply '*' to 'ab' (string) and 3 (number)"),
        ("true + 1", "cannot apply '+' to true (boolean) and 1 (number)"),
        ("input - 1", 'cannot apply \'-\' to {"applicant": "Ada", "address": "1 Ma... (object)'),
        ("-fire", "cannot apply unary '-' to 'approve' (string)"),
        ("-true", "cannot apply unary '-' to true (boolean)"),
        ("1 / 0", "division by zero: 1 (number) / 0 (number)"),
        ("1 // 0", "division by zero: 1 (number) // 0 (number)"),
        ("1.5 % 0", "division by zero: 1.5 (number) % 0 (number)"),
        ("huge * 10", "the result of '*' is too large"),
        ("big / 3", "the result of '/' is too large"),
        ("'a' in 5", "cannot use 'in' on 5 (number): it is not a list, string or object"),
        ("'a' in input.missing", "cannot use 'in' on null"),
        ("1 in fire", "cannot look for 1 (number) in the string 'approve' (string)"),
        ("len(5)", "len() needs a string, list or object, got 5 (number)"),
        ("len(input.missing)", "len() needs a string, list or object, got null"),
        ("lower(1)", "lower() needs a string, got 1 (number)"),
        ("upper(null)", "upper() needs a string, got null"),
        ("any('ab')", "any() needs a list, got 'ab' (string)"),
        ("all(data)", "all() needs a list, got"),
        ("min([])", "min() needs a non-empty list or several values, got [] (list)"),
        ("max(5)", "max() needs a non-empty list or several values, got 5 (number)"),
        ("min(1, 'a')", "min() needs only numbers or only strings, got 'a' (string)"),
        ("max([null, 1])", "max() needs only numbers or only strings, got null"),
        ("max(true, false)", "max() needs only numbers or only strings, got true (boolean)"),
        ("abs('1')", "abs() needs a number, got '1' (string)"),
        ("round('1')", "round() needs a number, got '1' (string)"),
        ("round(1.5, 1.5)", "round() needs a whole number of digits from -20 to 20, got 1.5"),
        ("round(1, -100000)", "round() needs a whole number of digits from -20 to 20"),
        ("int('3.5')", "int() needs a number or a string holding one, got '3.5' (string)"),
        ("int(true)", "int() needs a number or a string holding one, got true (boolean)"),
        ("float('nan')", "float() needs a number or a string holding one, got 'nan'"),
        ("float('inf')", "float() needs a number or a string holding one, got 'inf'"),
        ("float(big)", "float() needs a number or a string holding one"),
        ("float([])", "float() needs a number or a string holding one, got [] (list)"),
    ],
)
def test_error__every_runtime_problem(source: str, message: str) -> None:
    error = failure(source)
    assert error.message.startswith(message)
    assert error.message.endswith(f' in "{source}"')


def test_error__deeply_nested_data_is_an_expression_error() -> None:
    left: list[object] = []
    right: list[object] = []
    for _ in range(5000):
        left, right = [left], [right]
    error = failure("a == b", {"a": left, "b": right})
    assert error.message == 'the data is nested too deeply to evaluate "a == b"'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (False, False),
        (0, False),
        (0.0, False),
        ("", False),
        ([], False),
        ({}, False),
        (True, True),
        (-1, True),
        ("0", True),
        ([0], True),
        ({"a": None}, True),
    ],
)
def test_truthy__json_truthiness(value: object, expected: bool) -> None:
    assert truthy(value) is expected


def test_evaluate__returns_a_fresh_list_each_time() -> None:
    expression = parse_expression("[1, 2]")
    first = expression.evaluate({})
    assert isinstance(first, list)
    first.append(3)
    assert expression.evaluate({}) == [1, 2]


def test_evaluate__one_expression_serves_many_threads() -> None:
    expression = parse_expression("input.n * 2 > 100 and lower(input.who) in ['ada', 'bo']")
    scopes = [{"input": {"n": n, "who": "ADA" if n % 2 else "zed"}} for n in range(400)]
    expected = [n * 2 > 100 and n % 2 == 1 for n in range(400)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(expression.evaluate, scopes))
    assert results == expected
