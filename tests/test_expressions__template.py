"""Title templates: ``{{ expression }}`` placeholders in text, how values are shown,
and syntax errors located in the whole template."""

from __future__ import annotations

import dataclasses

import pytest

from workflow.errors import ExpressionError
from workflow.language.expressions import MAX_SOURCE_LENGTH, ExpressionSyntaxError, parse_template

SCOPE = {
    "input": {"address": "1 Main St", "floor_area_m2": 620, "tags": ["a", "b"]},
    "data": {"intake": {"notes": "ok"}},
    "fire": "approve",
}


def render(source: str, scope: dict[str, object] | None = None) -> str:
    return parse_template(source).render(SCOPE if scope is None else scope)


def syntax_error(source: str) -> ExpressionSyntaxError:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template(source)
    return caught.value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Check completeness", "Check completeness"),
        ("", ""),
        ("Check completeness: {{ input.address }}", "Check completeness: 1 Main St"),
        ("{{input.address}}", "1 Main St"),
        ("{{ fire }}{{ fire }}", "approveapprove"),
        ("Area {{ input.floor_area_m2 / 2 }} m²", "Area 310.0 m²"),
        ("{{ upper(fire) }} by {{ data.intake.notes }}.", "APPROVE by ok."),
        ("a }} b } c {", "a }} b } c {"),
        ("{{ '}}' }}", "}}"),
        ("{{ '{{' + fire }}", "{{approve"),
        ("{{\n  fire\n}}", "approve"),
    ],
)
def test_render__replaces_placeholders(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (2, "2"),
        (-7, "-7"),
        (2.0, "2.0"),
        (2.5, "2.5"),
        ("text", "text"),
        ("", ""),
        ([1, "a", None, True], '[1, "a", null, true]'),
        ({"k": "é", "n": [1.5]}, '{"k": "é", "n": [1.5]}'),
    ],
)
def test_render__shows_json_values(value: object, shown: str) -> None:
    assert render("[{{ v }}]", {"v": value}) == f"[{shown}]"


def test_render__missing_names_show_as_nothing() -> None:
    assert render("Notes: {{ data.review.notes }}.") == "Notes: ."


def test_render__an_evaluation_error_names_the_placeholder() -> None:
    template = parse_template("Area {{ input.address * 2 }}")
    with pytest.raises(ExpressionError) as caught:
        template.render(SCOPE)
    assert caught.value.message == (
        "cannot apply '*' to '1 Main St' (string) and 2 (number) in \"input.address * 2\""
    )


def test_render__deeply_nested_data_is_an_expression_error() -> None:
    value: list[object] = []
    for _ in range(5000):
        value = [value]
    with pytest.raises(ExpressionError, match="nested too deeply"):
        render("{{ v }}", {"v": value})


def test_render__same_template_with_different_scopes() -> None:
    template = parse_template("{{ who }}")
    assert [template.render({"who": name}) for name in ("a", "b")] == ["a", "b"]


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("plain text", set()),
        ("{{ input.address }}", {("input", "address")}),
        (
            "{{ input.address }}: {{ data['intake'].notes }} {{ input.address }}",
            {("input", "address"), ("data", "intake", "notes")},
        ),
        ("{{ len(input.tags) }} {{ 'x' }}", {("input", "tags")}),
    ],
)
def test_names__union_of_all_placeholders(source: str, names: set[tuple[str, ...]]) -> None:
    assert parse_template(source).names == frozenset(names)


def test_template__keeps_its_source() -> None:
    source = "Check {{ input.address }}"
    assert parse_template(source).source == source


def test_template__is_immutable() -> None:
    template = parse_template("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        template.source = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("Check {{ input.address", "unclosed '{{'", 6),
        ("{{ a }} and {{ b", "unclosed '{{'", 12),
        ("{{ a }} {{ b } }", "unexpected character '}'", 13),
        ("Title {{ }}", "expected an expression", 9),
        ("Title {{ a + }}", "unexpected '}}'", 13),
        ("Title {{ a b }}", "unexpected name 'b'", 11),
        ("Title {{ 'abc }}", "unterminated string", 9),
        ("Title {{ a. }}", "expected a name after '.'", 12),
        ("Title {{ foo(a) }}", "unknown function 'foo'", 9),
        ("{{ a }} then {{ (a }}", "expected ')' to close the '(' at column 17, found '}}'", 19),
    ],
)
def test_syntax_error__offset_is_in_the_whole_template(
    source: str, message: str, offset: int
) -> None:
    error = syntax_error(source)
    assert error.message.startswith(message)
    assert error.message.endswith(f" at column {offset + 1}")
    assert error.offset == offset


def test_syntax_error__template_over_the_length_cap() -> None:
    error = syntax_error("x" * (MAX_SOURCE_LENGTH + 1))
    assert error.message.startswith(f"template is longer than {MAX_SOURCE_LENGTH} characters")
