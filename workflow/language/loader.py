"""YAML to plain data, remembering where every key and value was written.

Process owners write definitions by hand, so every complaint must point at a
``file:line:col``. PyYAML's ``safe_load`` forgets positions and follows YAML 1.1, in
which the key ``on:`` becomes ``True`` and ``no`` becomes ``False`` — exactly the words
a workflow uses. So we compose the node tree ourselves (no Python objects are ever
built from tags), keep keys as the raw strings that were typed, resolve values with
a YAML 1.2-like core schema, and record positions by path. Only problems with the
YAML itself (syntax, duplicate keys, tags, aliases) are raised here; the meaning of
the data is checked by ``workflow.language.validator``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from workflow.errors import DefinitionError, Problem

__all__ = ["MAX_CHARACTERS", "MAX_EVENTS", "Address", "Document", "load_document"]

Address = tuple[str | int, ...]
"""A path into the data: mapping keys are strings, list positions are ints."""

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_MAX_VALUES = 100_000  # a definition has hundreds; more means an alias bomb
_MAX_DEPTH = 100
MAX_CHARACTERS = 1_000_000  # the largest example is 5 kB; a 16 MB file took 1.2 GB to load
MAX_EVENTS = 200_000  # YAML parse events (about two per value), counted before composing
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # YAML's line breaks (not str.splitlines')


class _CoreSchemaLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Resolves plain scalars as YAML 1.2's core schema does: ``yes``/``on`` are text."""

    yaml_implicit_resolvers: dict[Any, Any] = {}


for _tag, _pattern, _first in (
    ("bool", r"(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])", "tTfF"),
    ("int", r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)", "-+0123456789"),
    (
        "float",
        r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))",
        "-+.0123456789",
    ),
    ("null", r"(?:~|null|Null|NULL|)", ["~", "n", "N", ""]),
):
    _CoreSchemaLoader.add_implicit_resolver(_TAG + _tag, re.compile(rf"^{_pattern}$"), list(_first))


@dataclass(frozen=True, slots=True)
class _Span:
    line: int  # 1-based
    column: int  # 1-based
    last_line: int  # 1-based line of the value's last character
    style: str | None  # None/'' plain, "'" or '"' quoted, '|' or '>' block


@dataclass(frozen=True, slots=True)
class Document:
    """Plain data (dicts, lists, str, int, float, bool, None) plus its positions."""

    path: str
    data: Any
    text: str = field(repr=False, default="")
    _values: Mapping[Address, _Span] = field(repr=False, default_factory=dict)
    _keys: Mapping[Address, _Span] = field(repr=False, default_factory=dict)

    def where(self, at: Address) -> tuple[int, int]:
        """``(line, column)`` of the value at ``at``, else of its nearest ancestor."""
        span = _nearest(self._values, at)
        return (span.line, span.column) if span else (1, 1)

    def key_where(self, at: Address) -> tuple[int, int]:
        """``(line, column)`` of the key naming ``at`` (a list item: its value)."""
        for depth in range(len(at), 0, -1):
            span = self._keys.get(at[:depth]) or self._values.get(at[:depth])
            if span is not None:
                return span.line, span.column
        return self.where(())

    def where_in(self, at: Address, offset: int) -> tuple[int, int]:
        """Position of character ``offset`` inside the string value at ``at``.

        Exact for one-line scalars and for block scalars; for other multi-line
        scalars it is the best guess that the folding rules allow.
        """
        span = self._values.get(at)
        if span is None:
            return self.where(at)
        lines = _LINE_BREAK.split(self.text)
        # (0-based line, column where the text starts; None: after the indentation)
        segments: list[tuple[int, int | None]]
        if span.style in ("|", ">"):
            segments = [(span.line, None)]  # the text starts on the line after '|'
        else:
            quote = 1 if span.style in ("'", '"') else 0
            segments = [(span.line - 1, span.column - 1 + quote)]
        segments += [(n, None) for n in range(segments[0][0] + 1, span.last_line)]
        remaining = offset
        for number, column in segments:
            if number >= len(lines):
                break
            line = lines[number]
            begin = column if column is not None else len(line) - len(line.lstrip())
            length = len(line.rstrip()) - begin
            if remaining <= length or (number, column) == segments[-1]:
                return number + 1, begin + max(remaining, 0) + 1
            remaining -= length + 1
        return self.where(at)

    def problem(
        self, at: Address, message: str, *, key: bool = False, offset: int | None = None
    ) -> Problem:
        """A ``Problem`` at the value (or, with ``key=True``, the key) of ``at``."""
        if offset is not None:
            line, column = self.where_in(at, offset)
        else:
            line, column = self.key_where(at) if key else self.where(at)
        return Problem(self.path, line, column, message)


def _nearest(spans: Mapping[Address, _Span], at: Address) -> _Span | None:
    for depth in range(len(at), -1, -1):
        span = spans.get(at[:depth])
        if span is not None:
            return span
    return None


def load_document(text: str, path: str) -> Document:
    """Parse ``text``; raise ``DefinitionError`` listing every YAML-level problem.

    The size is bounded before anything is built: the text's length first, then the
    number of parse events, streamed from the parser without building nodes, so a
    huge or aliased document is refused in a fraction of a second and a few MB."""
    if len(text) > MAX_CHARACTERS:
        message = (
            f"the file has {len(text):,} characters; a definition may have at most "
            f"{MAX_CHARACTERS:,}"
        )
        raise DefinitionError([Problem(path, 1, 1, message)], file=path)
    try:
        for count, event in enumerate(yaml.parse(text, Loader=_CoreSchemaLoader), 1):
            if count > MAX_EVENTS:
                mark = event.start_mark
                line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                message = (
                    f"the document has more than {MAX_EVENTS:,} YAML values and "
                    "collections; a definition has hundreds"
                )
                raise DefinitionError([Problem(path, line, column, message)], file=path)
        root = yaml.compose(text, Loader=_CoreSchemaLoader)
    except yaml.MarkedYAMLError as error:
        raise DefinitionError([_syntax_problem(error, text, path)], file=path) from error
    except yaml.YAMLError as error:
        raise DefinitionError([_reader_problem(error, text, path)], file=path) from error
    except RecursionError as error:  # the pure-Python parser, without libyaml's depth limit
        problem = Problem(path, 1, 1, "invalid YAML: the document is nested too deeply")
        raise DefinitionError([problem], file=path) from error
    if root is None:
        return Document(path=path, data=None, text=text)
    converter = _Converter(path)
    data = converter.convert(root, ())
    if converter.problems:
        raise DefinitionError(converter.problems, file=path)
    return Document(path, data, text, converter.values, converter.keys)


_HINTS = {
    "\t": "tabs cannot indent YAML; use spaces",
    "@": "'@' cannot start a plain value; put the value in quotes",
    "`": "'`' cannot start a plain value; put the value in quotes",
}


def _syntax_problem(error: yaml.MarkedYAMLError, text: str, path: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    message = f"invalid YAML: {error.problem or error.context or 'syntax error'}"
    if error.context and error.problem:
        context = error.context
        cm = error.context_mark
        if cm is not None and mark is not None and (cm.line, cm.column) != (mark.line, mark.column):
            context += f" that began at line {cm.line + 1}, column {cm.column + 1}"
        message += f" ({context})"
    if "mapping values are not allowed" in message:
        message += "; a value containing ': ' must be put in quotes"
    elif "another document" in message:
        message = "invalid YAML: a definition is one document; remove the '---' separator"
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines):
        hint = _HINTS.get(lines[mark.line][mark.column : mark.column + 1])
        if hint is None and lines[mark.line][: mark.column].strip() == "":
            hint = _HINTS.get(lines[mark.line][:1])
        if hint:
            message += f"; {hint}"
    return Problem(path, line, column, message)


def _reader_problem(error: yaml.YAMLError, text: str, path: str) -> Problem:
    position = getattr(error, "position", 0)
    before = text[:position] if isinstance(position, int) else ""
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    reason = str(error).splitlines()[0] if str(error) else "unreadable text"
    return Problem(path, line, column, f"invalid YAML: {reason}")


class _Converter:
    """Walks the node tree once, building data and the position tables."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.values: dict[Address, _Span] = {}
        self.keys: dict[Address, _Span] = {}
        self._count = 0
        self._active: set[int] = set()
        self._refused = False

    def _problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(
            Problem(self.path, node.start_mark.line + 1, node.start_mark.column + 1, message)
        )

    def convert(self, node: yaml.Node, at: Address) -> Any:
        self._count += 1
        if self._count > _MAX_VALUES or len(at) > _MAX_DEPTH:
            if not self._refused:
                self._refused = True
                limit = "values" if self._count > _MAX_VALUES else "levels of nesting"
                self._problem(node, f"the document has too many {limit} (aliases expanded?)")
            return None
        if id(node) in self._active:
            self._problem(node, "an alias refers to a value that contains it")
            return None
        self.values.setdefault(at, _span(node))
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, at)
            if isinstance(node, yaml.SequenceNode):
                self._check_tag(node, "seq")
                return [self.convert(item, (*at, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.ScalarNode)
            return self._scalar(node)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, at: Address) -> dict[str, Any]:
        self._check_tag(node, "map")
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, "a key must be a plain name, not a list or mapping")
                continue
            key = str(key_node.value)
            if "\x00" in key:
                self._problem(key_node, "a key cannot hold the NUL character ('\\0')")
                continue
            if key_node.tag == _TAG + "merge" or (key == "<<" and not key_node.style):
                self._problem(key_node, "merge keys ('<<') are not supported; write the keys out")
                continue
            line = key_node.start_mark.line + 1
            if key in first_line:
                self._problem(
                    key_node, f"duplicate key '{key}' (first defined on line {first_line[key]})"
                )
                continue
            first_line[key] = line
            self.keys[(*at, key)] = _span(key_node)
            result[key] = self.convert(value_node, (*at, key))
        return result

    def _check_tag(self, node: yaml.Node, expected: str) -> bool:
        if node.tag == _TAG + expected:
            return True
        self._problem(node, f"the tag '{node.tag}' is not allowed; YAML here is plain data")
        return False

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        value = str(node.value)
        if "\x00" in value:
            self._problem(node, "text cannot hold the NUL character ('\\0'): no database stores it")
            return value.replace("\x00", "")
        kind = node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else None
        if kind == "str":
            return value
        try:
            if kind == "null":
                return None
            if kind == "bool":
                if value.lower() not in ("true", "false"):
                    raise ValueError(value)
                return value.lower() == "true"
            if kind == "int":
                return _int(value)
            if kind == "float":
                return _float(value)
        except ValueError:
            self._problem(node, f"'{value}' is not a valid {kind}")
            return value
        self._check_tag(node, "str")
        return value


def _int(value: str) -> int:
    text = value.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    return sign * int(digits, 10)


def _float(value: str) -> float:
    lowered = value.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(value)


def _span(node: yaml.Node) -> _Span:
    start, end = node.start_mark, node.end_mark
    last = end.line if end.column == 0 and end.line > start.line else end.line + 1
    return _Span(start.line + 1, start.column + 1, last, getattr(node, "style", None))
