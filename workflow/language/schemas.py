"""JSON Schemas in definitions: what the validator refuses, and the validator that runs.

Input and form schemas check data typed by the public and by staff, so they must be
safe to run on anything. Three things make an otherwise valid schema dangerous:

- a ``pattern`` that backtracks catastrophically (``^(a+)+$`` takes seconds on a
  29-character text with Python's ``re``). Patterns therefore run on RE2, a
  linear-time engine (``google-re2``), for ``pattern``, ``patternProperties`` and
  ``additionalProperties``; a pattern RE2 cannot run (backreferences, lookaround) is
  refused, and so are nested quantifiers, which could still backtrack wherever
  ``jsonschema`` itself reaches for ``re`` (``unevaluatedProperties``).
- a ``$ref`` to another document: nothing is fetched at run time, so it would fail
  on the first instance; only references inside the schema (``#/…``) are allowed,
  and they must resolve.
- a top-level schema that is not an object schema: instances receive a JSON object
  (input, form data), so any other type refuses every start or action.

Everything here is pure: schemas in, problems (address, message) out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import re2
from jsonschema import Draft202012Validator, ValidationError, validators

__all__ = ["SchemaValidator", "input_properties", "nested_quantifier", "schema_problems"]

Path = tuple[str | int, ...]
_COMBINATORS = ("allOf", "anyOf", "oneOf")
_CONDITIONALS = ("if", "then", "else")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is reported as a problem, not logged


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    return re2.compile(pattern, _RE2_OPTIONS)


def _search(pattern: str, text: str) -> bool:
    return _compiled(pattern).search(text) is not None


# -- the validator that runs ------------------------------------------------------------


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Any
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = tuple(schema.get("patternProperties", {}))
    extras = [
        key
        for key in instance
        if key not in properties and not any(_search(p, key) for p in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        listed = ", ".join(repr(extra) for extra in sorted(extras))
        yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")


SchemaValidator: type[Draft202012Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)
"""Draft 2020-12 with its patterns run on RE2 (construct it with a format checker)."""


# -- what the validator refuses ---------------------------------------------------------


def schema_problems(schema: Mapping[str, Any], *, what: str) -> list[tuple[Path, str]]:
    """Problems of a (meta-schema valid) input or form schema, each with the path of
    the value it is about, relative to the schema."""
    problems: list[tuple[Path, str]] = []
    kind = schema.get("type", "object")
    kinds = kind if isinstance(kind, list) else [kind]
    if "object" not in kinds:
        problems.append(
            (
                ("type",) if "type" in schema else (),
                f"{what} must be an object schema ('type: object'): it checks a JSON "
                "object of named fields",
            )
        )
    for path, node in _walk(schema, ()):
        for key in ("$ref", "$dynamicRef"):
            ref = node.get(key)
            if isinstance(ref, str):
                message = _ref_problem(schema, ref)
                if message:
                    problems.append(((*path, key), message))
        pattern = node.get("pattern")
        if isinstance(pattern, str) and not _in_data(path):
            message = _pattern_problem(pattern)
            if message:
                problems.append(((*path, "pattern"), message))
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict) and not _in_data(path):
            for key in patterns:
                message = _pattern_problem(key)
                if message:
                    problems.append(((*path, "patternProperties", key), message))
    return problems


def _in_data(path: Path) -> bool:
    """Whether ``path`` lies inside a value that is data, not a schema."""
    return any(part in ("enum", "const", "examples", "default") for part in path)


def _walk(node: Any, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key not in ("enum", "const", "examples", "default"):
                yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def _ref_problem(schema: Mapping[str, Any], ref: str) -> str | None:
    if not ref.startswith("#"):
        return (
            f"'$ref: {ref}' points outside this schema; nothing is fetched, so refer "
            "only to this schema's own parts ('#/$defs/name')"
        )
    fragment = ref[1:]
    if fragment == "":
        return None
    if not fragment.startswith("/"):
        anchors = {node.get("$anchor") for _, node in _walk(schema, ())}
        return None if fragment in anchors else f"'$ref: {ref}' names no '$anchor' in this schema"
    target: Any = schema
    for raw in fragment[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return f"'$ref: {ref}' points at nothing: this schema has no '{part}' there"
    if not isinstance(target, dict | bool):
        return f"'$ref: {ref}' points at a value that is not a schema"
    return None


def _pattern_problem(pattern: str) -> str | None:
    try:
        _compiled(pattern)
    except re2.error:
        return (
            f"pattern '{pattern}' cannot run on a linear-time regex engine "
            "(backreferences and lookaround are not supported)"
        )
    nested = nested_quantifier(pattern)
    if nested is not None:
        return (
            f"pattern '{pattern}' repeats a repetition ('{nested}'), which can take "
            "exponential time; repeat the inner part once, e.g. '(a+)+' -> 'a+'"
        )
    return None


def nested_quantifier(pattern: str) -> str | None:
    """The first group that is repeated and itself holds an unbounded repetition
    (``(a+)+``, ``(\\w*x)*``, ``(?:a|b+){2,}``), or None."""
    stack: list[tuple[int, bool]] = []  # (where the group opened, holds a repetition)
    inner = False  # the group just closed holds an unbounded repetition
    closed_at = -1
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(pattern, index)
            continue
        if char == "(":
            stack.append((index, False))
        elif char == ")" and stack:
            opened, holds = stack.pop()
            inner, closed_at = holds, opened
            index += 1
            if index < len(pattern) and _repeats(pattern, index) and inner:
                end = pattern.find("}", index) + 1 if pattern[index] == "{" else index + 1
                return pattern[closed_at:end]
            if holds and stack:
                stack[-1] = (stack[-1][0], True)
            continue
        elif _unbounded(pattern, index) and stack:
            stack[-1] = (stack[-1][0], True)
        index += 1
    return None


def _class_end(pattern: str, index: int) -> int:
    """The index just past the character class opening at ``index``."""
    index += 1
    if index < len(pattern) and pattern[index] == "^":
        index += 1
    if index < len(pattern) and pattern[index] == "]":
        index += 1
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index + 1


def _unbounded(pattern: str, index: int) -> bool:
    char = pattern[index]
    if char in "*+":
        return True
    if char == "{":
        end = pattern.find("}", index)
        body = pattern[index + 1 : end] if end > 0 else ""
        return body.endswith(",") and body[:-1].isdigit()
    return False


def _repeats(pattern: str, index: int) -> bool:
    """Whether a quantifier that can match its group more than once starts here."""
    char = pattern[index]
    if char in "*+":
        return True
    if char == "{":
        end = pattern.find("}", index)
        body = pattern[index + 1 : end] if end > 0 else ""
        low, _, high = body.partition(",")
        if not low.isdigit() or (high and not high.isdigit()):
            return False
        return ("," in body and (not high or int(high) > 1)) or int(low) > 1
    return False


def input_properties(schema: Any) -> frozenset[str] | None:
    """Every property name an object schema declares: under ``properties`` and under
    ``allOf``/``anyOf``/``oneOf``/``if``/``then``/``else`` (recursively). None when
    the schema declares none (or is not a mapping): then any name may be used."""
    if not isinstance(schema, dict):
        return None
    names: set[str] = set()
    declared = False
    pending: list[Any] = [schema]
    seen = 0
    while pending and seen < 10_000:
        node = pending.pop()
        seen += 1
        if not isinstance(node, dict):
            continue
        properties = node.get("properties")
        if isinstance(properties, dict):
            declared = True
            names.update(properties)
        for key in _COMBINATORS:
            if isinstance(node.get(key), list):
                pending.extend(node[key])
        pending.extend(node[key] for key in _CONDITIONALS if key in node)
    return frozenset(names) if declared else None
